"""Writing the audit log: ``audit_record``, the one recording path for every search, view, export,
sign-in and access change, in every app.

It appends one event to the hash chain (``chain``) in the caller's transaction and raises, with it,
the alerts that must not wait (``alerts.raise_immediate_alerts``: break-glass, a restricted record
read). The rest of the audit log's machinery has its own module, each one thing: ``verification``
(recompute the chain), ``retention`` (the only delete), ``alerts`` (the rules, the scheduled scan and
a reviewer's review). This module imports only ``chain`` and ``alerts.raise_immediate_alerts``;
``retention`` and ``alerts.audit_alert_review`` record through it.

Tests that make every write fail patch ``event_hash`` here (``_append`` looks it up in this module).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .alerts import raise_immediate_alerts
from .chain import chain_head, event_hash, lock_chain
from .models import AuditEvent


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


def _append(fields: dict) -> AuditEvent:
    """Put ``fields`` at the next position, linked to the newest row. Caller holds no lock yet.

    The database checks the position and link again (an INSERT trigger) and moves the head on.
    """
    with transaction.atomic():
        lock_chain()
        last_seq, prev_hash = chain_head()
        fields = {**fields, "seq": last_seq + 1}
        event = AuditEvent.objects.create(prev_hash=prev_hash, hash=event_hash(prev_hash=prev_hash, fields=fields), **fields)
        raise_immediate_alerts(event)
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
