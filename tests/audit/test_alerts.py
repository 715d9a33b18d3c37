"""Alerts for reviewers.

At once, in the transaction of the event that raises them: break-glass, and a case record read while it
is restricted. On the beat schedule: out of hours, shared surname, unusual volume. And the false positives
that must not be raised: views from before a record was restricted, the custodian's restriction work,
an audit reviewer's reading of the audit log out of hours. Each alert reads as sentences on the reviewer's page.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.audit.alerts import audit_alerts_compute
from apps.audit.models import Alert, AuditEvent
from apps.audit.services import audit_record
from apps.audit.tasks import audit_alerts_task
from apps.people.models import BreakGlass, Family, Person
from apps.people.restriction import break_glass, record_name_user, record_restrict, record_unrestrict

pytestmark = pytest.mark.django_db


def local(year, month, day, hour, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute), timezone.get_current_timezone())


# Tuesday 10 March 2026 at 10:00 is in hours; settings.WORKING_HOURS is (7, 19).
IN_HOURS = local(2026, 3, 10, 10)
NIGHT = local(2026, 3, 10, 23)


def _compute_around(moment):
    return audit_alerts_compute(since=moment - timedelta(days=1), until=moment + timedelta(days=1))


def _kinds():
    return sorted(Alert.objects.values_list("kind", flat=True))


@pytest.fixture
def restricted_person(db):
    return Person.objects.create(forename="Ottoline", surname="Brackenbury", is_restricted=True,
                                 restriction_reason="Member of staff")


@pytest.fixture
def open_person(db):
    return Person.objects.create(forename="Mariella", surname="Quennington")


# --- at once -------------------------------------------------------------------------------------


def test_breaking_the_glass_is_an_alert_at_once_with_reason_and_end(users, restricted_person):
    glass = break_glass(user=users["key-worker"], record=restricted_person, reason="Child missing tonight")
    event = AuditEvent.objects.get(action=AuditEvent.Action.BREAK_GLASS)
    alert = Alert.objects.get()  # nobody ran a check
    assert (alert.kind, alert.event_id, alert.username) == (Alert.Kind.BREAK_GLASS, event.pk, "key_worker")
    assert (alert.subject_type, alert.subject_id) == ("person", str(restricted_person.pk))
    assert alert.details == {"reason": "Child missing tonight", "until": glass.expires_at.isoformat()}
    audit_alerts_compute()  # the scheduled scan does not raise it a second time
    assert Alert.objects.filter(kind=Alert.Kind.BREAK_GLASS).count() == 1


def test_a_break_glass_that_rolls_back_leaves_no_alert(users, restricted_person):
    with pytest.raises(RuntimeError), transaction.atomic():
        break_glass(user=users["key-worker"], record=restricted_person, reason="Child missing tonight")
        raise RuntimeError("the request failed after the event was written")
    assert not BreakGlass.objects.exists() and not AuditEvent.objects.exists() and not Alert.objects.exists()


@pytest.mark.parametrize("action", [AuditEvent.Action.VIEW_PERSON, AuditEvent.Action.VIEW_ATTENDANCE,
                                    AuditEvent.Action.VIEW_ADDRESSES, AuditEvent.Action.EXPORT])
def test_reading_a_restricted_person_is_an_alert_at_once(users, restricted_person, open_person, action):
    for person in (restricted_person, open_person):
        audit_record(action=action, user=users["key-worker"], subject_type="person", subject_id=person.pk)
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject_id, alert.details) == (Alert.Kind.RESTRICTED, str(restricted_person.pk),
                                                            {"action": action})


def test_reading_a_restricted_family_is_an_alert_at_once(users):
    family = Family.objects.create(reference="F000777", is_restricted=True)
    audit_record(action=AuditEvent.Action.VIEW_FAMILY, user=users["social-worker"], subject_type="family",
                 subject_id=family.pk)
    assert list(Alert.objects.values_list("kind", "subject_type", "subject_id")) == [
        (Alert.Kind.RESTRICTED, "family", str(family.pk))]


def test_a_named_user_opening_the_restricted_page_raises_the_alert_in_that_request(client_as, users, restricted_person):
    record_name_user(record=restricted_person, user=users["key-worker"], custodian=users["data-custodian"])
    response = client_as("key-worker").get(reverse("caseview:person", args=[restricted_person.pk]))
    assert response.status_code == 200
    view = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSON)
    assert list(Alert.objects.values_list("kind", "event_id")) == [(Alert.Kind.RESTRICTED, view.pk)]


# --- false positives -------------------------------------------------------------------------------


def test_views_from_before_the_record_was_restricted_are_no_alert(users, open_person):
    audit_record(action=AuditEvent.Action.VIEW_PERSON, user=users["key-worker"], subject_type="person",
                 subject_id=open_person.pk)
    record_restrict(record=open_person, custodian=users["data-custodian"], reason="Member of staff")
    audit_alerts_compute()
    assert not Alert.objects.filter(kind=Alert.Kind.RESTRICTED).exists()


def test_views_after_the_restriction_was_lifted_are_no_alert(users, restricted_person):
    record_unrestrict(record=restricted_person, custodian=users["data-custodian"], reason="Left the council")
    audit_record(action=AuditEvent.Action.VIEW_PERSON, user=users["key-worker"], subject_type="person",
                 subject_id=restricted_person.pk)
    audit_alerts_compute()
    assert not Alert.objects.filter(kind=Alert.Kind.RESTRICTED).exists()


def test_the_custodians_restriction_work_is_no_alert(client_as, open_person, restricted_person):
    client = client_as("data-custodian")
    for person in (open_person, restricted_person):
        url = reverse("people:restriction", args=["person", person.pk])
        assert client.get(url).status_code == 200
        action = {"action": "unrestrict", "reason": "Reviewed"} if person.is_restricted else {
            "action": "restrict", "reason": "Member of staff"}
        assert client.post(url, action).status_code == 302
        assert client.post(url, {"action": "name", "username": "social_worker"}).status_code == 302
        assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RESTRICTION_CHANGE).count() == 4
    audit_alerts_compute()
    assert not Alert.objects.filter(kind=Alert.Kind.RESTRICTED).exists()


def test_an_audit_reviewer_reading_the_audit_log_out_of_hours_is_no_alert(client_as, users, settings, open_person):
    """Every hour out of hours; the reviewer goes through every reviewer page; only the key worker's read counts."""
    settings.WORKING_HOURS = (0, 0)
    audit_record(action=AuditEvent.Action.VIEW_PERSON, user=users["key-worker"], subject_type="person",
                 subject_id=open_person.pk)
    reviewer = client_as("audit-reviewer")
    kw = users["key-worker"].pk
    for url in (reverse("audit:events"), reverse("audit:export_csv"), reverse("audit:subject", args=["person", "1"]),
                reverse("audit:user_activity", args=[kw]), reverse("audit:alerts")):
        response = reviewer.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)  # the export is recorded before its first row
    reviewer.post(reverse("audit:alerts_compute"))
    assert list(Alert.objects.values_list("kind", "user_id_snapshot")) == [(Alert.Kind.OUT_OF_HOURS, kw)]


