"""What runs after what: import -> incremental match -> indicator refresh. The stages do not know their successors.

Each stage is one app's service and knows nothing of what comes next: an import
loads a batch (``apps.sources.services``), a match run links records
(``apps.matching.services``), a refresh derives indicators, risk scores and
family criteria (``apps.indicators``). The tasks here run a stage and, from its
outcome, queue the next::

    upload page, "make current again"  -> upload_load_task
        loaded                         -> extract_link_task (incremental match of that dataset)
            completed                  -> refresh_indicators_task
    run page                           -> match_run_task (a queued run)
        completed                      -> refresh_indicators_task
    beat, 01:30                        -> nightly_full_match_task (a full run)
        completed                      -> refresh_indicators_task

A duplicate, refused or failed import, and a run that failed or was skipped,
stop there. The management commands run one stage each and start nothing.
"""

from __future__ import annotations

from celery import shared_task

from apps.indicators.tasks import refresh_indicators_task
from apps.matching import services as matching
from apps.matching.models import MatchRun
from apps.sources.models import Dataset, ImportBatch
from apps.sources.services import import_upload_load


def _refresh_after(run: MatchRun) -> str:
    """Persons and families changed: refresh indicators, risk scores and family criteria."""
    if run.status == MatchRun.Status.COMPLETED:
        refresh_indicators_task.delay()
    return run.status


@shared_task(name="thinkfamily.orchestration.upload_load_task")
def upload_load_task(batch_id: int, path: str, make_current_again: bool = False) -> str:
    """Load an uploaded file into its PENDING batch; once loaded, link the dataset's new records.

    With acks_late and reject_on_worker_lost (settings) a worker killed mid-load
    leaves the message queued: the next worker loads the same batch again, which
    is safe because the killed attempt's transaction was rolled back. A batch that
    has an outcome already (a redelivered message) is left as it is.
    """
    batch = import_upload_load(batch_id=batch_id, path=path, make_current_again=make_current_again)
    if batch is None:
        return "skipped: the batch has an outcome already"
    if batch.status == ImportBatch.Status.LOADED:
        extract_link_task.delay(batch.dataset_id)
    return batch.status


@shared_task(name="thinkfamily.orchestration.extract_link_task")
def extract_link_task(dataset_id: int) -> str:
    """Link a dataset's newly loaded records into the existing persons (an incremental run), then refresh."""
    try:
        run = matching.match_run_start(kind=MatchRun.Kind.INCREMENTAL, dataset=Dataset.objects.get(pk=dataset_id))
    except matching.MatchingError as exc:
        return f"skipped: {exc}"
    return _refresh_after(run)


@shared_task(name="thinkfamily.orchestration.match_run_task")
def match_run_task(run_id: int) -> str:
    """Execute a queued match run, then refresh.

    A run that is not waiting any more (a redelivered message, or a run that a
    later request replaced while it sat in the queue) is skipped.
    """
    try:
        run = matching.match_run_execute(run=MatchRun.objects.get(pk=run_id))
    except matching.MatchingError as exc:
        return f"skipped: {exc}"
    return _refresh_after(run)


@shared_task(name="thinkfamily.orchestration.nightly_full_match_task")
def nightly_full_match_task() -> str:
    """The nightly full re-run (train, predict, cluster, project), then refresh; skipped if a run is in progress."""
    try:
        run = matching.match_run_start(kind=MatchRun.Kind.FULL)
    except matching.MatchingError as exc:
        return f"skipped: {exc}"
    return _refresh_after(run)


@shared_task(name="thinkfamily.orchestration.dead_runs_mark_task")
def dead_runs_mark_task() -> dict[str, int]:
    """Every minute (beat): mark failed the loads, match runs and refreshes whose process died, with the reason;
    remove held extract files kept longer than ``IMPORT_HELD_FILE_DAYS`` (a directory listing: cheap).

    Pages only read them (no write on a GET); a new load or run request marks a dead one at once too.
    """
    from apps.indicators.services import refresh_runs_dead_mark
    from apps.sources.services import held_files_expire, import_batches_interrupted_mark

    return {"loads": len(import_batches_interrupted_mark()), "match_runs": len(matching.match_runs_dead_mark()),
            "refreshes": len(refresh_runs_dead_mark()), "held_files": held_files_expire()}


# Messages queued before these tasks moved here carry the names they had in apps/*/tasks.py;
# a worker of this release still runs them. Remove after a release once no queue holds such messages.
for _old_name, _task in {
    "apps.sources.tasks.import_batch_load_task": upload_load_task,
    "apps.matching.tasks.link_new_extract_task": extract_link_task,
    "apps.matching.tasks.match_run_task": match_run_task,
    "apps.matching.tasks.nightly_full_match_task": nightly_full_match_task,
}.items():
    shared_task(name=_old_name)(_task.run)
