"""Writes for matching: start and run match runs, record reviewers' decisions."""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import audit_record
from apps.sources.models import Dataset, SourceRecord

from .models import ClericalPair, MatchRun, ReviewDecision
from .pipeline import MatchingConfig, run_execute


class MatchingError(Exception):
    """A run cannot start or a decision cannot be recorded; the message says why."""


def last_full_run() -> MatchRun | None:
    return MatchRun.objects.filter(kind=MatchRun.Kind.FULL, status=MatchRun.Status.COMPLETED).order_by("-pk").first()


def match_run_create(*, kind: str = MatchRun.Kind.FULL, dataset: Dataset | None = None, user=None,
                     model: dict | None = None) -> MatchRun:
    """Queue a run. Incremental runs need a dataset and reuse the last full run's model.

    ``model``: a Splink model JSON to use instead of training (full runs) or of the last full run's.
    """
    config = MatchingConfig.from_settings()
    if kind == MatchRun.Kind.INCREMENTAL:
        if dataset is None:
            raise MatchingError("An incremental run needs the dataset whose new extract it links.")
        if model is None:
            previous = last_full_run()
            if previous is None:
                raise MatchingError("No completed full run yet: run a full match first (manage.py match).")
            model = previous.model
    if MatchRun.objects.filter(status__in=[MatchRun.Status.PENDING, MatchRun.Status.RUNNING]).exists():
        raise MatchingError("A match run is already waiting or running.")
    return MatchRun.objects.create(
        kind=kind, dataset=dataset, started_by=user, model=model or {},
        match_threshold=config.match_threshold, review_threshold=config.review_threshold,
    )


def match_run_execute(*, run: MatchRun) -> MatchRun:
    """Run a queued run to completion (the Celery task and ``manage.py match`` call this)."""
    if run.status != MatchRun.Status.PENDING:
        raise MatchingError(f"Match run {run.pk} is {run.get_status_display().lower()}, not waiting to start.")
    return run_execute(run)


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
        action="match_decision", request=request, user=user, subject_type="source_record_pair",
        subject_id=f"{pair.record_low_id}-{pair.record_high_id}",
        record_ids=[pair.record_low_id, pair.record_high_id],
        details={"outcome": outcome, "score_shown": score_shown, "match_probability": pair.match_probability,
                 "records": [f"{code}:{key}" for code, key in (low_key, high_key)]},
    )
    pair.delete()
    return decision
