"""The database itself refuses to change or remove audit rows (PostgreSQL and SQLite), for any session.

The application's own role on PostgreSQL: tests/audit/test_database_roles.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent, RetentionCheckpoint, RetentionWindow
from apps.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    audit_record(action=AuditEvent.Action.SEARCH, details={"query": "smith"}, result_count=2)
    return audit_record(action=AuditEvent.Action.VIEW_PERSON, subject_type="person", subject_id=7)


def test_update_through_the_orm_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(username="someone-else")
    event.refresh_from_db()
    assert event.username == ""


def test_save_of_an_existing_row_is_refused(event):
    event.purpose = "made up afterwards"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.save()


def test_delete_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_delete_of_all_rows_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the retention settings were PostgreSQL's")
def test_a_session_that_sets_the_old_retention_settings_still_cannot_delete(record_at):
    """Setting ``thinkfamily.audit_retention`` and a cut-off once opened a delete window; now nothing does."""
    old = record_at(timezone.now() - timedelta(days=4000))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('thinkfamily.audit_retention', 'on', true), "
            "set_config('thinkfamily.audit_retention_before', %s, true)",
            [timezone.now().isoformat()],
        )
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old.pk])
    assert AuditEvent.objects.filter(pk=old.pk).exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's retention window")
class TestSqliteRetentionWindow:
    """SQLite has no roles: the window row is the retention service's, and any connection could open it.
    What the triggers still guarantee is that it never lets a recent row go, nor any UPDATE."""

    def test_the_window_never_lets_a_recent_row_go(self, event):
        RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": timezone.now() - timedelta(days=30)})
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.filter(pk=event.pk).exists()

    def test_the_window_never_allows_update(self, event):
        RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": timezone.now() + timedelta(days=1)})
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(purpose="rewritten")


@pytest.mark.parametrize("statement", ["UPDATE audit_retentioncheckpoint SET last_seq = 0",
                                       "DELETE FROM audit_retentioncheckpoint"])
def test_retention_checkpoints_cannot_be_changed_or_removed(record_at, statement):
    from apps.audit.retention import audit_retention_purge

    record_at(timezone.now() - timedelta(days=40))
    audit_retention_purge(retention_days=30)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert RetentionCheckpoint.objects.get().last_seq == 1


@pytest.mark.django_db(transaction=True)
def test_flushing_the_whole_database_still_works(event):
    """Transactional tests empty the database between tests (a superuser's TRUNCATE / flush): the triggers allow that."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert audit_record(action=AuditEvent.Action.SEARCH).seq == 1  # the chain starts again, head and all
