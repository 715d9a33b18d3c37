"""The database itself refuses to change or remove audit rows (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent, RetentionWindow
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


def _open_window(cutoff):
    """Exactly what the retention service does to open the delete window."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('thinkfamily.audit_retention', 'on', true), "
                "set_config('thinkfamily.audit_retention_before', %s, true)",
                [cutoff.isoformat()],
            )
    else:
        RetentionWindow.objects.update_or_create(id=1, defaults={"delete_before": cutoff})


def test_the_retention_window_never_lets_a_recent_row_go(event):
    cutoff = timezone.now() - timedelta(days=30)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _open_window(cutoff)
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_retention_window_never_allows_update(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _open_window(timezone.now() + timedelta(days=1))
        AuditEvent.objects.filter(pk=event.pk).update(purpose="rewritten")


@pytest.mark.django_db(transaction=True)
def test_flushing_the_whole_database_still_works(event):
    """Transactional tests empty the database between tests (TRUNCATE / flush): the triggers allow that."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
