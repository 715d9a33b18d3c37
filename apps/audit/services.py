"""Writing the audit log. The one recording path for every search, view, export and access change.

* ``audit_record``: append one event to the hash chain, in the caller's transaction, and
  raise the alerts that must not wait (break-glass, a restricted record read) with it.
* ``audit_chain_verify``: recompute the chain, streaming; find altered, missing and cut-off rows.
* ``audit_retention_purge``: the only path the database lets delete audit rows.
* ``audit_alerts_compute`` / ``audit_alert_review``: the scheduled alerts, and a reviewer's review.
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

from .dbroles import CHAIN_LOCK_KEY, MIN_RETENTION_DAYS
from .models import Alert, AuditEvent, ChainCheckpoint, ChainHead, RetentionCheckpoint, RetentionWindow

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "seq", "occurred_at", "user_id_snapshot", "username", "role", "session_ref", "ip_address", "user_agent",
    "action", "subject_type", "subject_id", "record_ids", "purpose", "details", "result_count",
)
# Rows written before positions existed (up to ChainHead.legacy_through_seq) were hashed without one.
LEGACY_HASHED_FIELDS = HASHED_FIELDS[1:]

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


def event_hash(*, prev_hash: str, fields: dict, legacy: bool = False) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event's fields, its position included."""
    canonical = {name: fields.get(name) for name in (LEGACY_HASHED_FIELDS if legacy else HASHED_FIELDS)}
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
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: transactions begin IMMEDIATE (settings), so writers are already serialised.


def chain_head() -> tuple[int, str]:
    """The newest position and hash (0 and the genesis hash for an empty log)."""
    return ChainHead.objects.filter(id=1).values_list("last_seq", "last_hash").first() or (0, GENESIS_HASH)


def _append(fields: dict) -> AuditEvent:
    """Put ``fields`` at the next position, linked to the newest row. Caller holds no lock yet.

    The database checks the position and link again (an INSERT trigger) and moves the head on.
    """
    with transaction.atomic():
        _lock_chain()
        last_seq, prev_hash = chain_head()
        fields = {**fields, "seq": last_seq + 1}
        event = AuditEvent.objects.create(prev_hash=prev_hash, hash=event_hash(prev_hash=prev_hash, fields=fields), **fields)
        _raise_immediate_alerts(event)
        return event


