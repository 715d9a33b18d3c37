"""Celery tasks: thin wrappers over ``services.indicators_refresh``."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from .services import indicators_refresh


@shared_task(name="apps.indicators.tasks.refresh_indicators_task")
def refresh_indicators_task(family_reference: str | None = None, as_of: str | None = None) -> dict:
    """Refresh everyone (nightly, after import and match) or one family; returns the run's figures."""
    run = indicators_refresh(
        family_reference=family_reference, as_of=dt.date.fromisoformat(as_of) if as_of else None
    )
    return {
        "run": run.pk, "status": run.status, "duration_seconds": run.duration_seconds, "added": run.added,
        "removed": run.removed, "newly_eligible": len(run.newly_eligible),
    }
