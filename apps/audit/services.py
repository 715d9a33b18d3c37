"""Writing the audit log. The one recording path for every search, view, export and access change."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant: serialises chain appends across concurrent PostgreSQL transactions.
_CHAIN_LOCK_KEY = 0x7F_A0D1_7C4A1

HASHED_FIELDS = (
    "occurred_at", "user_id_snapshot", "username", "role", "session_ref", "ip_address", "user_agent",
    "action", "subject_type", "subject_id", "record_ids", "purpose", "details", "result_count",
)


def event_hash(*, prev_hash: str, fields: dict) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event's fields."""
    canonical = {name: fields.get(name) for name in HASHED_FIELDS}
    occurred = canonical["occurred_at"]
    canonical["occurred_at"] = occurred.isoformat() if hasattr(occurred, "isoformat") else occurred
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _client_ip(request) -> str | None:
    # Behind a reverse proxy set it to overwrite REMOTE_ADDR; never trust X-Forwarded-For blindly here.
    return request.META.get("REMOTE_ADDR") or None


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions begin IMMEDIATE (settings), so writers are already serialised.


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
    """
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
        "username": (user.get_username() if authenticated else (details or {}).get("username", ""))[:150],
        "role": role,
        "session_ref": session_ref,
        "ip_address": ip,
        "user_agent": agent,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id) if subject_id != "" else "",
        "record_ids": [str(r) for r in record_ids],
        "purpose": purpose[:300],
        "details": details or {},
        "result_count": result_count,
    }
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        prev_hash = last or GENESIS_HASH
        return AuditEvent.objects.create(prev_hash=prev_hash, hash=event_hash(prev_hash=prev_hash, fields=fields), **fields)
