"""``manage.py flush`` that can also empty the append-only audit table on SQLite.

Django's flush (used by ``TransactionTestCase`` and pytest-django's transactional
tests between tests) empties every table. On PostgreSQL it TRUNCATEs, which the
row triggers do not see; on SQLite it runs ``DELETE FROM``, which the audit
delete trigger refuses unless the retention window is open. Wiping the whole
database is an explicit administrator action, so this opens the window for it.
"""

from datetime import datetime, timezone

from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections


class Command(DjangoFlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_retentionwindow (id, delete_before) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET delete_before = excluded.delete_before",
                [datetime.max.replace(tzinfo=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")],
            )
        try:
            return super().handle(**options)
        finally:
            # A completed flush removed the window row too; an aborted one must not leave it open.
            with connection.cursor() as cursor:
                cursor.execute("UPDATE audit_retentionwindow SET delete_before = NULL WHERE id = 1")
