"""A batch's outcome, recorded on the batch and in the audit log (action "import"): duplicate, refused or failed.

A load that succeeds records LOADED itself, inside its own transaction
(``services``); these are the other endings.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import ImportBatch


def _when(batch: ImportBatch) -> str:
    return timezone.localtime(batch.finished_at).strftime("%d/%m/%Y %H:%M") if batch.finished_at else "earlier"


def batch_duplicate(batch: ImportBatch, earlier: ImportBatch) -> None:
    """The same file as ``earlier``, a LOADED batch of the dataset: nothing changes."""
    batch.status = ImportBatch.Status.DUPLICATE
    batch.finished_at = timezone.now()
    said = f"The same file (SHA-256) was loaded as batch {earlier.pk} on {_when(earlier)}"
    if earlier.is_current:
        batch.failure_reason = f"{said} and is the dataset's current extract; nothing changed."
    else:
        current = ImportBatch.objects.filter(dataset_id=batch.dataset_id, is_current=True).first()
        in_use = (f"batch {current.pk} ({current.filename}, loaded {_when(current)}) is the dataset's current extract"
                  if current else "the dataset has no current extract")
        batch.failure_reason = (f"{said}, but that extract is not in use: {in_use}. Nothing changed. The file is known, "
                                "not new: it can be made the current extract again.")
    batch.save()
    batch_audit(batch)


def batch_refuse(batch: ImportBatch, *, errors: list, counts: dict, reason: str) -> None:
    """The file was refused (problems in it, or a dataset that is not imported): FAILED with the problems."""
    with transaction.atomic():
        batch.status = ImportBatch.Status.FAILED
        batch.errors = errors
        batch.error_counts = counts
        batch.failure_reason = reason
        batch.finished_at = timezone.now()
        batch.save()
        batch_audit(batch)


def batch_fail(batch: ImportBatch, *, reason: str) -> None:
    """Record a failure after the load's transaction rolled back, in a transaction of its own.

    A batch whose load had already committed (an interruption that came just after the commit)
    is left as it is: its rows are the dataset's current ones, and marking it failed would say
    they were not kept.
    """
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # a lost connection: the next query reconnects
    with transaction.atomic():
        failed = ImportBatch.objects.filter(pk=batch.pk).exclude(status=ImportBatch.Status.LOADED).update(
            status=ImportBatch.Status.FAILED,
            is_current=False,
            rows_loaded=0,
            failure_reason=f"{reason}. Nothing from this file was kept; the dataset's earlier rows are unchanged.",
            finished_at=timezone.now(),
        )
        batch.refresh_from_db()
        if failed:
            batch_audit(batch)


def batch_audit(batch: ImportBatch, *, replaced: list[int] = ()) -> None:
    """The audit event of a load attempt, whatever its outcome."""
    audit_record(
        action=AuditEvent.Action.IMPORT,
        user=batch.uploaded_by,
        subject_type="import_batch",
        subject_id=batch.pk,
        details={
            "dataset": batch.dataset.code,
            "filename": batch.filename,
            "checksum": batch.checksum,
            "status": batch.status,
            "rows_total": batch.rows_total,
            "rows_loaded": batch.rows_loaded,
            "rows_rejected": batch.rows_rejected,
            "rows_quarantined": batch.rows_quarantined,
            "warnings": len(batch.warnings or []),
            "replaced_batches": list(replaced),
            "makes_current_again": batch.reinstates_id,
            "failure_reason": batch.failure_reason,
        },
        result_count=batch.rows_loaded,
    )
