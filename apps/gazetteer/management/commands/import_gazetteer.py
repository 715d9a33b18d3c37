"""``manage.py import_gazetteer FILE``: check a gazetteer CSV whole and make it the current version, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.gazetteer.services import GazetteerRefused, addresses_resolve, gazetteer_import


class Command(BaseCommand):
    help = ("Import the council's gazetteer (LLPG, BS7666) from CSV as the new current version (see docs/addresses.md). "
            "Exits non-zero, listing each bad row's row, column and reason, and imports nothing, if any row is bad.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The gazetteer CSV")
        parser.add_argument("--resolve", action="store_true",
                            help="Then resolve the addresses already imported against it (a match run also does)")

    def handle(self, *args, file: Path, resolve: bool = False, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            version = gazetteer_import(path_or_file=file, progress=self._progress)
        except GazetteerRefused as exc:
            lines = [f"  {p}" for p in exc.problems.listed]
            lines += [f"  {count:>9,}  {column or '(file)'}: {reason}" for (column, reason), count in
                      exc.problems.counts.most_common()]
            raise CommandError("Refused: nothing was imported.\n" + "\n".join(lines)) from None
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Gazetteer version {version.pk} ({version.filename}): "
                                             f"{version.rows:,} properties, now current."))
        if resolve:
            counts = addresses_resolve(progress=self._progress)
            self.stdout.write("")
            self.stdout.write(f"Addresses resolved now: {', '.join(f'{k} {v:,}' for k, v in sorted(counts.items())) or 'none'}")

    def _progress(self, stage: str, count: int) -> None:
        if self.stdout.isatty():
            self.stdout.write(f"\r  rows {stage}: {count:,}   ", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(f"  rows {stage}: {count:,}")
