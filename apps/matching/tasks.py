"""Celery tasks: thin wrappers over ``services``."""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import MatchRun


def _refresh_after(run: MatchRun) -> None:
    """Persons and families changed: refresh indicators, risk scores and family criteria."""
    if run.status == MatchRun.Status.COMPLETED:
        from apps.indicators.tasks import refresh_indicators_task

        refresh_indicators_task.delay()


@shared_task(name="apps.matching.tasks.match_run_task")
def match_run_task(run_id: int) -> str:
    """Execute a queued match run, then refresh the indicators.

    A run that is not waiting any more (a redelivered message, or a run that a
    later request replaced while it sat in the queue) is skipped.
    """
    try:
        run = services.match_run_execute(run=MatchRun.objects.get(pk=run_id))
    except services.MatchingError as exc:
        return f"skipped: {exc}"
    _refresh_after(run)
    return run.status


@shared_task(name="apps.matching.tasks.link_new_extract_task")
def link_new_extract_task(dataset_id: int) -> str:
    """After a dataset's new extract is loaded: link its records into existing persons (incremental), then refresh."""
    from apps.sources.models import Dataset

    try:
        run = services.match_run_start(kind=MatchRun.Kind.INCREMENTAL, dataset=Dataset.objects.get(pk=dataset_id))
    except services.MatchingError as exc:
        return f"skipped: {exc}"
    _refresh_after(run)
    return run.status


@shared_task(name="apps.matching.tasks.nightly_full_match_task")
def nightly_full_match_task() -> str:
    """The nightly full re-run (train, predict, cluster, project); skipped if a run is in progress."""
    try:
        run = services.match_run_start(kind=MatchRun.Kind.FULL)
    except services.MatchingError as exc:
        return f"skipped: {exc}"
    _refresh_after(run)
    return run.status
