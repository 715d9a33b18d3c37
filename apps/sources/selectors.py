"""Reads for the import pages: batches, their live progress, and data quality per dataset.

Import pages are for the ``imports.manage`` capability (custodian, analyst);
they show counts and problems, never the rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from .models import Dataset, ImportBatch
from .services import held_file_path, progress_cache_key, reinstatable_twin
from .validation import QUALITY_COLUMNS

IN_PROGRESS = (ImportBatch.Status.PENDING, ImportBatch.Status.VALIDATING, ImportBatch.Status.LOADING)


def import_batch_list(*, dataset_code: str | None = None, limit: int = 200):
    batches = ImportBatch.objects.select_related("dataset", "uploaded_by").order_by("-created_at", "-pk")
    if dataset_code:
        batches = batches.filter(dataset__code=dataset_code)
    return batches[:limit]


def import_batch_get(*, pk: int) -> ImportBatch:
    return ImportBatch.objects.select_related("dataset", "dataset__provider", "uploaded_by").get(pk=pk)


def import_batch_progress(*, batch: ImportBatch) -> dict:
    """Status, rows validated and rows loaded: live from the loader while it runs, else from the batch."""
    figures = {"status": batch.status, "rows_validated": batch.rows_validated, "rows_loaded": batch.rows_loaded}
    if batch.status in IN_PROGRESS and (live := cache.get(progress_cache_key(batch.pk))):
        figures.update({k: live[k] for k in ("status", "rows_validated", "rows_loaded")})
    figures["in_progress"] = figures["status"] in IN_PROGRESS
    figures["status_label"] = ImportBatch.Status(figures["status"]).label
    return figures


@dataclass(frozen=True)
class KnownExtract:
    """A DUPLICATE batch whose file is an earlier extract that is not in use any more."""

    earlier: ImportBatch  # the batch that loaded the same file before
    current: ImportBatch | None  # the batch in use now
    file_kept: bool  # the upload is kept, so it can be made current again from the page


def known_extract(*, batch: ImportBatch) -> KnownExtract | None:
    earlier = reinstatable_twin(batch)
    if earlier is None:
        return None
    current = ImportBatch.objects.filter(dataset_id=batch.dataset_id, is_current=True).first()
    return KnownExtract(earlier=earlier, current=current, file_kept=held_file_path(batch).exists())


def missing_identifiers(batch: ImportBatch) -> list[tuple[str, int, float | None]]:
    """(identity column, rows without it, percentage) for a batch's file, in catalogue order."""
    quality = batch.quality or {}
    missing, rows = quality.get("missing", {}), quality.get("rows") or 0
    return [(c, missing.get(c, 0), round(100 * missing.get(c, 0) / rows, 1) if rows else None) for c in QUALITY_COLUMNS]


@dataclass(frozen=True)
class DatasetQuality:
    dataset: Dataset
    current: ImportBatch | None
    last_attempt: ImportBatch | None
    rows: int
    failed_since_current: int
    missing_rates: list[tuple[str, float | None]]  # (identity column, % of rows without it), catalogue order

    @property
    def age_days(self) -> int | None:
        """Days since the rows in use were loaded."""
        if self.current is None or self.current.finished_at is None:
            return None
        return (timezone.now() - self.current.finished_at).days

    @property
    def newest_fact(self) -> str | None:
        return (self.current.quality or {}).get("fact_date_max") if self.current else None


def dataset_quality_list() -> list[DatasetQuality]:
    """One line per dataset: the batch in use, its age, its rows, missing identifiers, later failures."""
    datasets = list(Dataset.objects.select_related("provider").order_by("provider__code", "code"))
    current = {b.dataset_id: b for b in ImportBatch.objects.filter(is_current=True)}
    last = {}
    for batch in ImportBatch.objects.order_by("dataset_id", "-created_at", "-pk"):
        last.setdefault(batch.dataset_id, batch)
    failed = _failures_since_current(current)
    return [
        DatasetQuality(
            dataset=d,
            current=current.get(d.pk),
            last_attempt=last.get(d.pk),
            rows=current[d.pk].rows_loaded if d.pk in current else 0,
            failed_since_current=failed.get(d.pk, 0),
            missing_rates=[(c, pct) for c, _, pct in missing_identifiers(current[d.pk])] if d.pk in current else [],
        )
        for d in datasets
    ]


def _failures_since_current(current: dict[int, ImportBatch]) -> dict[int, int]:
    """Refused or failed files per dataset since the batch in use was sent (all of them if none is)."""
    counts: dict[int, int] = {}
    for dataset_id, created_at in ImportBatch.objects.filter(status=ImportBatch.Status.FAILED).values_list("dataset_id", "created_at"):
        in_use = current.get(dataset_id)
        if in_use is None or created_at > in_use.created_at:
            counts[dataset_id] = counts.get(dataset_id, 0) + 1
    return counts
