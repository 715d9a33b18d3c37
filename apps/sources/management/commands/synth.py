"""``manage.py synth --scale small|bristol --seed N --out DIR``: write a synthetic population's extracts."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.sources.descriptors import DESCRIPTOR_DIR
from apps.sources.synth import GROUND_TRUTH_DIR, SCALES, generate


class Command(BaseCommand):
    help = ("Generate a deterministic synthetic Bristol population: one CSV extract per dataset descriptor, "
            f"{GROUND_TRUTH_DIR}/ (for evaluation only, never imported) and manifest.json.")
    requires_system_checks = []  # writes files only: no database, no URLs

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small",
                            help="small: about 2,000 people; bristol: about 170,000 people and 54,000 families")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", required=True, help="directory to write into (created if missing)")
        parser.add_argument("--people", type=int, default=None, help="override the scale's number of people")
        parser.add_argument("--datasets", type=Path, default=DESCRIPTOR_DIR,
                            help="directory of dataset descriptors (*.json) to write extracts for (default: the "
                                 "default datasets, fixtures/datasets/)")

    def handle(self, *args, scale, seed, out, people=None, datasets=DESCRIPTOR_DIR, **options):
        if people is not None and people < 10:
            raise CommandError("--people must be at least 10")
        out_dir = Path(out)
        if out_dir.exists() and not out_dir.is_dir():
            raise CommandError(f"--out {out}: exists and is not a directory")

        def progress(stage, **counts):
            figures = ", ".join(f"{name} {value:,}" if isinstance(value, int) else f"{name} {value}"
                                for name, value in counts.items())
            self.stdout.write(f"[synth] {stage}: {figures}")

        manifest = generate(out=out_dir, scale=scale, seed=seed, people=people, progress=progress,
                            datasets_dir=Path(datasets))
        self.stdout.write(self.style.SUCCESS(
            f"[synth] wrote {manifest['rows_total']:,} rows in {len(manifest['datasets'])} datasets for "
            f"{manifest['people']:,} people ({manifest['families']:,} families) to {out_dir} "
            f"in {manifest['duration_seconds']} s"))