def audit_record(
    *,
    action: AuditEvent.Action,
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
    if not isinstance(action, AuditEvent.Action):
        # A plain string (even a valid value) is refused, so every caller names a member and a renamed or
        # removed action fails where it is used, not in the reviewer's filters later.
        raise TypeError(f"audit_record(action=...) takes an AuditEvent.Action member, not {action!r}")
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
    event_id: int | None
    reason: str
    position: int | None = None

    def describe(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "the end of the log"
        at = f" (position {self.position})" if self.position is not None else ""
        return f"{where}{at}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    first_id: int | None
    last_id: int | None
    first_position: int | None
    last_position: int | None
    anchor: RetentionCheckpoint | None  # the retention purge the chain starts after; None: the genesis hash
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def anchored_on_retention(self) -> bool:
        return self.anchor is not None


_VERIFY_COLUMNS = ("id", "prev_hash", "hash", *HASHED_FIELDS)


def _stream_events(chunk_size: int, *, from_seq: int):
    """Events from position ``from_seq`` on, in chain order, in keyset-paginated chunks (constant memory)."""
    after = from_seq - 1
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq").values(*_VERIFY_COLUMNS)[:chunk_size])
        if not chunk:
            return
        yield from chunk
        after = chunk[-1]["seq"]


def _positions(first: int, last: int) -> str:
    return f"position {first} is" if first == last else f"positions {first} to {last} are"


def _end_break(head: ChainHead | None, *, last_position: int, last_hash: str, last_id: int | None) -> ChainBreak | None:
    """The rows end where the database's chain head says the chain ends."""
    if head is None:
        return ChainBreak(last_id, "the chain head (audit_chainhead) is missing", last_position) if last_id else None
    if head.last_seq > last_position:
        return ChainBreak(head.last_event_id, f"{_positions(last_position + 1, head.last_seq)} missing at the end: "
                                              "the newest rows were cut off", last_position + 1)
    if head.last_seq < last_position or head.last_hash != last_hash:
        return ChainBreak(last_id, "the newest row does not match the chain head (rows were rewritten)", last_position)
    return None


def _checkpoint_break(first_id: int | None) -> ChainBreak | None:
    """The row the verifier last saw intact is still there, unchanged (unless retention purged it)."""
    checkpoint = ChainCheckpoint.objects.first()
    if checkpoint is None or (first_id is not None and checkpoint.last_event_id < first_id):
        return None
    kept = AuditEvent.objects.filter(id=checkpoint.last_event_id).values_list("hash", flat=True).first()
    if kept == checkpoint.last_hash:
        return None
    return ChainBreak(checkpoint.last_event_id, f"was verified on {checkpoint.verified_at:%Y-%m-%d %H:%M} and is now "
                                                "missing or altered (rows were rewritten)")


def _check_chain(chunk_size: int) -> ChainReport:
    head = ChainHead.objects.filter(id=1).first()
    anchor = RetentionCheckpoint.objects.order_by("-last_seq").first()
    legacy_through = head.legacy_through_seq if head else 0
    position = anchor.last_seq + 1 if anchor else 1
    expected_prev = anchor.last_hash if anchor else GENESIS_HASH
    first_position, rows, first_id, last_id = position, 0, None, None

    def report(broken: ChainBreak | None) -> ChainReport:
        span = (first_position, position - 1) if rows else (None, None)
        return ChainReport(rows, first_id, last_id, *span, anchor, broken)

    for row in _stream_events(chunk_size, from_seq=position):
        if row["seq"] != position:
            return report(ChainBreak(row["id"], f"{_positions(position, row['seq'] - 1)} missing before it: "
                                                "deleted, and not by a retention purge", position))
        if row["prev_hash"] != expected_prev:
            return report(ChainBreak(row["id"], "does not link to the row before it (that row was altered or replaced)",
                                     position))
        if event_hash(prev_hash=row["prev_hash"], fields=row, legacy=row["seq"] <= legacy_through) != row["hash"]:
            return report(ChainBreak(row["id"], "its contents do not match its hash (the row was altered)", position))
        first_id = first_id or row["id"]
        last_id, expected_prev = row["id"], row["hash"]
        rows += 1
        position += 1
    return report(_end_break(head, last_position=position - 1, last_hash=expected_prev, last_id=last_id)
                  or _checkpoint_break(first_id))


def audit_chain_verify(*, chunk_size: int = 5000) -> ChainReport:
    """Recompute the whole chain in order of position: every row present, linked and unaltered,
    from the last retention purge (or the genesis hash) to the database's chain head.

    On a break, log an error and raise an alert naming the first broken row and its position;
    when intact, move the checkpoint on."""
    report = _check_chain(chunk_size)
    now = timezone.now()
    if report.broken is not None:
        broken = report.broken
        logger.error("Audit chain broken at %s", broken.describe())
        with transaction.atomic():
            Alert.objects.get_or_create(
                dedupe_key=f"chain_break:{broken.event_id}:{broken.position}",
                defaults={
                    "kind": Alert.Kind.CHAIN_BREAK,
                    "raised_at": now,
                    "occurred_at": now,
                    "event_id": broken.event_id,
                    "summary": f"Audit chain broken at {broken.describe()}"[:300],
                    "details": {"rows_checked": report.rows_checked, "position": broken.position,
                                "reason": broken.reason},
                },
            )
    elif report.last_id is not None:
        last_hash = AuditEvent.objects.filter(id=report.last_id).values_list("hash", flat=True).get()
        ChainCheckpoint.objects.create(
            verified_at=now, last_event_id=report.last_id, last_hash=last_hash, rows_checked=report.rows_checked
        )
    return report


# --- retention ------------------------------------------------------------------------


def _purge_postgresql(cutoff: datetime) -> RetentionCheckpoint | None:
    """The database function owned by the audit owner role deletes and writes the checkpoint (migration 0004)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT audit_retention_purge(%s)", [cutoff])
        checkpoint_id = cursor.fetchone()[0]
    return None if checkpoint_id is None else RetentionCheckpoint.objects.get(pk=checkpoint_id)


def _purge_sqlite(cutoff: datetime) -> RetentionCheckpoint | None:
    """The same rule as the PostgreSQL function, through the retention window the delete trigger reads."""
    boundary = AuditEvent.objects.filter(occurred_at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    doomed = AuditEvent.objects.all() if boundary is None else AuditEvent.objects.filter(seq__lt=boundary)
    last = doomed.order_by("-seq").values("id", "seq", "hash", "occurred_at").first()
    if last is None:
        return None
    first_seq = doomed.order_by("seq").values_list("seq", flat=True).first()
    RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": cutoff})
    deleted = AuditEvent.objects.filter(seq__lte=last["seq"]).delete()[0]
    RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": None})
    return RetentionCheckpoint.objects.create(
        purged_at=timezone.now(), cutoff=cutoff, first_seq=first_seq, last_seq=last["seq"], last_event_id=last["id"],
        last_hash=last["hash"], last_occurred_at=last["occurred_at"], deleted=deleted, db_user="",
    )


@transaction.atomic
def audit_retention_purge(*, retention_days: int | None = None) -> AuditEvent | None:
    """Delete the events older than the retention period and record that it did.

    Deletes a prefix of the chain: every row before the oldest row still inside
    the period, so what remains is one unbroken chain. The purge leaves a
    ``RetentionCheckpoint`` (the last deleted position and hash), where the
    verifier starts the chain, and a ``retention`` event in the chain itself.
    On PostgreSQL the database function does the deleting, the only code that
    may; it refuses a cut-off less than ``MIN_RETENTION_DAYS`` ago.
    Returns the retention event, or None when nothing was old enough.
    """
    retention_days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(f"retention_days must be at least {MIN_RETENTION_DAYS}")
    cutoff = timezone.now() - timedelta(days=retention_days)
    _lock_chain()
    checkpoint = (_purge_postgresql if connection.vendor == "postgresql" else _purge_sqlite)(cutoff)
    if checkpoint is None:
        return None
    event = audit_record(
        action=AuditEvent.Action.RETENTION,
        subject_type="audit",
        details={
            "deleted": checkpoint.deleted,
            "retention_days": retention_days,
            "cutoff": cutoff.isoformat(),
            "checkpoint": checkpoint.pk,
            "first_deleted_position": checkpoint.first_seq,
            "last_deleted_position": checkpoint.last_seq,
            "last_deleted_id": checkpoint.last_event_id,
            "last_deleted_hash": checkpoint.last_hash,
            "last_deleted_occurred_at": checkpoint.last_occurred_at.isoformat(),
        },
        result_count=checkpoint.deleted,
    )
    logger.info("Audit retention removed %s events older than %s", checkpoint.deleted, cutoff.isoformat())
    return event


# --- alerts ------------------------------------------------------------------------------


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


def _is_restricted(kind: str, pk: str) -> bool:
    from apps.people.restriction import RESTRICTABLE  # people's services record through this module

    if kind not in RESTRICTABLE or not pk.isdigit():
        return False
    return RESTRICTABLE[kind][0].objects.filter(pk=int(pk), is_restricted=True).exists()


def _raise_immediate_alerts(event: AuditEvent) -> None:
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
    audit_record(
        action=AuditEvent.Action.ALERT_REVIEW, request=request, user=reviewer, subject_type="alert",
        subject_id=alert.pk, details={"kind": alert.kind, "note": note, "alert_user": alert.username},
    )
    return alert
