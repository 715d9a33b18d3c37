"""Reads for quarantined rows.

``open_rows`` is for the data-quality page (``imports.manage``): dataset, batch, row number and the
problems by column and reason, never a value. ``row_get`` is for the row's own page, which shows the
row as received (personal data: ``matching.review``, audited).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from .models import QuarantinedRow

OPEN_ROWS_LISTED = 200


@dataclass(frozen=True)
class OpenRows:
    rows: list[QuarantinedRow]  # the oldest first, at most OPEN_ROWS_LISTED
    total: int
    by_dataset: list[tuple[str, int]]  # (dataset code, open rows)


def open_rows(*, limit: int = OPEN_ROWS_LISTED) -> OpenRows:
    waiting = QuarantinedRow.objects.filter(status=QuarantinedRow.Status.OPEN)
    rows = list(
        waiting.select_related("dataset", "batch").only(
            "pk", "row_number", "problems", "status", "created_at", "dataset__code", "batch__id", "batch__filename",
        ).order_by("created_at", "batch_id", "row_number")[:limit]
    )
    by_dataset = list(waiting.order_by("dataset__code").values_list("dataset__code").annotate(n=Count("pk")))
    return OpenRows(rows=rows, total=sum(n for _, n in by_dataset), by_dataset=by_dataset)


def row_get(*, pk: int) -> QuarantinedRow:
    return QuarantinedRow.objects.select_related("dataset", "dataset__provider", "batch", "resolved_by").get(pk=pk)


def batch_counts(*, batch_id: int) -> dict[str, int]:
    """A batch's quarantined rows by status (open, corrected, discarded, superseded)."""
    counts = dict(
        QuarantinedRow.objects.filter(batch_id=batch_id).order_by().values_list("status").annotate(n=Count("pk"))
    )
    return {status: counts.get(status, 0) for status in QuarantinedRow.Status.values}
