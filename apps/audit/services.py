"""Writing the audit log. The one recording path for every search, view, export and access change.

* ``audit_record``: append one event to the hash chain, in the caller's transaction.
* ``audit_chain_verify``: recompute the chain, streaming; raise an alert on a break.
* ``audit_retention_purge``: the only path the database lets delete audit rows.
* ``audit_alerts_compute`` / ``audit_alert_review``: reviewer alerts.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Alert, AuditEvent, ChainCheckpoint, RetentionWindow

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Any constant: serialises chain appends across concurrent PostgreSQL transactions.
_CHAIN_LOCK_KEY = 0x7F_A0D1_7C4A1

HASHED_FIELDS = (
    "occurred_at", "user_id_snapshot", "username", "role", "session_ref", "ip_address", "user_agent",
    "action", "subject_type", "subject_id", "record_ids", "purpose", "details", "result_count",
)

# Volume alert: a day above VOLUME_FACTOR x the user's 30-day median and above VOLUME_FLOOR.
VOLUME_FACTOR = 3
VOLUME_FLOOR = 50

# Actions that read personal data: the ones volume and out-of-hours alerts count.
DATA_ACCESS_ACTIONS = (
    AuditEvent.Action.SEARCH,
    AuditEvent.Action.VIEW_PERSON,
    AuditEvent.Action.VIEW_FAMILY,
    AuditEvent.Action.VIEW_ATTENDANCE,
    AuditEvent.Action.VIEW_ADDRESSES,
    AuditEvent.Action.VIEW_RECORD,
    AuditEvent.Action.EXPORT,
    AuditEvent.Action.BREAK_GLASS,
)


def event_hash(*, prev_hash: str, fields: dict) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event's fields."""
    canonical = {name: fields.get(name) for name in HASHED_FIELDS}
    occurred = canonical["occurred_at"]
    canonical["occurred_at"] = occurred.isoformat() if hasattr(occurred, "isoformat") else occurred
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _json_roundtrip(value):
    """What the JSON column will give back, so the hash is computed over exactly what is stored."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _client_ip(request) -> str | None:
    """REMOTE_ADDR in the canonical form the database gives back (so the hash still matches).

    Behind a reverse proxy set it to overwrite REMOTE_ADDR; never trust X-Forwarded-For blindly here.
    """
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR") or ""))
    except ValueError:
        return None


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions begin IMMEDIATE (settings), so writers are already serialised.


def _append(fields: dict) -> AuditEvent:
    """Link ``fields`` to the newest row and insert them. Caller holds no lock yet."""
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        prev_hash = last or GENESIS_HASH
        return AuditEvent.objects.create(prev_hash=prev_hash, hash=event_hash(prev_hash=prev_hash, fields=fields), **fields)


def audit_record(
    *,
    action: str,
    request=None,
    user=None,
    subject_type: str = "",
    subject_id: str | int = "",
    record_ids: Iterable = (),
    purpose: str = "",
    details: dict | None = None,
    result_count: int | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    If this raises, the caller's transaction rolls back and the user gets an
    error, not the data: nothing is read without its record.

    On PostgreSQL the chain lock is transaction-scoped: it is held until the
    caller's transaction (the request, under ATOMIC_REQUESTS) ends, which is
    what keeps concurrent writers from forking the chain.
    """
    if action not in AuditEvent.Action.values:
        raise ValueError(f"Unknown audit action {action!r}")
    if user is None and request is not None:
        user = request.user
    role = ""
    session_ref = ""
    ip = None
    agent = ""
    if request is not None:
        from apps.accounts.access import access_for

        if user is not None and getattr(user, "is_authenticated", False):
            active = access_for(user, request).active_role
            role = active.slug if active else ""
        session_key = getattr(getattr(request, "session", None), "session_key", None) or ""
        session_ref = hashlib.sha256(session_key.encode()).hexdigest() if session_key else ""
        ip = _client_ip(request)
        agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    fields = {
        "occurred_at": timezone.now(),
        "user_id_snapshot": user.pk if authenticated else None,
        "username": str(user.get_username() if authenticated else (details or {}).get("username", ""))[:150],
        "role": role,
        "session_ref": session_ref,
        "ip_address": ip,
        "user_agent": agent,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id)[:40] if subject_id not in ("", None) else "",
        "record_ids": [str(r) for r in record_ids],
        "purpose": (purpose or "")[:300],
        "details": _json_roundtrip(details or {}),
        "result_count": result_count,
    }
    return _append(fields)


# --- verification ------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    first_id: int | None
    last_id: int | None
    anchored_on_retention: bool
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


_VERIFY_COLUMNS = ("id", "prev_hash", "hash", *HASHED_FIELDS)


def _stream_events(chunk_size: int):
    """All events in chain order, fetched in keyset-paginated chunks (constant memory)."""
    after = 0
    while True:
        chunk = list(
            AuditEvent.objects.filter(id__gt=after).order_by("id").values(*_VERIFY_COLUMNS)[:chunk_size]
        )
        if not chunk:
            return
        yield from chunk
        after = chunk[-1]["id"]


