"""Alerts for the audit reviewer: which actions read personal data, the alerts raised with an event,
the scheduled scan, and a reviewer's review.

* ``raise_immediate_alerts``: break-glass, and a case record read while it is restricted; called by
  ``services.audit_record`` for every event, in the event's transaction.
* ``audit_alerts_compute``: out of hours, same surname, unusual volume; computed from the log every
  15 minutes (``tasks.audit_alerts_task``) and on demand, idempotently.
* ``audit_alert_review``: a reviewer closes an alert with a note, itself recorded.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Alert, AuditEvent

# Volume alert: a day above VOLUME_FACTOR x the user's 30-day median and above VOLUME_FLOOR.
VOLUME_FACTOR = 3
VOLUME_FLOOR = 50

# Actions that read personal data: the ones volume and out-of-hours alerts count. An audit
# reviewer's queries and exports of the audit log (audit_query, audit_export) read none.
PERSONAL_DATA_READS = (
    AuditEvent.Action.SEARCH,
    AuditEvent.Action.VIEW_PERSON,
    AuditEvent.Action.VIEW_FAMILY,
    AuditEvent.Action.VIEW_ATTENDANCE,
    AuditEvent.Action.VIEW_ADDRESSES,
    AuditEvent.Action.VIEW_RECORD,
    AuditEvent.Action.EXPORT,
)
# Reads of a person's or family's case record: done while it is restricted, they raise an alert at once.
# Not view_record: the custodian's restriction page and the clerical review of source records.
CASE_RECORD_READS = (
    AuditEvent.Action.VIEW_PERSON,
    AuditEvent.Action.VIEW_FAMILY,
    AuditEvent.Action.VIEW_ATTENDANCE,
    AuditEvent.Action.VIEW_ADDRESSES,
    AuditEvent.Action.EXPORT,
)


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def _is_out_of_hours(dt: datetime) -> bool:
    start, end = settings.WORKING_HOURS
    local = _local(dt)
    return local.weekday() >= 5 or not (start <= local.hour < end)


def _long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _alert(*, kind: str, key: str, now: datetime, occurred_at: datetime, summary: str, **fields) -> Alert:
    return Alert(kind=kind, dedupe_key=f"{kind}:{key}", raised_at=now, occurred_at=occurred_at, summary=summary, **fields)


# The records audit events are about, by subject type: registered by the app that owns each model
# (``apps.people`` registers "person" and "family" when it starts), so the audit app reads them
# without depending on that app. A registered model has ``is_restricted``; "person" has ``surname``.
SUBJECT_MODELS: dict[str, type] = {}


def subject_model_register(subject_type: str, model: type) -> None:
    SUBJECT_MODELS[subject_type] = model


def _is_restricted(kind: str, pk: str) -> bool:
    model = SUBJECT_MODELS.get(kind)
    if model is None or not pk.isdigit():
        return False
    return model.objects.filter(pk=int(pk), is_restricted=True).exists()


def raise_immediate_alerts(event: AuditEvent) -> None:
    """Break-glass, and a case record read while it is restricted: raised with the event, in its transaction.

    Whether the record is restricted is read now, as the event is written, so a
    view from before the record was restricted (or after it was lifted) is none.
    """
    about = {"user_id_snapshot": event.user_id_snapshot, "username": event.username, "event_id": event.pk,
             "subject_type": event.subject_type, "subject_id": event.subject_id}
    record = f"{event.subject_type} {event.subject_id}"
    if event.action == AuditEvent.Action.BREAK_GLASS:
        opened = event.details.get("opened", True)  # False: a reason given for an id with nothing restricted behind it
        summary = f"{event.username} broke the glass on {record}" if opened else (
            f"{event.username} tried to break the glass on {record}, where nothing restricted was opened")
        alert = _alert(kind=Alert.Kind.BREAK_GLASS, key=str(event.pk), now=event.occurred_at,
                       occurred_at=event.occurred_at, summary=summary,
                       details={"reason": event.purpose or event.details.get("reason", ""),
                                "until": event.details.get("expires_at"), **({} if opened else {"opened": False})},
                       **about)
    elif event.action in CASE_RECORD_READS and _is_restricted(event.subject_type, event.subject_id):
        alert = _alert(kind=Alert.Kind.RESTRICTED, key=str(event.pk), now=event.occurred_at,
                       occurred_at=event.occurred_at, summary=f"{event.username} opened restricted {record}",
                       details={"action": event.action}, **about)
    else:
        return
    alert.save()


def _out_of_hours_alerts(events: list[dict], now: datetime) -> list[Alert]:
    """Reads of personal data outside working hours: one alert per user and day."""
    per_day: dict[tuple[int, date], list[dict]] = defaultdict(list)
    for e in events:
        if e["user_id_snapshot"] is not None and _is_out_of_hours(e["occurred_at"]):
            per_day[(e["user_id_snapshot"], _local(e["occurred_at"]).date())].append(e)
    alerts = []
    for (user_id, day), day_events in per_day.items():
        first, last, n = day_events[0], day_events[-1], len(day_events)
        alerts.append(_alert(
            kind=Alert.Kind.OUT_OF_HOURS, key=f"{user_id}:{day.isoformat()}", now=now, occurred_at=first["occurred_at"],
            user_id_snapshot=user_id, username=first["username"], event_id=first["id"],
            summary=f"{first['username']} read personal data out of hours on {_long_date(day)} "
                    f"({n} event{'s' if n != 1 else ''})",
            details={"day": day.isoformat(), "count": n, "first_at": first["occurred_at"].isoformat(),
                     "last_at": last["occurred_at"].isoformat(), "event_ids": [e["id"] for e in day_events[:50]]}))
    return alerts


def _shared_surname_alerts(events: list[dict], now: datetime) -> list[Alert]:
    from django.contrib.auth import get_user_model

    views = [e for e in events if e["subject_type"] == "person" and e["subject_id"].isdigit() and e["user_id_snapshot"]]
    if not views or "person" not in SUBJECT_MODELS:
        return []
    surnames = dict(SUBJECT_MODELS["person"].objects.filter(pk__in={int(e["subject_id"]) for e in views}).values_list("pk", "surname"))
    last_names = dict(
        get_user_model().objects.filter(pk__in={e["user_id_snapshot"] for e in views}).values_list("pk", "last_name")
    )
    alerts = []
    for e in views:
        last_name = (last_names.get(e["user_id_snapshot"]) or "").strip().casefold()
        surname = surnames.get(int(e["subject_id"])) or ""
        if last_name and last_name == surname.strip().casefold():
            alerts.append(_alert(
                kind=Alert.Kind.SHARED_SURNAME, key=str(e["id"]), now=now, occurred_at=e["occurred_at"],
                user_id_snapshot=e["user_id_snapshot"], username=e["username"], event_id=e["id"],
                subject_type="person", subject_id=e["subject_id"],
                summary=f"{e['username']} viewed person {e['subject_id']}, who shares their surname",
                details={"surname": surname, "action": e["action"]}))
    return alerts


def _volume_alerts(*, since: datetime, until: datetime, now: datetime) -> list[Alert]:
    """A user's daily count of data reads above ``VOLUME_FACTOR`` x their median of
    the previous 30 days (days without activity count as zero) and above ``VOLUME_FLOOR``."""
    tz = timezone.get_current_timezone()
    first_day = _local(since).date()
    history_start = timezone.make_aware(datetime.combine(first_day - timedelta(days=30), datetime.min.time()), tz)
    daily = (
        AuditEvent.objects.filter(
            occurred_at__gte=history_start, occurred_at__lt=until,
            action__in=PERSONAL_DATA_READS, user_id_snapshot__isnull=False,
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .values("user_id_snapshot", "username", "day")
        .annotate(n=Count("id"))
    )
    per_user: dict[int, dict[date, int]] = defaultdict(dict)
    usernames = {}
    for row in daily:
        per_user[row["user_id_snapshot"]][row["day"]] = per_user[row["user_id_snapshot"]].get(row["day"], 0) + row["n"]
        usernames[row["user_id_snapshot"]] = row["username"]
    alerts = []
    for user_id, counts in per_user.items():
        for day, n in counts.items():
            if day < first_day or n <= VOLUME_FLOOR:
                continue
            usual = statistics.median(counts.get(day - timedelta(days=k), 0) for k in range(1, 31))
            if n > VOLUME_FACTOR * usual:
                start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
                alerts.append(_alert(
                    kind=Alert.Kind.VOLUME, key=f"{user_id}:{day.isoformat()}", now=now, occurred_at=start,
                    user_id_snapshot=user_id, username=usernames[user_id],
                    summary=f"{usernames[user_id]} made {n} reads on {_long_date(day)}; their 30-day median is {usual:g}",
                    details={"day": day.isoformat(), "count": n, "median_30_days": usual}))
    return alerts


def audit_alerts_compute(*, since: datetime | None = None, until: datetime | None = None) -> int:
    """Scan reads of personal data in [since, until) (default: the last two days) for the
    scheduled alerts: out of hours, same surname, unusual volume. Idempotent.

    Break-glass and restricted-record alerts are not here: ``audit_record`` raises
    them with the event. Returns how many new alerts were raised.
    """
    now = timezone.now()
    until = until or now
    since = since or until - timedelta(days=2)
    events = list(
        AuditEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until, action__in=PERSONAL_DATA_READS)
        .order_by("seq")
        .values("id", "occurred_at", "user_id_snapshot", "username", "action", "subject_type", "subject_id")
    )
    candidates = _out_of_hours_alerts(events, now) + _shared_surname_alerts(events, now)
    candidates += _volume_alerts(since=since, until=until, now=now)
    with transaction.atomic():
        existing = set(
            Alert.objects.filter(dedupe_key__in=[a.dedupe_key for a in candidates]).values_list("dedupe_key", flat=True)
        )
        new = [a for a in candidates if a.dedupe_key not in existing]
        Alert.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def audit_alert_review(*, alert: Alert, reviewer, note: str, request=None) -> Alert:
    """Mark an alert reviewed with the reviewer's note; the review is itself audited."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write what you found and did."})
    if alert.status == Alert.Status.REVIEWED:
        raise ValidationError("This alert has already been reviewed.")
    alert.status = Alert.Status.REVIEWED
    alert.reviewed_by = reviewer
    alert.reviewed_at = timezone.now()
    alert.review_note = note
    alert.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    from .services import audit_record

    audit_record(
        action=AuditEvent.Action.ALERT_REVIEW, request=request, user=reviewer, subject_type="alert",
        subject_id=alert.pk, details={"kind": alert.kind, "note": note, "alert_user": alert.username},
    )
    return alert
