"""Load locks: a batch being loaded is held by its process, so a load whose process died is told from a slow one."""

from __future__ import annotations

from thinkfamily import worker_lock

from .models import ImportBatch
from .outcomes import batch_fail

# pg_advisory_lock(namespace, batch id) is held by the session loading a batch.
LOAD_LOCK_NAMESPACE = 0x1F0A


def load_lock(batch: ImportBatch):
    """Held by the process loading ``batch`` while it loads (``thinkfamily.worker_lock``).

    If the process dies, the database drops its connection and the lock with
    it: that is how ``import_batches_interrupted_mark`` tells a stopped load
    from a slow one. SQLite checks the process id in ``batch.worker`` instead.
    """
    return worker_lock.lock_held(LOAD_LOCK_NAMESPACE, batch.pk)


def import_batches_interrupted_mark() -> list[ImportBatch]:
    """Mark FAILED every batch still validating or loading whose process has stopped.

    Its transaction was rolled back by the database when the process died, so
    the dataset is as it was; this records why the batch never finished.
    """
    stopped = []
    for batch in ImportBatch.objects.filter(
        status__in=[ImportBatch.Status.VALIDATING, ImportBatch.Status.LOADING]
    ).select_related("dataset", "uploaded_by"):
        if not batch.worker:
            continue
        with worker_lock.unless_worker_alive(LOAD_LOCK_NAMESPACE, batch.pk, worker=batch.worker) as dead:
            if dead:
                batch_fail(
                    batch,
                    reason=f"The load was interrupted: the process {batch.worker} stopped (killed, crashed or lost its "
                    "database connection) before the batch was committed",
                )
                stopped.append(batch)
    return stopped