def _retention_anchor_exists(*, first_id: int, prev_hash: str) -> bool:
    """A retention event says it purged the row whose hash the first remaining row links to."""
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.RETENTION,
        details__last_deleted_hash=prev_hash,
        details__last_deleted_id__lt=first_id,
    ).exists()


def _check_chain(chunk_size: int) -> ChainReport:
    rows = 0
    first_id = last_id = None
    expected_prev = None
    anchored = False
    for row in _stream_events(chunk_size):
        if first_id is None:
            first_id = row["id"]
            if row["prev_hash"] != GENESIS_HASH:
                if not _retention_anchor_exists(first_id=row["id"], prev_hash=row["prev_hash"]):
                    return ChainReport(rows, first_id, last_id, anchored, ChainBreak(
                        row["id"], "links to a row that is missing and no retention purge accounts for it"))
                anchored = True
        elif row["prev_hash"] != expected_prev:
            return ChainReport(rows, first_id, last_id, anchored, ChainBreak(
                row["id"], "does not link to the previous row (a row before it was deleted or altered)"))
        if event_hash(prev_hash=row["prev_hash"], fields=row) != row["hash"]:
            return ChainReport(rows, first_id, last_id, anchored, ChainBreak(
                row["id"], "its contents do not match its hash (the row was altered)"))
        expected_prev = row["hash"]
        last_id = row["id"]
        rows += 1

    checkpoint = ChainCheckpoint.objects.first()
    if checkpoint is not None and (first_id is None or checkpoint.last_event_id >= first_id):
        kept = AuditEvent.objects.filter(id=checkpoint.last_event_id).values_list("hash", flat=True).first()
        if kept != checkpoint.last_hash:
            return ChainReport(rows, first_id, last_id, anchored, ChainBreak(
                checkpoint.last_event_id,
                f"was verified on {checkpoint.verified_at:%Y-%m-%d %H:%M} and is now missing or altered "
                "(the end of the log was cut off)"))
    return ChainReport(rows, first_id, last_id, anchored, None)


def audit_chain_verify(*, chunk_size: int = 5000) -> ChainReport:
    """Recompute the whole chain in id order. On a break, log an error and raise
    an alert naming the first broken row; when intact, move the checkpoint on."""
    report = _check_chain(chunk_size)
    now = timezone.now()
    if report.broken is not None:
        logger.error("Audit chain broken at event %s: %s", report.broken.event_id, report.broken.reason)
        with transaction.atomic():
            Alert.objects.get_or_create(
                dedupe_key=f"chain_break:{report.broken.event_id}",
                defaults={
                    "kind": Alert.Kind.CHAIN_BREAK,
                    "raised_at": now,
                    "occurred_at": now,
                    "event_id": report.broken.event_id,
                    "summary": f"Audit chain broken at event {report.broken.event_id}: {report.broken.reason}",
                    "details": {"rows_checked": report.rows_checked},
                },
            )
    elif report.last_id is not None:
        last_hash = AuditEvent.objects.filter(id=report.last_id).values_list("hash", flat=True).get()
        ChainCheckpoint.objects.create(
            verified_at=now, last_event_id=report.last_id, last_hash=last_hash, rows_checked=report.rows_checked
        )
    return report


# --- retention ------------------------------------------------------------------------


def _open_retention_window(cutoff: datetime) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('thinkfamily.audit_retention', 'on', true), "
                "set_config('thinkfamily.audit_retention_before', %s, true)",
                [cutoff.isoformat()],
            )
    else:
        RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": cutoff})


def _close_retention_window() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('thinkfamily.audit_retention', 'off', true), "
                "set_config('thinkfamily.audit_retention_before', '', true)"
            )
    else:
        RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": None})


