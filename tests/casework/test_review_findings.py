"""Findings of the security and correctness review of casework (issue 14): each a boundary that must hold."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.casework.models import Case, Notification
from apps.indicators.services import indicators_refresh
from apps.people.models import FamilyMembership
from tests import factories

from .notify_setup import engaged_case

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def test_a_refused_allocation_does_not_count_an_adult_the_manager_may_not_see(consent_case, team, users):
    """Every adult the manager sees has given consent; a restricted adult has not. Allocation is refused (the rule
    holds for every adult), but the refusal must not count the hidden adult ("for 1 adult")."""
    family = consent_case.family
    hidden = factories.person(forename="Quentin", surname="Hiddenhurst", dob=dt.date(1985, 2, 14),
                              is_restricted=True, restriction_reason="Relative of staff")
    FamilyMembership.objects.create(family=family, person=hidden, role="parent", date_from=dt.date(2019, 1, 1))
    manager = signed_in(users["early-help-manager"])
    mum = family.memberships.get(role="parent", person__is_restricted=False).person
    assert manager.post(reverse("casework:case_consent", kwargs={"pk": consent_case.pk}), {
        "action": "consent", "person": mum.pk, "status": "given",
        "recorded_on": timezone.localdate().isoformat()}).status_code == 302

    page = manager.post(reverse("casework:case_allocate", kwargs={"pk": consent_case.pk}),
                        {"action": "allocate", "lead": f"{team.pk}-{users['key-worker'].pk}"}).content.decode()

    consent_case.refresh_from_db()
    assert consent_case.state == Case.State.CONSENT
    assert "govuk-error-summary" in page
    assert "1 adult" not in page and "Hiddenhurst" not in page


@pytest.fixture
def tasks_run_in_process():
    from thinkfamily.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_no_email_when_every_new_notification_is_about_someone_the_lead_may_not_see(
        settings, users, django_capture_on_commit_callbacks, tasks_run_in_process):
    """The email says only "something new", but an email at all says that something happened: it must not be sent
    when nothing new is visible to the lead (here: an incident about a restricted child)."""
    settings.NOTIFY_API_KEY, settings.NOTIFY_TEMPLATE_ID = "test-key", "f33517ff-2a88-4f6e-b855-c550268ce08a"
    made = factories.family(reference="F007002")
    engaged_case(users, made)
    made["child"].is_restricted, made["child"].restriction_reason = True, "Relative of staff"
    made["child"].save()
    # the child's own record; nothing new about anyone the lead may see
    factories.indicator(made["child"], "person-committed-offence", on=dt.date(2025, 3, 10), notes="",
                        dataset_code="asc-offenders")
    client = mock.Mock()
    client.send_email_notification.return_value = {"id": "notify-x"}
    with mock.patch("apps.casework.notification_services.notify_client", return_value=client), \
            django_capture_on_commit_callbacks(execute=True):
        indicators_refresh(as_of=dt.date(2025, 3, 15))

    assert Notification.objects.filter(person=made["child"]).exists()  # made (the lead may see it one day)
    client.send_email_notification.assert_not_called()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.NOTIFY).exists()
