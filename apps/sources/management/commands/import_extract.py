"""``manage.py import_extract DATASET FILE``: validate and load one extract, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.sources.models import Dataset, ImportBatch
from apps.sources.problems import Problem
from apps.sources.services import import_batch_load, reinstatable_twin


def batch_report_lines(batch: ImportBatch) -> list[str]:
    """The outcome of a batch as console lines: status, figures, the problems listed, then counts."""
    lines = [
        f"Batch {batch.pk} ({batch.dataset.code}, {batch.filename}): {batch.get_status_display()}",
        f"  rows {batch.rows_total:,}, validated {batch.rows_validated:,}, loaded {batch.rows_loaded:,}, "
        f"rejected {batch.rows_rejected:,}",
    ]
    if batch.failure_reason:
        lines.append(f"  {batch.failure_reason}")
    if batch.rows_quarantined:
        lines.append(f"  {batch.rows_quarantined:,} bad row(s) quarantined for the data quality officer (/imports/quality/)")
    lines += [f"  Warning, {w['column']}: {w['reason']}" for w in batch.warnings or []]
    if batch.errors:
        lines.append(f"  Problems (first {len(batch.errors):,}):")
        lines += [f"    {Problem(**error)}" for error in batch.errors]
    if batch.error_counts:
        lines.append("  Problems by column and reason:")
        for column, reasons in batch.error_counts.items():
            lines += [f"    {count:>9,}  {column}: {reason}" for reason, count in reasons.items()]
    return lines


class Command(BaseCommand):
    help = "Validate and load one extract file of one dataset. Exits non-zero, listing the problems, if it is refused."

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="Dataset code, e.g. asc-offenders (see docs/data-formats.md)")
        parser.add_argument("file", type=Path, help="The CSV extract")
        parser.add_argument(
            "--make-current", action="store_true",
            help="The file is an earlier extract that is not in use any more: load it again to make it current",
        )

    def handle(self, *args, dataset, file, make_current=False, **options):
        try:
            target = Dataset.objects.get(code=dataset)
        except Dataset.DoesNotExist:
            raise CommandError(f"Unknown dataset {dataset!r}: see the datasets page (Imports > Datasets) or docs/data-formats.md for the codes") from None
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        batch = import_batch_load(dataset=target, path_or_file=file, progress=self._progress, make_current_again=make_current)
        self.stdout.write("")
        report = "\n".join(batch_report_lines(batch))
        if batch.status == ImportBatch.Status.FAILED:
            raise CommandError(f"Refused: nothing was loaded.\n{report}")
        style = self.style.SUCCESS if batch.status == ImportBatch.Status.LOADED else self.style.WARNING
        self.stdout.write(style(report))
        if reinstatable_twin(batch) is not None:
            self.stdout.write(f"  To make it the current extract again: manage.py import_extract --make-current {dataset} {file}")

    def _progress(self, stage: str, count: int) -> None:
        if self.stdout.isatty():  # one line, rewritten in place
            self.stdout.write(f"\r  rows {stage}: {count:,}   ", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(f"  rows {stage}: {count:,}")
