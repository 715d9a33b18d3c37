"""Celery task for the upload door: a thin wrapper over ``import_batch_load``."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task

from .models import ImportBatch
from .services import import_batch_file_keep, import_batch_load


@shared_task(name="apps.sources.tasks.import_batch_load_task")
def import_batch_load_task(batch_id: int, path: str, make_current_again: bool = False) -> str:
    """Load the uploaded file ``path`` into the PENDING batch ``batch_id``; returns the batch's status.

    With acks_late and reject_on_worker_lost (settings) a worker killed mid-load
    leaves the message queued: the next worker loads the same batch again, which
    is safe because the killed attempt's transaction was rolled back. The file is
    removed once the batch has an outcome, unless it duplicates an extract not in
    use (kept for "make this extract current again").
    """
    batch = ImportBatch.objects.select_related("dataset", "uploaded_by").get(pk=batch_id)
    if batch.status in {ImportBatch.Status.LOADED, ImportBatch.Status.DUPLICATE, ImportBatch.Status.FAILED}:
        Path(path).unlink(missing_ok=True)
        return batch.status  # already decided (a redelivered message)
    batch = import_batch_load(dataset=batch.dataset, path_or_file=path, uploaded_by=batch.uploaded_by, batch=batch,
                              make_current_again=make_current_again)
    import_batch_file_keep(batch=batch, path=Path(path))
    if batch.status == ImportBatch.Status.LOADED:
        from apps.matching.tasks import link_new_extract_task

        link_new_extract_task.delay(batch.dataset_id)  # then the indicators refresh
    return batch.status
