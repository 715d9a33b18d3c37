"""The programme frameworks page: what the programme manager sees, making a framework active (recorded, then a
full refresh so family criteria follow), and who may not."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.casework import framework_views
from apps.indicators.models import FamilyCriteria, Framework
from apps.indicators.services import indicators_refresh
from apps.people.models import Family, FamilyMembership
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_programme_manager_sees_each_framework_with_its_needs_indicators_and_measures(client_as):
    client = client_as("programme-manager")
    listing = client.get(reverse("casework:frameworks")).content.decode()
    assert "Troubled Families expanded programme (2015)" in listing
    assert "National Supporting Families Outcome Framework (2022)" in listing
    assert "At least 3 needs, and a dependent child or an expectant parent" in listing

    page = client.get(reverse("casework:framework", args=["2022-national"])).content.decode()
    for text in ("Getting a good education", "Financial stability", "A child is not attending school regularly",
                 "Child Persistently Absent", "Attendance of at least 90% across the last 3 full terms",
                 "No police-recorded offence or anti-social behaviour for 6 months",
                 "None: identified by the practitioner", "Make this the active framework"):
        assert text in page, text
    expanded = client.get(reverse("casework:framework", args=["2015-expanded"])).content.decode()
    assert "Attendance of at least 85% over the last full academic year" in expanded
    assert "Make this the active framework" not in expanded  # it is the active one
    assert client.get(reverse("casework:framework", args=["no-such-framework"])).status_code == 404


def test_activating_a_framework_is_recorded_and_the_refresh_makes_criteria_follow(client_as, monkeypatch,
                                                                                   django_capture_on_commit_callbacks):
    mum = factories.person(forename="Kerry", dob=date(1985, 1, 1), sex="F")
    child = factories.person(forename="Jack", dob=date(2011, 3, 12))
    family = Family.objects.create(reference="F777001")
    FamilyMembership.objects.create(family=family, person=mum, role=FamilyMembership.Role.PARENT)
    FamilyMembership.objects.create(family=family, person=child, role=FamilyMembership.Role.CHILD)
    factories.indicator(mum, "person-committed-offence")
    factories.indicator(child, "child-in-need")
    indicators_refresh()
    assert FamilyCriteria.objects.get(family=family).is_eligible  # two headline problems under 2015

    queued = []
    monkeypatch.setattr(framework_views.refresh_indicators_task, "delay", lambda *a, **kw: queued.append(a))
    client = client_as("programme-manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("casework:framework_activate", args=["2022-national"]))
    assert response.status_code == 302 and response["Location"] == reverse("casework:framework", args=["2022-national"])
    assert queued == [()]  # one full refresh, queued once the change committed
    assert list(Framework.objects.filter(is_active=True).values_list("code", flat=True)) == ["2022-national"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.FRAMEWORK_CHANGE)
    assert event.username == "programme_manager" and event.subject_type == "framework"

    indicators_refresh()  # what the queued task runs
    criteria = FamilyCriteria.objects.get(family=family)
    assert criteria.framework.code == "2022-national" and criteria.need_count == 2 and not criteria.is_eligible

    page = client.get(reverse("casework:framework", args=["2022-national"])).content.decode()
    assert "is now the active framework" in page and "Make this the active framework" not in page


def test_activating_the_active_framework_changes_nothing(client_as, django_capture_on_commit_callbacks):
    client = client_as("programme-manager")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("casework:framework_activate", args=["2015-expanded"]), follow=True)
    assert "already the active framework" in response.content.decode()
    assert not callbacks and not AuditEvent.objects.filter(action=AuditEvent.Action.FRAMEWORK_CHANGE).exists()


@pytest.mark.parametrize("role", ["key-worker", "early-help-manager", "analyst"])
def test_other_roles_neither_see_nor_change_frameworks(client_as, role):
    client = client_as(role)
    assert client.get(reverse("casework:frameworks")).status_code == 404
    assert client.post(reverse("casework:framework_activate", args=["2022-national"])).status_code == 404
    assert Framework.objects.get(is_active=True).code == "2015-expanded"
