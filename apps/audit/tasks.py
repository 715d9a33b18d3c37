"""Scheduled audit jobs (see CELERY_BEAT_SCHEDULE): thin wrappers over verification, retention and alerts."""

from __future__ import annotations

from celery import shared_task

from .alerts import audit_alerts_compute
from .retention import audit_retention_purge
from .verification import audit_chain_verify


@shared_task(name="apps.audit.tasks.audit_verify_task")
def audit_verify_task() -> dict:
    """Recompute the hash chain; a break raises an alert and logs an error."""
    report = audit_chain_verify()
    return {
        "ok": report.ok,
        "rows_checked": report.rows_checked,
        "broken_event_id": report.broken.event_id if report.broken else None,
    }


@shared_task(name="apps.audit.tasks.audit_retention_task")
def audit_retention_task() -> int:
    """Purge events past AUDIT_RETENTION_DAYS; returns how many were removed."""
    event = audit_retention_purge()
    return event.result_count if event else 0


@shared_task(name="apps.audit.tasks.audit_alerts_task")
def audit_alerts_task() -> int:
    """Scan the last two days of events into reviewer alerts; returns how many are new."""
    return audit_alerts_compute()