@pytest.mark.parametrize("action", [AuditEvent.Action.LOGIN, AuditEvent.Action.AUDIT_QUERY,
                                    AuditEvent.Action.AUDIT_EXPORT, AuditEvent.Action.ALERT_REVIEW,
                                    AuditEvent.Action.RESTRICTION_CHANGE, AuditEvent.Action.ACCESS_GRANT])
def test_actions_that_read_no_personal_data_are_never_out_of_hours_reads(users, record_at, action):
    record_at(NIGHT, action=action, user=users["audit-reviewer"], subject_type="audit")
    _compute_around(NIGHT)
    assert _kinds() == []


# --- on the schedule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "alerted"),
    [
        (local(2026, 3, 10, 6, 59), True),  # before working hours
        (local(2026, 3, 10, 7, 0), False),
        (local(2026, 3, 10, 18, 59), False),
        (local(2026, 3, 10, 19, 0), True),  # after
        (local(2026, 3, 14, 11, 0), True),  # Saturday
        (local(2026, 3, 15, 11, 0), True),  # Sunday
    ],
)
def test_out_of_hours_reads(users, record_at, moment, alerted):
    record_at(moment, action=AuditEvent.Action.VIEW_PERSON, user=users["key-worker"], subject_type="person", subject_id=1)
    _compute_around(moment)
    assert _kinds() == ([Alert.Kind.OUT_OF_HOURS] if alerted else [])


def test_out_of_hours_reads_are_one_alert_per_user_and_day(users, record_at):
    for minute in range(3):
        record_at(local(2026, 3, 10, 22, minute), action=AuditEvent.Action.SEARCH, user=users["key-worker"], result_count=0)
    _compute_around(NIGHT)
    alert = Alert.objects.get()
    assert alert.details["count"] == 3


def test_computing_twice_raises_nothing_new(users, record_at):
    record_at(NIGHT, action=AuditEvent.Action.VIEW_PERSON, user=users["key-worker"], subject_type="person", subject_id=3)
    assert _compute_around(NIGHT) == 1
    assert _compute_around(NIGHT) == 0
    assert Alert.objects.count() == 1


def test_viewing_someone_who_shares_your_surname(users, record_at):
    worker = users["key-worker"]
    worker.last_name = "Okonkwo"
    worker.save()
    relative = Person.objects.create(forename="Ada", surname="OKONKWO")
    stranger = Person.objects.create(forename="Bea", surname="Smith")
    for person in (relative, stranger):
        record_at(IN_HOURS, action=AuditEvent.Action.VIEW_PERSON, user=worker, subject_type="person", subject_id=person.pk)
    _compute_around(IN_HOURS)
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject_id) == (Alert.Kind.SHARED_SURNAME, str(relative.pk))


