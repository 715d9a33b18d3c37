"""Everything ``make demo`` needs after migrate: a small synthetic population loaded through the
real pipeline (generate -> import -> match -> refresh), and one demo user per role.

Idempotent: a second run regenerates the same extract (same seed), the importer recognises
the unchanged files by checksum, and matching keeps person ids stable.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Generate and load the small synthetic population and create the demo users."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", default="var/demo-extract")

    def handle(self, *args, seed, out, **options):
        steps = (
            ("Generating the synthetic extract", "synth", {"scale": "small", "seed": seed, "out": out}),
            ("Importing the 35 datasets", "import_all", {"directory": out}),
            ("Matching records into people and families", "match", {}),
            ("Refreshing indicators, risk scores and family criteria", "refresh_indicators", {}),
            ("Creating demo users", "demo_users", {}),
        )
        for number, (title, command, kwargs) in enumerate(steps, start=1):
            self.stdout.write(self.style.MIGRATE_HEADING(f"[{number}/{len(steps)}] {title}"))
            if command == "import_all":
                call_command(command, out, stdout=self.stdout, stderr=self.stderr)
            else:
                call_command(command, stdout=self.stdout, stderr=self.stderr, **kwargs)
