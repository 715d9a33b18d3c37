"""The hash chain's definition: how an event is hashed, where the chain starts, its head, and its lock.

Shared by the one write path (``services.audit_record``), the verifier (``verification``), the
retention purge (``retention``) and the benchmark that seeds events by COPY. Nothing here writes.
"""

from __future__ import annotations

import hashlib
import json

from django.db import connection

from .dbroles import CHAIN_LOCK_KEY
from .models import ChainHead

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "seq", "occurred_at", "user_id_snapshot", "username", "role", "session_ref", "ip_address", "user_agent",
    "action", "subject_type", "subject_id", "record_ids", "purpose", "details", "result_count",
)
# Rows written before positions existed (up to ChainHead.legacy_through_seq) were hashed without one.
LEGACY_HASHED_FIELDS = HASHED_FIELDS[1:]


def event_hash(*, prev_hash: str, fields: dict, legacy: bool = False) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event's fields, its position included."""
    canonical = {name: fields.get(name) for name in (LEGACY_HASHED_FIELDS if legacy else HASHED_FIELDS)}
    occurred = canonical["occurred_at"]
    canonical["occurred_at"] = occurred.isoformat() if hasattr(occurred, "isoformat") else occurred
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def lock_chain() -> None:
    """Serialise appends (and the retention purge) until the caller's transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: transactions begin IMMEDIATE (settings), so writers are already serialised.


def chain_head() -> tuple[int, str]:
    """The newest position and hash (0 and the genesis hash for an empty log)."""
    return ChainHead.objects.filter(id=1).values_list("last_seq", "last_hash").first() or (0, GENESIS_HASH)