def _reads(record_at, user, day, count):
    for i in range(count):
        record_at(local(day.year, day.month, day.day, 9) + timedelta(seconds=i), action=AuditEvent.Action.SEARCH,
                  user=user, result_count=1)


@pytest.mark.parametrize(
    ("usual", "today", "alerted"),
    [
        (10, 31, False),  # 3 x 10 = 30 < 31, but 31 is not above the floor of 50
        (10, 51, True),  # above 3 x median and above 50
        (20, 60, False),  # exactly 3 x median is not above it
        (20, 61, True),
        (0, 51, True),  # a user who never reads suddenly reads a lot
    ],
)
def test_volume_far_above_the_users_usual(users, record_at, usual, today, alerted):
    worker = users["key-worker"]
    day = IN_HOURS.date()
    for back in range(1, 31):
        _reads(record_at, worker, day - timedelta(days=back), usual)
    _reads(record_at, worker, day, today)
    audit_alerts_compute(since=local(day.year, day.month, day.day, 0), until=local(day.year, day.month, day.day, 23))
    volume = Alert.objects.filter(kind=Alert.Kind.VOLUME)
    assert volume.exists() is alerted
    if alerted:
        assert volume.get().details == {"day": day.isoformat(), "count": today, "median_30_days": usual}


def test_the_scan_is_on_the_beat_schedule():
    scheduled = [entry for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
                 if entry["task"] == audit_alerts_task.name]
    assert len(scheduled) == 1
    assert scheduled[0]["schedule"] <= timedelta(minutes=15)


def test_the_scheduled_task_scans_the_last_two_days(users, settings):
    settings.WORKING_HOURS = (0, 0)  # every hour out of hours, whenever the test runs
    audit_record(action=AuditEvent.Action.VIEW_PERSON, user=users["social-worker"], subject_type="person", subject_id=4)
    assert audit_alerts_task() == 1
    assert Alert.objects.get().kind == Alert.Kind.OUT_OF_HOURS
    assert audit_alerts_task() == 0


# --- readable on the reviewer's page ---------------------------------------------------------------

ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _alert_page(client_as, alert) -> str:
    response = client_as("audit-reviewer").get(reverse("audit:alert", args=[alert.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert not ISO_TIMESTAMP.search(page), "an ISO timestamp reached the reviewer"
    assert "{&#x27;" not in page and "{'" not in page, "a Python dict reached the reviewer"
    return page


def test_a_break_glass_alert_reads_as_a_sentence(client_as, users, restricted_person):
    glass = break_glass(user=users["key-worker"], record=restricted_person, reason="Child missing tonight")
    until = timezone.localtime(glass.expires_at)
    page = _alert_page(client_as, Alert.objects.get())
    assert (f"Broke the glass on person {restricted_person.pk}: reason &#x27;Child missing tonight&#x27;, "
            f"until {until.day} {until:%b %Y, %H:%M}") in page


@pytest.mark.parametrize("kind", ["restricted", "out_of_hours", "volume", "shared_surname", "chain_break"])
def test_every_other_alert_reads_as_sentences(client_as, users, record_at, restricted_person, tamper, kind):
    worker = users["key-worker"]
    if kind == "restricted":
        record_at(IN_HOURS, action=AuditEvent.Action.VIEW_PERSON, user=worker, subject_type="person",
                  subject_id=restricted_person.pk)
        expected = f"Opened person {restricted_person.pk} (view person) while it was restricted, at 10 Mar 2026, 10:00"
    elif kind == "out_of_hours":
        for minute in (2, 7):
            record_at(local(2026, 3, 10, 22, minute), action=AuditEvent.Action.SEARCH, user=worker)
        _compute_around(NIGHT)
        expected = "Read personal data out of hours on Tuesday 10 March 2026: 2 events, between 22:02 and 22:07"
    elif kind == "volume":
        _reads(record_at, worker, IN_HOURS.date(), 51)
        audit_alerts_compute(since=local(2026, 3, 10, 0), until=local(2026, 3, 10, 23))
        expected = "51 reads of personal data on Tuesday 10 March 2026; on a usual day 0 (the median of the previous 30 days)"
    elif kind == "shared_surname":
        worker.last_name = "Brackenbury"
        worker.save()
        record_at(IN_HOURS, action=AuditEvent.Action.SEARCH, user=worker, subject_type="person",
                  subject_id=restricted_person.pk)
        _compute_around(IN_HOURS)
        expected = f"Viewed person {restricted_person.pk}, whose surname Brackenbury is the same as theirs (search)"
    else:
        events = [audit_record(action=AuditEvent.Action.SEARCH) for _ in range(3)]
        with tamper():
            AuditEvent.objects.filter(pk=events[1].pk).delete()
        from apps.audit.verification import audit_chain_verify

        audit_chain_verify()
        expected = "Position 2 is missing before it: deleted, and not by a retention purge"
    alert = Alert.objects.get(kind=kind)
    assert expected in _alert_page(client_as, alert)
