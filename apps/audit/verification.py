"""Verifying the audit chain: recompute it, streaming, and find altered, missing and cut-off rows.

``audit_chain_verify`` is run hourly (``tasks.audit_verify_task``) and by ``manage.py audit_verify``.
It reads the chain in order of position from the latest retention checkpoint (or the genesis hash)
to the database's chain head; on the first break it logs an error and raises a ``chain_break`` alert,
and when the chain is intact it moves the ``ChainCheckpoint`` on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .chain import GENESIS_HASH, HASHED_FIELDS, event_hash
from .models import Alert, AuditEvent, ChainCheckpoint, ChainHead, RetentionCheckpoint

logger = logging.getLogger(__name__)


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


