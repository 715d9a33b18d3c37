"""Retention: the only path that deletes audit rows, and the record that it did.

``audit_retention_purge`` runs daily (``tasks.audit_retention_task``). On PostgreSQL the deleting is
done by the database function ``audit_retention_purge(cutoff)``, owned by the audit owner role
(migration ``0004``); on SQLite by this module through the retention window the delete trigger reads.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .chain import lock_chain
from .dbroles import MIN_RETENTION_DAYS
from .models import AuditEvent, RetentionCheckpoint, RetentionWindow
from .services import audit_record

logger = logging.getLogger(__name__)


def _purge_postgresql(cutoff: datetime) -> RetentionCheckpoint | None:
    """The database function owned by the audit owner role deletes and writes the checkpoint (migration 0004)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT audit_retention_purge(%s)", [cutoff])
        checkpoint_id = cursor.fetchone()[0]
    return None if checkpoint_id is None else RetentionCheckpoint.objects.get(pk=checkpoint_id)


def _purge_sqlite(cutoff: datetime) -> RetentionCheckpoint | None:
    """The same rule as the PostgreSQL function, through the retention window the delete trigger reads."""
    boundary = AuditEvent.objects.filter(occurred_at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    doomed = AuditEvent.objects.all() if boundary is None else AuditEvent.objects.filter(seq__lt=boundary)
    last = doomed.order_by("-seq").values("id", "seq", "hash", "occurred_at").first()
    if last is None:
        return None
    first_seq = doomed.order_by("seq").values_list("seq", flat=True).first()
    RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": cutoff})
    deleted = AuditEvent.objects.filter(seq__lte=last["seq"]).delete()[0]
    RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": None})
    return RetentionCheckpoint.objects.create(
        purged_at=timezone.now(), cutoff=cutoff, first_seq=first_seq, last_seq=last["seq"], last_event_id=last["id"],
        last_hash=last["hash"], last_occurred_at=last["occurred_at"], deleted=deleted, db_user="",
    )


@transaction.atomic
def audit_retention_purge(*, retention_days: int | None = None) -> AuditEvent | None:
    """Delete the events older than the retention period and record that it did.

    Deletes a prefix of the chain: every row before the oldest row still inside
    the period, so what remains is one unbroken chain. The purge leaves a
    ``RetentionCheckpoint`` (the last deleted position and hash), where the
    verifier starts the chain, and a ``retention`` event in the chain itself.
    On PostgreSQL the database function does the deleting, the only code that
    may; it refuses a cut-off less than ``MIN_RETENTION_DAYS`` ago.
    Returns the retention event, or None when nothing was old enough.
    """
    retention_days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(f"retention_days must be at least {MIN_RETENTION_DAYS}")
    cutoff = timezone.now() - timedelta(days=retention_days)
    lock_chain()
    checkpoint = (_purge_postgresql if connection.vendor == "postgresql" else _purge_sqlite)(cutoff)
    if checkpoint is None:
        return None
    event = audit_record(
        action=AuditEvent.Action.RETENTION,
        subject_type="audit",
        details={
            "deleted": checkpoint.deleted,
            "retention_days": retention_days,
            "cutoff": cutoff.isoformat(),
            "checkpoint": checkpoint.pk,
            "first_deleted_position": checkpoint.first_seq,
            "last_deleted_position": checkpoint.last_seq,
            "last_deleted_id": checkpoint.last_event_id,
            "last_deleted_hash": checkpoint.last_hash,
            "last_deleted_occurred_at": checkpoint.last_occurred_at.isoformat(),
        },
        result_count=checkpoint.deleted,
    )
    logger.info("Audit retention removed %s events older than %s", checkpoint.deleted, cutoff.isoformat())
    return event


