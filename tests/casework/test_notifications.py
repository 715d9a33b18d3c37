"""Incident notifications: made by the refresh for the lead practitioner, shown as the reader may see things now,
told by email only when GOV.UK Notify is configured, and then without saying what or about whom."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.urls import reverse

from apps.accounts.access import Viewer
from apps.accounts.models import Role
from apps.audit.models import AuditEvent
from apps.casework.models import Notification
from apps.casework.notification_selectors import notifications_for
from apps.indicators.services import indicators_refresh
from tests import factories

from .notify_setup import engaged_case

pytestmark = pytest.mark.django_db

INCIDENT_ON = date(2025, 3, 10)
REFRESH_ON = date(2025, 3, 15)


@pytest.fixture
def made(users):
    return factories.family(reference="F007001")


@pytest.fixture
def case(users, made):
    return engaged_case(users, made)


def _incident(person, code="person-committed-offence", on=INCIDENT_ON, dataset="asc-offenders", notes="Shoplifting"):
    return factories.indicator(person, code, on=on, notes=notes, dataset_code=dataset)


def test_a_new_police_incident_after_a_refresh_makes_one_notification_for_the_lead(users, made, case):
    _incident(made["mum"])
    run = indicators_refresh(as_of=REFRESH_ON)

    made_now = list(Notification.objects.exclude(kind=Notification.Kind.RISK_FLAG))
    assert [(n.kind, n.person_id, n.recipient_id, n.case_id, n.occurred_on, n.section_code) for n in made_now] == [
        (Notification.Kind.POLICE_INCIDENT, made["mum"].pk, users["key-worker"].pk, case.pk, INCIDENT_ON, "crime")]
    assert run.counts["notifications"] >= 1
    # the records from before the case was allocated (the family's own, dated 24 February) are not news
    assert not Notification.objects.filter(occurred_on__lt=case.allocated_on).exclude(kind=Notification.Kind.RISK_FLAG)


def test_running_the_refresh_again_makes_no_duplicate(users, made, case):
    _incident(made["mum"])
    indicators_refresh(as_of=REFRESH_ON)
    first = set(Notification.objects.values_list("pk", flat=True))
    assert first

    indicators_refresh(as_of=REFRESH_ON)
    indicators_refresh(family_reference=made["family"].reference, as_of=REFRESH_ON)

    assert set(Notification.objects.values_list("pk", flat=True)) == first


def test_an_exclusion_and_a_missing_episode_each_notify_with_their_kind(users, made, case):
    from apps.schools.models import Exclusion
    from apps.sources.models import Dataset

    Exclusion.objects.create(person=made["child"], school=made["school"], kind=Exclusion.Kind.FIXED,
                             start_date=date(2025, 3, 5), sessions=4, dataset=Dataset.objects.get(code="dfe-exclusions"))
    _incident(made["child"], code="person-reported-missing", dataset="asc-missing-persons", on=date(2025, 3, 7))
    indicators_refresh(as_of=REFRESH_ON)

    kinds = set(Notification.objects.exclude(kind=Notification.Kind.RISK_FLAG).values_list("kind", "person_id"))
    assert kinds == {(Notification.Kind.EXCLUSION, made["child"].pk), (Notification.Kind.MISSING, made["child"].pk)}


def test_no_notification_for_a_case_not_yet_allocated_nor_for_someone_no_longer_a_member(users, made):
    from apps.casework.services import case_identify

    case_identify(family=made["family"], by=users["early-help-manager"], on=date(2025, 2, 1))
    _incident(made["mum"])
    indicators_refresh(as_of=REFRESH_ON)
    assert not Notification.objects.exists()


def test_a_refresh_that_fails_after_the_notifications_were_made_leaves_none(users, made, case):
    from apps.indicators.signals import refresh_rebuilt

    def later_step_fails(**kwargs):
        assert Notification.objects.exists()  # made, inside the refresh's transaction
        raise RuntimeError("disk full")

    _incident(made["mum"])
    refresh_rebuilt.connect(later_step_fails, dispatch_uid="test-later-step-fails")
    try:
        with pytest.raises(RuntimeError):
            indicators_refresh(as_of=REFRESH_ON)
    finally:
        refresh_rebuilt.disconnect(dispatch_uid="test-later-step-fails")
    assert not Notification.objects.exists()
    indicators_refresh(as_of=REFRESH_ON)  # the next refresh tells the lead after all
    assert Notification.objects.filter(kind=Notification.Kind.POLICE_INCIDENT).count() == 1


def _page(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.get(reverse("casework:notifications"))


def test_the_lead_sees_it_and_the_page_is_audited(client, users, made, case):
    _incident(made["mum"])
    indicators_refresh(as_of=REFRESH_ON)
    client.force_login(users["key-worker"], backend="django.contrib.auth.backends.ModelBackend")
    before = AuditEvent.objects.count()

    response = client.get(reverse("casework:notifications"))

    assert response.status_code == 200
    assert b"Police incident" in response.content and b"Kerry Smith" in response.content
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.subject_type) == (AuditEvent.Action.VIEW_RECORD, "notifications")
    assert event.result_count == len(notifications_for(viewer=Viewer.for_user(users["key-worker"])).items)


def test_someone_else_with_the_same_role_sees_none_of_it(client, users, made, case, make_user):
    _incident(made["mum"])
    indicators_refresh(as_of=REFRESH_ON)
    other = make_user("key-worker", username="other_key_worker")
    response = _page(client, other)
    assert b"Kerry" not in response.content and b"Police incident" not in response.content
    notification = Notification.objects.first()
    assert client.post(reverse("casework:notification_read", args=[notification.pk])).status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_a_notification_about_a_section_the_reader_no_longer_sees_is_neither_shown_nor_counted(client, users, made, case):
    _incident(made["mum"], code="involved-in-domestic-incident", dataset="asc-domestic-abuse", notes="")
    indicators_refresh(as_of=REFRESH_ON)
    lead = users["key-worker"]
    assert notifications_for(viewer=Viewer.for_user(lead)).unread == Notification.objects.count()
    Role.objects.get(slug="key-worker").sections.remove(*Role.objects.get(slug="key-worker").sections.filter(
        code="domestic-abuse"))

    seen = notifications_for(viewer=Viewer.for_user(lead))
    assert Notification.Kind.DOMESTIC_ABUSE not in {n.kind for n in seen.items}
    assert seen.unread == len([n for n in seen.items if n.read_at is None])
    body = _page(client, lead).content
    assert b"Domestic abuse" not in body and b"domestic incident" not in body.lower()


def test_a_restricted_member_is_hidden_from_the_lead(client, users, made, case):
    _incident(made["child"], notes="")
    indicators_refresh(as_of=REFRESH_ON)
    lead = users["key-worker"]
    child_notes = Notification.objects.filter(person=made["child"])
    assert child_notes.exists()
    made["child"].is_restricted = True
    made["child"].restriction_reason = "Relative of staff"
    made["child"].save()

    seen = notifications_for(viewer=Viewer.for_user(lead))
    assert made["child"].pk not in {n.person_id for n in seen.items}
    assert b"Jack" not in _page(client, lead).content
    assert client.post(reverse("casework:notification_read", args=[child_notes.first().pk])).status_code == 404


def test_marking_read_is_audited_and_kept(client, users, made, case):
    _incident(made["mum"])
    indicators_refresh(as_of=REFRESH_ON)
    notification = Notification.objects.get(kind=Notification.Kind.POLICE_INCIDENT)
    client.force_login(users["key-worker"], backend="django.contrib.auth.backends.ModelBackend")

    assert client.get(reverse("casework:notification_read", args=[notification.pk])).status_code == 405
    response = client.post(reverse("casework:notification_read", args=[notification.pk]), {"next": "https://evil.example/"})

    assert response.status_code == 302 and response["Location"] == reverse("casework:notifications")
    notification.refresh_from_db()
    assert notification.read_at is not None
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.subject_type, event.subject_id) == (
        AuditEvent.Action.CASE_CHANGE, "notification", str(notification.pk))
    assert notifications_for(viewer=Viewer.for_user(users["key-worker"])).unread == Notification.objects.filter(
        read_at__isnull=True).count()


# --- GOV.UK Notify --------------------------------------------------------------------------------


@pytest.fixture
def tasks_run_in_process():
    from thinkfamily.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_notify_is_off_unless_configured(users, made, case, django_capture_on_commit_callbacks, tasks_run_in_process):
    client = mock.Mock()
    with mock.patch("apps.casework.notification_services.notify_client", return_value=client), \
            django_capture_on_commit_callbacks(execute=True):
        _incident(made["mum"])
        indicators_refresh(as_of=REFRESH_ON)
    assert Notification.objects.exists()
    client.send_email_notification.assert_not_called()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.NOTIFY).exists()


def test_notify_when_configured_says_only_that_there_is_something_new(
        settings, users, made, case, django_capture_on_commit_callbacks, tasks_run_in_process):
    settings.NOTIFY_API_KEY, settings.NOTIFY_TEMPLATE_ID = "test-key", "f33517ff-2a88-4f6e-b855-c550268ce08a"
    client = mock.Mock()
    client.send_email_notification.return_value = {"id": "notify-1"}
    with mock.patch("apps.casework.notification_services.notify_client", return_value=client), \
            django_capture_on_commit_callbacks(execute=True):
        _incident(made["mum"])
        indicators_refresh(as_of=REFRESH_ON)

    client.send_email_notification.assert_called_once()
    sent = client.send_email_notification.call_args.kwargs
    assert sent["email_address"] == "kw@bristol.example"
    assert sent["template_id"] == settings.NOTIFY_TEMPLATE_ID
    assert set(sent) == {"email_address", "template_id", "personalisation"} and sent["personalisation"] == {}
    text = repr(sent).lower()
    for personal in ("kerry", "smith", "f007001", "police", "offence", case.reference.lower()):
        assert personal not in text
    event = AuditEvent.objects.get(action=AuditEvent.Action.NOTIFY)
    assert (event.subject_type, event.subject_id) == ("user", str(users["key-worker"].pk))


def test_a_failed_send_is_retried_and_the_notification_is_kept(
        caplog, settings, users, made, case, django_capture_on_commit_callbacks, tasks_run_in_process):
    settings.NOTIFY_API_KEY, settings.NOTIFY_TEMPLATE_ID = "test-key", "f33517ff-2a88-4f6e-b855-c550268ce08a"
    client = mock.Mock()
    client.send_email_notification.side_effect = [ConnectionError("Notify is down"), {"id": "notify-2"}]
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        _incident(made["mum"])
        indicators_refresh(as_of=REFRESH_ON)
    assert len(after_commit) == 1  # one email for the one recipient, queued once the refresh commits

    from apps.casework.tasks import notification_email_send

    with mock.patch("apps.casework.notification_services.notify_client", return_value=client):
        result = notification_email_send.apply(kwargs={"user_id": users["key-worker"].pk}, throw=False)

    assert result.successful()  # the retry (at once here; a minute later on a worker) sent it
    assert "failed (attempt 1)" in caplog.text
    assert client.send_email_notification.call_count == 2
    assert AuditEvent.objects.filter(action=AuditEvent.Action.NOTIFY).count() == 1  # the failed try left none
    assert Notification.objects.filter(kind=Notification.Kind.POLICE_INCIDENT).count() == 1
