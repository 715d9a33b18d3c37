"""Writes of the indicators app: the refresh of derived indicators, risk scores and family criteria."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from apps.people.models import Family
from thinkfamily import worker_lock

from .models import RefreshRun
from .refresh import Progress, Scope, refresh

logger = logging.getLogger(__name__)

# pg_advisory_lock(namespace, run id) is held by the process running a refresh, for the run's whole life.
_RUN_LOCK_NAMESPACE = 0x1F0C
DEAD_RUN_REASON = "worker stopped: no process holds the run's lock"


def refresh_runs_dead_mark() -> list[RefreshRun]:
    """Mark FAILED every refresh still "running" that no process runs any more; return them.

    Its transaction died with its process, so nothing it computed was kept
    (the figures are the previous run's). Called when a refresh is requested
    and by pages that show refresh runs.
    """
    stopped = []
    for run in RefreshRun.objects.filter(status=RefreshRun.Status.RUNNING).order_by("pk"):
        with worker_lock.unless_worker_alive(_RUN_LOCK_NAMESPACE, run.pk, worker=run.worker) as dead:
            if not dead:
                continue
            reason = f"{DEAD_RUN_REASON} (process {run.worker or 'unknown'} stopped); nothing it computed was kept."
            if RefreshRun.objects.filter(pk=run.pk, status=RefreshRun.Status.RUNNING).update(
                status=RefreshRun.Status.FAILED, error=reason, finished_at=timezone.now()
            ):
                logger.warning("Refresh run %s marked failed: %s", run.pk, reason)
                run.status, run.error = RefreshRun.Status.FAILED, reason
                stopped.append(run)
    return stopped


def indicators_refresh(
    *, family_reference: str | None = None, as_of: dt.date | None = None, progress: Progress | None = None
) -> RefreshRun:
    """Refresh everyone, or only the members and families of one family (``family_reference``).

    The figures change in one transaction: readers see the old ones until the
    new ones are complete, and a failure changes nothing (the returned run, or
    the ``RefreshRun`` row of a failure, says what happened). Raises
    ``Family.DoesNotExist`` for an unknown reference. The process holds the
    run's lock while it runs; a run whose process died is marked failed by the
    next refresh or the scheduled check (``refresh_runs_dead_mark``, from ``dead_runs_mark_task``).
    """
    as_of = as_of or timezone.localdate()
    scope = Scope.of_family(Family.objects.get(reference=family_reference)) if family_reference else Scope.everyone()
    refresh_runs_dead_mark()
    with transaction.atomic():  # others see the run only once this process holds its lock
        run = RefreshRun.objects.create(
            scope=RefreshRun.Scope.FAMILY if family_reference else RefreshRun.Scope.FULL,
            family_reference=family_reference or "", as_of=as_of, worker=worker_lock.worker_name(),
        )
        worker_lock.lock_acquire(_RUN_LOCK_NAMESPACE, run.pk)
    try:
        return refresh(run=run, scope=scope, progress=progress or (lambda stage, **figures: None))
    finally:
        worker_lock.lock_release(_RUN_LOCK_NAMESPACE, run.pk)
