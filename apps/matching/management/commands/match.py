"""``manage.py match``: a full match run now, or ``--incremental DATASET`` to link a new extract."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.matching import services
from apps.matching.models import MatchRun
from apps.sources.models import Dataset


class Command(BaseCommand):
    help = "Link source records into golden persons (full run), or link one dataset's new extract (--incremental)."

    def add_arguments(self, parser):
        parser.add_argument("--incremental", metavar="DATASET", help="Dataset code whose unlinked records to link")

    def handle(self, *args, incremental=None, **options):
        dataset = None
        if incremental:
            dataset = Dataset.objects.filter(code=incremental).first()
            if dataset is None:
                raise CommandError(f"Unknown dataset code {incremental!r}.")
        kind = MatchRun.Kind.INCREMENTAL if dataset else MatchRun.Kind.FULL
        try:
            run = services.match_run_start(kind=kind, dataset=dataset)
        except services.MatchingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Match run {run.pk} ({run.get_kind_display()}) finished.")
        for name, seconds in run.timings.items():
            self.stdout.write(f"  {name:<14} {seconds:8.1f} s")
        for name, value in sorted(run.counts.items()):
            self.stdout.write(f"  {name:<20} {value}")
        if run.status != MatchRun.Status.COMPLETED:
            raise CommandError(f"Match run {run.pk} failed: {run.failure_reason}")
        self.stdout.write(self.style.SUCCESS(f"Match run {run.pk} completed."))
