"""PostgreSQL: the application's own database role cannot remove or rewrite audit rows, whatever it sets;
retention still works for it, through the function owned by the audit owner role.

The test database's user is a superuser, which privileges do not bind, so each test creates a
non-superuser role with exactly what the DBA grants the application (``apps.audit.dbroles.app_role_sql``,
printed by ``manage.py audit_db_grants``) and acts as it as if it had signed in (SET SESSION AUTHORIZATION,
so that even SET ROLE is checked against it). CREATE ROLE is transactional: the test's rollback removes
the role again.
"""

from __future__ import annotations

import io
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.audit import dbroles
from apps.audit.models import AuditEvent, RetentionCheckpoint
from apps.audit.retention import audit_retention_purge
from apps.audit.services import audit_record
from apps.audit.verification import audit_chain_verify

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roles and privileges are PostgreSQL's"),
    pytest.mark.django_db,
]


def _execute(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def _new_role() -> str:
    name = f"tf_test_app_{uuid.uuid4().hex[:12]}"
    _execute(f"CREATE ROLE {name} NOLOGIN")
    return name


@pytest.fixture
def app_role() -> str:
    """A role given exactly what ``manage.py audit_db_grants`` prints for the DBA to run."""
    name = _new_role()
    out = io.StringIO()
    call_command("audit_db_grants", role=name, stdout=out)
    statements = [line for line in out.getvalue().splitlines() if line and not line.startswith("--")]
    assert statements and all(line.endswith(";") for line in statements)
    for statement in statements:
        _execute(statement)
    return name


@pytest.fixture
def careless_role() -> str:
    """A role a careless DBA gave everything on every table: the triggers still hold."""
    name = _new_role()
    _execute(f"GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA {_execute('SELECT current_schema()')[0][0]} TO {name}")
    _execute(f"GRANT EXECUTE ON FUNCTION {dbroles.RETENTION_FUNCTION} TO {name}")
    return name


@contextmanager
def acting_as(role: str):
    _execute(f"SET SESSION AUTHORIZATION {role}")
    try:
        yield
    finally:
        _execute("RESET SESSION AUTHORIZATION")


def _refused(sql: str, match: str, params=None) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        _execute(sql, params)


RETENTION_SETTINGS = ("SELECT set_config('thinkfamily.audit_retention', 'on', false), "
                      "set_config('thinkfamily.audit_retention_before', %s, false)")


@pytest.fixture
def old_event(record_at):
    return record_at(timezone.now() - timedelta(days=4000), subject_type="person", subject_id=1)


def test_the_application_role_cannot_delete_even_with_the_retention_settings(app_role, old_event):
    with acting_as(app_role):
        _execute(RETENTION_SETTINGS, [timezone.now().isoformat()])
        _refused("DELETE FROM audit_auditevent WHERE id = %s", "permission denied", [old_event.pk])
        _refused("DELETE FROM audit_auditevent", "permission denied")
    assert AuditEvent.objects.filter(pk=old_event.pk).exists()


@pytest.mark.parametrize(
    ("statement", "match"),
    [
        ("TRUNCATE audit_auditevent", "permission denied"),
        ("UPDATE audit_auditevent SET purpose = 'rewritten'", "permission denied"),
        ("UPDATE audit_chainhead SET last_seq = last_seq - 1", "permission denied"),
        ("TRUNCATE audit_chainhead, audit_retentioncheckpoint", "permission denied"),
        ("INSERT INTO audit_retentioncheckpoint (purged_at, cutoff, last_seq, last_hash, deleted, db_user) "
         "VALUES (now(), now(), 99, 'forged', 99, '')", "permission denied"),
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER", "must be owner"),
        ("DROP TRIGGER audit_auditevent_append_only ON audit_auditevent", "must be owner"),
        (f"SET ROLE {dbroles.OWNER_ROLE}", "permission denied"),
        ("SELECT audit_retention_purge(now() - interval '1 day')", "less than 30 days ago"),
    ],
)
def test_the_application_role_cannot_change_the_log_its_head_or_its_checkpoints(app_role, old_event, statement, match):
    with acting_as(app_role):
        _refused(statement, match)
    assert AuditEvent.objects.filter(pk=old_event.pk).exists()
    assert audit_chain_verify().ok


@pytest.mark.parametrize("statement", ["DELETE FROM audit_auditevent", "TRUNCATE audit_auditevent",
                                       "UPDATE audit_auditevent SET purpose = 'rewritten'"])
def test_a_role_granted_every_table_privilege_is_still_refused(careless_role, old_event, statement):
    with acting_as(careless_role):
        _execute(RETENTION_SETTINGS, [timezone.now().isoformat()])
        _refused(statement, "append-only")
    assert AuditEvent.objects.filter(pk=old_event.pk).exists()


def test_retention_works_for_the_application_role_and_the_chain_verifies_after_it(app_role, record_at, capsys):
    now = timezone.now()
    with acting_as(app_role):
        old = [record_at(now - timedelta(days=400 + i)) for i in range(2)]
        young = record_at(now - timedelta(days=2))
        event = audit_retention_purge(retention_days=365)
        assert event.result_count == 2
        assert list(AuditEvent.objects.order_by("seq").values_list("pk", flat=True)) == [young.pk, event.pk]
        checkpoint = RetentionCheckpoint.objects.get()
        assert (checkpoint.last_seq, checkpoint.last_hash) == (old[-1].seq, old[-1].hash)
        assert checkpoint.db_user == app_role
        report = audit_chain_verify()
        assert report.ok and report.anchored_on_retention
        call_command("audit_verify")
    assert "Audit chain intact: 2 events" in capsys.readouterr().out


def test_the_audit_tables_and_functions_belong_to_an_owner_role_nobody_signs_in_as():
    owners = _execute(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relname = ANY(%s)", [list(dbroles.AUDIT_TABLES)]
    )
    assert owners == [(dbroles.OWNER_ROLE,)]
    assert _execute("SELECT pg_get_userbyid(proowner), prosecdef FROM pg_proc WHERE proname = 'audit_retention_purge'") == [
        (dbroles.OWNER_ROLE, True)]
    assert _execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", [dbroles.OWNER_ROLE]) == [
        (False, False)]


def test_a_record_written_as_the_application_role_still_moves_the_head_and_raises_its_alerts(app_role):
    from apps.audit.models import Alert

    with acting_as(app_role):
        event = audit_record(action=AuditEvent.Action.BREAK_GLASS, subject_type="person", subject_id=1,
                             details={"reason": "Child missing tonight"})
        assert Alert.objects.filter(kind=Alert.Kind.BREAK_GLASS, event_id=event.pk).exists()
        assert audit_chain_verify().ok


def test_the_grants_command_warns_about_a_role_that_could_get_round_it(app_role):
    _execute(f"GRANT {dbroles.OWNER_ROLE} TO {app_role}")
    err = io.StringIO()
    call_command("audit_db_grants", role=app_role, stdout=io.StringIO(), stderr=err)
    assert f"REVOKE {dbroles.OWNER_ROLE} FROM {app_role}" in err.getvalue()
