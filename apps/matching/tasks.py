"""Celery tasks: thin wrappers over ``services``."""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import MatchRun


@shared_task(name="apps.matching.tasks.match_run_task")
def match_run_task(run_id: int) -> str:
    """Execute a queued match run."""
    run = services.match_run_execute(run=MatchRun.objects.get(pk=run_id))
    return run.status


@shared_task(name="apps.matching.tasks.nightly_full_match_task")
def nightly_full_match_task() -> str:
    """The nightly full re-run (train, predict, cluster, project); skipped if a run is in progress."""
    try:
        run = services.match_run_create(kind=MatchRun.Kind.FULL)
    except services.MatchingError as exc:
        return f"skipped: {exc}"
    return services.match_run_execute(run=run).status