@transaction.atomic
def audit_retention_purge(*, retention_days: int | None = None, now: datetime | None = None) -> AuditEvent | None:
    """Delete the events older than the retention period and record that it did.

    Deletes a prefix of the chain: every row before the oldest row still inside
    the period, so the remaining rows form one unbroken chain whose first row
    links to the last deleted row, whose hash the retention event keeps.
    Returns the retention event, or None when nothing was old enough.
    """
    retention_days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days)
    _lock_chain()
    boundary = AuditEvent.objects.filter(occurred_at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
    doomed = AuditEvent.objects.filter(occurred_at__lt=cutoff)
    if boundary is not None:
        doomed = doomed.filter(id__lt=boundary)
    last = doomed.order_by("-id").values("id", "hash", "occurred_at").first()
    if last is None:
        return None
    first_id = doomed.order_by("id").values_list("id", flat=True).first()
    _open_retention_window(cutoff)
    deleted = AuditEvent.objects.filter(id__lte=last["id"]).delete()[0]
    _close_retention_window()
    event = audit_record(
        action=AuditEvent.Action.RETENTION,
        subject_type="audit",
        details={
            "deleted": deleted,
            "retention_days": retention_days,
            "cutoff": cutoff.isoformat(),
            "first_deleted_id": first_id,
            "last_deleted_id": last["id"],
            "last_deleted_hash": last["hash"],
            "last_deleted_occurred_at": last["occurred_at"].isoformat(),
        },
        result_count=deleted,
    )
    logger.info("Audit retention removed %s events older than %s", deleted, cutoff.isoformat())
    return event


# --- alerts ------------------------------------------------------------------------------


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def _is_out_of_hours(dt: datetime) -> bool:
    start, end = settings.WORKING_HOURS
    local = _local(dt)
    return local.weekday() >= 5 or not (start <= local.hour < end)


def _alert(*, kind: str, key: str, now: datetime, occurred_at: datetime, summary: str, **fields) -> Alert:
    return Alert(kind=kind, dedupe_key=f"{kind}:{key}", raised_at=now, occurred_at=occurred_at, summary=summary, **fields)


def _event_alerts(events: list[dict], now: datetime) -> list[Alert]:
    """Per-event alerts: break-glass and restricted records; per user-day: out of hours."""
    from apps.people.models import Family, Person

    alerts = []
    out_of_hours: dict[tuple[int, date], list[dict]] = defaultdict(list)
    person_ids = {e["subject_id"] for e in events if e["subject_type"] == "person" and e["subject_id"].isdigit()}
    family_ids = {e["subject_id"] for e in events if e["subject_type"] == "family" and e["subject_id"].isdigit()}
    restricted = {
        ("person", str(pk)) for pk in Person.objects.filter(pk__in=person_ids, is_restricted=True).values_list("pk", flat=True)
    } | {
        ("family", str(pk)) for pk in Family.objects.filter(pk__in=family_ids, is_restricted=True).values_list("pk", flat=True)
    }
    for e in events:
        who = {"user_id_snapshot": e["user_id_snapshot"], "username": e["username"], "event_id": e["id"],
               "subject_type": e["subject_type"], "subject_id": e["subject_id"]}
        if e["action"] == AuditEvent.Action.BREAK_GLASS:
            reason = e["purpose"] or e["details"].get("reason", "")
            alerts.append(_alert(
                kind=Alert.Kind.BREAK_GLASS, key=str(e["id"]), now=now, occurred_at=e["occurred_at"],
                summary=f"{e['username']} broke the glass on {e['subject_type']} {e['subject_id']}",
                details={"reason": reason}, **who))
        elif (e["subject_type"], e["subject_id"]) in restricted:
            alerts.append(_alert(
                kind=Alert.Kind.RESTRICTED, key=str(e["id"]), now=now, occurred_at=e["occurred_at"],
                summary=f"{e['username']} opened restricted {e['subject_type']} {e['subject_id']}",
                details={"action": e["action"]}, **who))
        if e["user_id_snapshot"] is not None and _is_out_of_hours(e["occurred_at"]):
            out_of_hours[(e["user_id_snapshot"], _local(e["occurred_at"]).date())].append(e)
    for (user_id, day), day_events in out_of_hours.items():
        first = day_events[0]
        alerts.append(_alert(
            kind=Alert.Kind.OUT_OF_HOURS, key=f"{user_id}:{day.isoformat()}", now=now, occurred_at=first["occurred_at"],
            user_id_snapshot=user_id, username=first["username"], event_id=first["id"],
            summary=f"{first['username']} read personal data out of hours on {day:%A %d %B %Y} ({len(day_events)} events)",
            details={"day": day.isoformat(), "count": len(day_events), "event_ids": [e["id"] for e in day_events[:50]]}))
    return alerts


def _shared_surname_alerts(events: list[dict], now: datetime) -> list[Alert]:
    from django.contrib.auth import get_user_model

    from apps.people.models import Person

    views = [e for e in events if e["subject_type"] == "person" and e["subject_id"].isdigit() and e["user_id_snapshot"]]
    if not views:
        return []
    surnames = dict(Person.objects.filter(pk__in={int(e["subject_id"]) for e in views}).values_list("pk", "surname"))
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
            action__in=DATA_ACCESS_ACTIONS, user_id_snapshot__isnull=False,
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
                    summary=f"{usernames[user_id]} made {n} reads on {day:%d %B %Y}; their 30-day median is {usual:g}",
                    details={"day": day.isoformat(), "count": n, "median_30_days": usual}))
    return alerts


def audit_alerts_compute(*, since: datetime | None = None, until: datetime | None = None) -> int:
    """Scan events in [since, until) (default: the last two days) into alerts. Idempotent.

    Returns how many new alerts were raised.
    """
    now = timezone.now()
    until = until or now
    since = since or until - timedelta(days=2)
    events = list(
        AuditEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until, action__in=DATA_ACCESS_ACTIONS)
        .order_by("id")
        .values("id", "occurred_at", "user_id_snapshot", "username", "action", "subject_type", "subject_id",
                "purpose", "details")
    )
    candidates = _event_alerts(events, now) + _shared_surname_alerts(events, now)
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
    audit_record(
        action=AuditEvent.Action.ALERT_REVIEW, request=request, user=reviewer, subject_type="alert",
        subject_id=alert.pk, details={"kind": alert.kind, "note": note, "alert_user": alert.username},
    )
    return alert
