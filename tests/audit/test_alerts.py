"""Alerts computed from the audit log: break-glass, volume, out of hours, shared surname, restricted records."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from apps.audit.models import Alert, AuditEvent
from apps.audit.services import audit_alerts_compute
from apps.audit.tasks import audit_alerts_task
from apps.people.models import Family, Person

pytestmark = pytest.mark.django_db


def local(year, month, day, hour, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute), timezone.get_current_timezone())


# Tuesday 10 March 2026 at 10:00 is in hours; settings.WORKING_HOURS is (7, 19).
IN_HOURS = local(2026, 3, 10, 10)


def _compute_around(moment):
    return audit_alerts_compute(since=moment - timedelta(days=1), until=moment + timedelta(days=1))


def _kinds():
    return sorted(Alert.objects.values_list("kind", flat=True))


def test_break_glass_raises_an_alert_with_the_reason(users, record_at):
    event = record_at(IN_HOURS, action=AuditEvent.Action.BREAK_GLASS, user=users["key-worker"],
                      subject_type="person", subject_id=3, purpose="Child missing tonight")
    assert _compute_around(IN_HOURS) == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.event_id, alert.username) == (Alert.Kind.BREAK_GLASS, event.pk, "key_worker")
    assert alert.details == {"reason": "Child missing tonight"}


def test_computing_twice_raises_nothing_new(users, record_at):
    record_at(IN_HOURS, action=AuditEvent.Action.BREAK_GLASS, user=users["key-worker"], subject_type="person", subject_id=3)
    assert _compute_around(IN_HOURS) == 1
    assert _compute_around(IN_HOURS) == 0
    assert Alert.objects.count() == 1


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
    _compute_around(local(2026, 3, 10, 22))
    alert = Alert.objects.get()
    assert alert.details["count"] == 3


def test_sign_ins_out_of_hours_are_not_data_reads(users, record_at):
    record_at(local(2026, 3, 10, 23), action=AuditEvent.Action.LOGIN, user=users["key-worker"])
    _compute_around(local(2026, 3, 10, 23))
    assert _kinds() == []


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


def test_access_to_restricted_records(users, record_at):
    restricted = Person.objects.create(forename="Cy", surname="Vale", is_restricted=True)
    open_person = Person.objects.create(forename="Di", surname="Vale")
    family = Family.objects.create(reference="F1", is_restricted=True)
    worker = users["key-worker"]
    record_at(IN_HOURS, action=AuditEvent.Action.VIEW_PERSON, user=worker, subject_type="person", subject_id=restricted.pk)
    record_at(IN_HOURS, action=AuditEvent.Action.VIEW_PERSON, user=worker, subject_type="person", subject_id=open_person.pk)
    record_at(IN_HOURS, action=AuditEvent.Action.VIEW_FAMILY, user=worker, subject_type="family", subject_id=family.pk)
    _compute_around(IN_HOURS)
    assert sorted(Alert.objects.values_list("kind", "subject_type", "subject_id")) == [
        ("restricted", "family", str(family.pk)), ("restricted", "person", str(restricted.pk))]


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


def test_the_scheduled_task_scans_the_last_two_days(users):
    from apps.audit.services import audit_record

    audit_record(action=AuditEvent.Action.BREAK_GLASS, user=users["social-worker"], subject_type="family", subject_id=4)
    raised = audit_alerts_task()
    assert raised == Alert.objects.count() >= 1  # plus out-of-hours, depending on when the test runs
    assert Alert.objects.filter(kind=Alert.Kind.BREAK_GLASS, subject_id="4").exists()
    assert audit_alerts_task() == 0
