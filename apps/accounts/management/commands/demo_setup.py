"""Everything ``make demo`` needs after migrate: a small synthetic population loaded through the
real pipeline (generate -> import -> match -> refresh), one demo user per role, and demo casework
(a team and cases at each step of the journey, through the casework services).

Idempotent: a second run regenerates the same extract (same seed), the importer recognises
the unchanged files by checksum, matching keeps person ids stable, and a family that has a
demo case keeps it.
"""

import datetime as dt
import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Generate and load the small synthetic population and create the demo users."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", default="var/demo-extract")

    def handle(self, *args, seed, out, **options):
        def step(number, title):
            self.stdout.write(self.style.MIGRATE_HEADING(f"[{number}/6] {title}"))

        io = {"stdout": self.stdout, "stderr": self.stderr}
        step(1, "Generating the synthetic extract")
        call_command("synth", scale="small", seed=seed, out=out, **io)
        step(2, "Importing the datasets and the gazetteer")
        call_command("import_all", out, **io)
        call_command("import_gazetteer", Path(out) / "gazetteer.csv", **io)
        step(3, "Matching records into people and families")
        call_command("match", **io)
        step(4, "Refreshing indicators, risk scores and family criteria")
        # measured on the extract's own date, so the demo's school year is the one its attendance covers
        as_of = dt.date.fromisoformat(json.loads((Path(out) / "manifest.json").read_text())["as_of"])
        call_command("refresh_indicators", as_of=as_of, **io)
        step(5, "Creating demo users")
        call_command("demo_users", **io)
        step(6, "Creating demo casework: a team and cases at each step")
        call_command("demo_casework", seed=seed, as_of=as_of, **io)
