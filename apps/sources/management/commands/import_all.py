"""``manage.py import_all DIR``: load every ``<dataset_code>.csv`` in an extract directory."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.sources.management.commands.import_extract import batch_report_lines
from apps.sources.models import Dataset, ImportBatch
from apps.sources.services import import_batch_load
from apps.sources.synth.generate import GAZETTEER_FILE


class Command(BaseCommand):
    help = "Load each <dataset_code>.csv in DIR as one batch per dataset; exits non-zero if any file is refused."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        if not directory.is_dir():
            raise CommandError(f"No such directory: {directory}")
        datasets = {d.code: d for d in Dataset.objects.all()}
        # the generator's gazetteer is reference data, not an extract: manage.py import_gazetteer loads it
        files = sorted(f for f in directory.glob("*.csv") if f.name != GAZETTEER_FILE)
        unknown = [f.name for f in files if f.stem not in datasets]
        if unknown:
            raise CommandError(f"Files that name no dataset: {', '.join(unknown)}; nothing was loaded")
        if not files:
            raise CommandError(f"No <dataset_code>.csv files in {directory}")
        refused, total_rows, started = [], 0, time.perf_counter()
        for path in files:
            batch = import_batch_load(dataset=datasets[path.stem], path_or_file=path)
            total_rows += batch.rows_loaded
            if batch.status == ImportBatch.Status.FAILED:
                refused.append(batch)
                self.stderr.write("\n".join(batch_report_lines(batch)[:12]))
            else:
                self.stdout.write(f"{path.stem}: {batch.get_status_display()}, {batch.rows_loaded:,} rows")
        seconds = time.perf_counter() - started
        self.stdout.write(f"{len(files)} files, {total_rows:,} rows loaded in {seconds:.1f}s")
        if refused:
            raise CommandError(f"{len(refused)} file(s) refused: {', '.join(b.dataset.code for b in refused)}")
