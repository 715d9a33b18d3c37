"""Test-only URLs: a tiny data view on top of the project's URL configuration."""

from django.http import HttpResponse
from django.urls import path

from apps.accounts.access import CASE_VIEW, require_capability
from apps.people.models import Person
from apps.people.visibility import get_visible_or_404
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from thinkfamily.urls import urlpatterns as project_urlpatterns


@require_capability(CASE_VIEW)
def person_name(request, person_id: int):
    """Shows personal data the way every data view must: read, record, then respond."""
    person = get_visible_or_404(Person.objects.visible_to(request.viewer), pk=person_id)
    audit_record(action=AuditEvent.Action.VIEW_PERSON, request=request, subject_type="person", subject_id=person.pk)
    return HttpResponse(person.full_name)


@require_capability(CASE_VIEW)
def person_name_unaudited(request, person_id: int):
    """A deliberately broken data view, for proving the generated test catches it."""
    person = get_visible_or_404(Person.objects.visible_to(request.viewer), pk=person_id)
    return HttpResponse(person.full_name)


@require_capability(CASE_VIEW)
def person_by_nhs_number(request, nhs_number: str):
    """A data view whose URL argument the generated test does not know how to fill."""
    return HttpResponse(status=204)


good = [path("test-only/person/<int:person_id>/", person_name, name="testonly_person")]
unaudited = [path("test-only/unaudited/person/<int:person_id>/", person_name_unaudited, name="testonly_unaudited")]
unfillable = [path("test-only/nhs/<str:nhs_number>/", person_by_nhs_number, name="testonly_nhs")]

urlpatterns = good + unaudited + unfillable + project_urlpatterns
