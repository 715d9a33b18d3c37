"""``manage.py refresh_indicators [--family REF] [--as-of YYYY-MM-DD]``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from apps.indicators.services import indicators_refresh
from apps.people.models import Family


class Command(BaseCommand):
    help = ("Recompute derived indicators, risk scores and family criteria in one transaction: "
            "for everyone, or for the members and families of one family (--family).")

    def add_arguments(self, parser):
        parser.add_argument("--family", metavar="REF", help="Family reference: refresh only its members and their families")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="Measure on this date (default today)")

    def handle(self, *args, family=None, as_of=None, **options):
        def progress(stage, **figures):
            detail = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in figures.items())
            self.stdout.write(f"[refresh] {stage}: {detail}")

        try:
            run = indicators_refresh(family_reference=family, as_of=as_of, progress=progress)
        except Family.DoesNotExist:
            raise CommandError(f"No family with reference {family!r}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Refresh {run.pk} ({run.get_scope_display().lower()}, as of {run.as_of}) took {run.duration_seconds:.2f}s"))
        self.stdout.write(f"  added: {run.added or 'none'}")
        self.stdout.write(f"  removed: {run.removed or 'none'}")
        self.stdout.write(f"  families: {run.counts['families']:,}, eligible {run.counts['eligible']:,}; "
                          f"newly eligible {len(run.newly_eligible):,}, no longer eligible {len(run.no_longer_eligible):,}")
