"""Everything ``make demo`` needs after migrate: synthetic data through the real pipeline, and demo users."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Generate and load the small synthetic population and create the demo users."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", default="var/demo-extract")

    def handle(self, *args, seed, out, **options):
        call_command("synth", scale="small", seed=seed, out=out, stdout=self.stdout)
        call_command("demo_users", stdout=self.stdout)
