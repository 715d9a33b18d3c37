"""Test-only URLs: tiny data views on top of the project's URL configuration."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from apps.accounts.access import ACCESS_MANAGE, CASE_VIEW, require_capability
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.people.models import Person
from thinkfamily.urls import urlpatterns as project_urlpatterns


@require_capability(CASE_VIEW)
def person_name(request, person_id: int):
    """Shows personal data the way every data view must: read, record, then respond."""
    person = get_object_or_404(Person, pk=person_id)
    audit_record(action=AuditEvent.Action.VIEW_PERSON, request=request, subject_type="person", subject_id=person.pk)
    return HttpResponse(person.full_name)


@require_capability(CASE_VIEW)
def person_name_unaudited(request, person_id: int):
    """A deliberately broken data view, for proving the generated test catches it."""
    return HttpResponse(get_object_or_404(Person, pk=person_id).full_name)


@require_capability(CASE_VIEW)
def person_by_nhs_number(request, nhs_number: str):
    """A data view whose URL argument the generated test does not know how to fill."""
    return HttpResponse(status=204)


@require_capability(ACCESS_MANAGE)
def staff_list_unaudited(request):
    """A newly routed page outside the case capabilities, showing staff, neither audited nor exempted."""
    return HttpResponse(", ".join(get_user_model().objects.values_list("username", flat=True)))


good = [path("test-only/person/<int:person_id>/", person_name, name="testonly_person")]
unaudited = [path("test-only/unaudited/person/<int:person_id>/", person_name_unaudited, name="testonly_unaudited")]
unfillable = [path("test-only/nhs/<str:nhs_number>/", person_by_nhs_number, name="testonly_nhs")]
new_page = [path("test-only/staff/", staff_list_unaudited, name="testonly_staff_list")]

urlpatterns = good + unaudited + unfillable + new_page + project_urlpatterns
