"""Writes for matching: start and run match runs, record reviewers' decisions."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.sources.models import Dataset, SourceRecord
from thinkfamily import worker_lock

from . import splink_model
from .config import MatchingConfig
from .models import ClericalPair, MatchRun, ReviewDecision, ThresholdSetting
from .runs import run_execute

logger = logging.getLogger(__name__)


class MatchingError(Exception):
    """A run cannot start or a decision cannot be recorded; the message says why."""


def last_full_run() -> MatchRun | None:
    return MatchRun.objects.filter(kind=MatchRun.Kind.FULL, status=MatchRun.Status.COMPLETED).order_by("-pk").first()


# pg_advisory_lock(namespace, run id) is held by the process that took a run, for the run's whole life;
# (namespace, 0) serialises requests for a new run.
_RUN_LOCK_NAMESPACE = 0x1F0B
DEAD_RUN_REASON = "worker stopped: no process holds the run's lock"


# A queued run is replaced only by a request for a run at least as wide: a full run links every record,
# so an incremental request while a full run waits is refused (the full run links the new records anyway).
REPLACES = {
    MatchRun.Kind.FULL: frozenset({MatchRun.Kind.FULL, MatchRun.Kind.INCREMENTAL}),
    MatchRun.Kind.INCREMENTAL: frozenset({MatchRun.Kind.INCREMENTAL}),
}


def match_runs_dead_mark(*, replaced_by: str | None = None) -> list[MatchRun]:
    """Mark FAILED every waiting or running run that no process works on any more; return them.

    A process that takes a run holds its lock until the run ends
    (``thinkfamily.worker_lock``); a killed process drops it. A run still in
    the Celery queue (waiting, taken by no process) cannot be judged that way,
    since its message may yet be delivered: it is marked only when a new run of
    kind ``replaced_by`` is being requested and replaces it, which a run of the
    same or a wider kind does (``REPLACES``; should its message arrive later, the
    worker finds the run failed and skips it). Pages that list runs and the
    scheduled check call this without ``replaced_by``.
    """
    replaceable = REPLACES.get(replaced_by, frozenset())
    stopped = []
    for run in MatchRun.objects.filter(status__in=[MatchRun.Status.PENDING, MatchRun.Status.RUNNING]).order_by("pk"):
        if run.status == MatchRun.Status.PENDING and not run.worker and run.kind not in replaceable:
            continue
        with worker_lock.unless_worker_alive(_RUN_LOCK_NAMESPACE, run.pk, worker=run.worker) as dead:
            if not dead:
                continue
            if run.status == MatchRun.Status.RUNNING:
                detail = f"it was at stage {run.stage or 'start'} in process {run.worker}"
            elif run.worker:
                detail = f"process {run.worker} stopped before the run started"
            else:
                detail = "no worker had taken it from the task queue when another run was requested, which replaces it"
            reason = f"{DEAD_RUN_REASON} ({detail})."
            marked = MatchRun.objects.filter(pk=run.pk, status=run.status).update(
                status=MatchRun.Status.FAILED, failure_reason=reason, finished_at=timezone.now()
            )
            if marked:
                logger.warning("Match run %s marked failed: %s", run.pk, reason)
                run.status, run.failure_reason = MatchRun.Status.FAILED, reason
                stopped.append(run)
    return stopped


def match_run_create(*, kind: str = MatchRun.Kind.FULL, dataset: Dataset | None = None, user=None,
                     model: dict | None = None, take: bool = False) -> MatchRun:
    """Queue a run. Incremental runs need a dataset and reuse the last full run's model.

    ``model``: a Splink model JSON to use instead of training (full runs) or of the last full run's.
    Runs left waiting or running by a process that died, and queued runs this
    one replaces, are marked failed first (``match_runs_dead_mark``); a live
    one, or a queued run of a wider kind, refuses the new run. ``take``: this
    process will execute the run itself and holds its lock from now on
    (``match_run_start``), so that dying before it starts is seen too.
    """
    config = MatchingConfig.for_next_run()
    if kind == MatchRun.Kind.INCREMENTAL:
        if dataset is None:
            raise MatchingError("An incremental run needs the dataset whose new extract it links.")
        if model is None:
            previous = last_full_run()
            if previous is None:
                raise MatchingError("No completed full run yet: run a full match first (manage.py match).")
            model = previous.model
        if not splink_model.model_is_current(model):
            raise MatchingError(
                "The last full run's model was trained on other comparisons than this version's: "
                "run a full match first (manage.py match)."
            )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # one request at a time decides, until it commits
                cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_RUN_LOCK_NAMESPACE])
        match_runs_dead_mark(replaced_by=kind)
        if MatchRun.objects.filter(status__in=[MatchRun.Status.PENDING, MatchRun.Status.RUNNING]).exists():
            raise MatchingError("A match run is already waiting or running.")
        run = MatchRun.objects.create(
            kind=kind, dataset=dataset, started_by=user, model=model or {},
            match_threshold=config.match_threshold, review_threshold=config.review_threshold,
            worker=worker_lock.worker_name() if take else "",
        )
        if take:
            worker_lock.lock_acquire(_RUN_LOCK_NAMESPACE, run.pk)
    return run


def match_run_execute(*, run: MatchRun) -> MatchRun:
    """Run a queued run to completion (the Celery task and ``manage.py match`` call this).

    The run is taken (waiting -> running) under its lock, which is held until it
    ends; a run that is not waiting any more (another worker took it, or it was
    marked failed) raises ``MatchingError``.
    """
    with worker_lock.lock_held(_RUN_LOCK_NAMESPACE, run.pk):
        taken = MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.PENDING).update(
            status=MatchRun.Status.RUNNING, started_at=timezone.now(), worker=worker_lock.worker_name()
        )
        if not taken:
            run.refresh_from_db()
            raise MatchingError(f"Match run {run.pk} is {run.get_status_display().lower()}, not waiting to start.")
        return run_execute(run)


def match_run_start(*, kind: str = MatchRun.Kind.FULL, dataset: Dataset | None = None, user=None,
                    model: dict | None = None) -> MatchRun:
    """Create a run and execute it in this process (the command, the nightly and after-import tasks)."""
    run = match_run_create(kind=kind, dataset=dataset, user=user, model=model, take=True)
    try:
        return match_run_execute(run=run)
    finally:
        worker_lock.lock_release(_RUN_LOCK_NAMESPACE, run.pk)


@transaction.atomic
def review_decision_record(*, pair: ClericalPair, outcome: str, user, score_shown: bool, request=None) -> ReviewDecision:
    """Store a reviewer's label for a queued pair, audited; the pair leaves the queue for good.

    The decision is keyed by the two records' dataset code and source key, so it
    outlives the rows (a newer extract replaces them). "match" and "not_match"
    bind every later run (must-link / cannot-link).
    """
    if outcome not in ReviewDecision.Outcome.values:
        raise MatchingError(f"Unknown outcome {outcome!r}: expected one of {', '.join(ReviewDecision.Outcome.values)}.")
    left, right = (
        SourceRecord.objects.select_related("dataset").get(pk=pk) for pk in (pair.record_low_id, pair.record_high_id)
    )
    sides = sorted([((left.dataset.code, left.source_key), left.pk), ((right.dataset.code, right.source_key), right.pk)])
    (low_key, low_pk), (high_key, high_pk) = sides
    if low_key == high_key:
        raise MatchingError("Both rows are the same agency record (one dataset and source key): they are always linked.")
    decision, created = ReviewDecision.objects.get_or_create(
        low_dataset_id=low_key[0], low_source_key=low_key[1], high_dataset_id=high_key[0], high_source_key=high_key[1],
        defaults={"record_low_id": low_pk, "record_high_id": high_pk, "outcome": outcome, "decided_by": user,
                  "score_shown": score_shown, "match_probability": pair.match_probability},
    )
    if not created:
        raise MatchingError("This pair has already been decided.")
    audit_record(
        action=AuditEvent.Action.MATCH_DECISION, request=request, user=user, subject_type="source_record_pair",
        subject_id=f"{pair.record_low_id}-{pair.record_high_id}",
        record_ids=[pair.record_low_id, pair.record_high_id],
        details={"outcome": outcome, "score_shown": score_shown, "match_probability": pair.match_probability,
                 "records": [f"{code}:{key}" for code, key in (low_key, high_key)]},
    )
    pair.delete()
    return decision


@transaction.atomic
def thresholds_set(*, match_threshold: float, review_threshold: float, reason: str, user, run: MatchRun | None = None,
                   request=None) -> ThresholdSetting:
    """Choose the match and review thresholds for the next runs, audited; earlier choices stay as history.

    Runs already made keep the thresholds they used (``MatchRun.match_threshold``/``review_threshold``).
    """
    if not 0 < review_threshold <= match_threshold <= 1:
        raise MatchingError(
            f"The review threshold ({review_threshold}) must be above 0 and not above the match threshold "
            f"({match_threshold}), which must not be above 1."
        )
    if not reason.strip():
        raise MatchingError("Say why: for example the precision and recall measured at these thresholds.")
    previous = MatchingConfig.for_next_run()
    setting = ThresholdSetting.objects.create(
        match_threshold=match_threshold, review_threshold=review_threshold, reason=reason.strip(), based_on_run=run,
        set_by=user,
    )
    audit_record(
        action=AuditEvent.Action.MATCH_THRESHOLDS, request=request, user=user, subject_type="match_thresholds",
        subject_id=str(setting.pk),
        details={"match_threshold": match_threshold, "review_threshold": review_threshold, "reason": setting.reason,
                 "based_on_run": run.pk if run else None,
                 "previous": {"match_threshold": previous.match_threshold, "review_threshold": previous.review_threshold}},
    )
    return setting
