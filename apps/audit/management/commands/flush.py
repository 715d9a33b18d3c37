"""``manage.py flush`` that can also empty the append-only audit tables on SQLite.

Django's flush (used by ``TransactionTestCase`` and pytest-django's transactional
tests between tests) empties every table. On PostgreSQL it TRUNCATEs, which the
triggers allow a superuser only. On SQLite it runs ``DELETE FROM`` table by
table in no fixed order, which the audit delete triggers refuse unless the
retention window is open. Wiping the whole database is an explicit
administrator action, so on SQLite this empties the audit tables first, through
a window opened for everything, all in the flush's own transaction.
"""

from datetime import UTC, datetime

from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections, transaction

_OPEN_FOR_EVERYTHING = datetime.max.replace(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")


class Command(DjangoFlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_retentionwindow (id, delete_before) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET delete_before = excluded.delete_before",
                [_OPEN_FOR_EVERYTHING],
            )
            cursor.execute("DELETE FROM audit_auditevent")
            cursor.execute("DELETE FROM audit_retentioncheckpoint")
            cursor.execute("UPDATE audit_retentionwindow SET delete_before = NULL WHERE id = 1")
            return super().handle(**options)
