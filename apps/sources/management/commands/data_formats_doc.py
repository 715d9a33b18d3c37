"""``manage.py data_formats_doc [--check]``: write docs/data-formats.md from the default dataset descriptors."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.sources.data_formats import DOC, data_formats_markdown, data_formats_write


class Command(BaseCommand):
    help = "Write docs/data-formats.md from fixtures/datasets/*.json (--check: fail if it is not current)."
    requires_system_checks = []  # reads files, writes one: no database

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="change nothing; fail if the page is out of date")

    def handle(self, *args, check=False, **options):
        if check:
            if not DOC.exists() or DOC.read_text(encoding="utf-8") != data_formats_markdown():
                raise CommandError(f"{DOC} is not current: run manage.py data_formats_doc")
            self.stdout.write(f"{DOC.name} is current")
            return
        changed = data_formats_write()
        self.stdout.write(f"{DOC.name} {'written' if changed else 'already current'}")
