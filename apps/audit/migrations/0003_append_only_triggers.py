"""Make audit_auditevent append-only in the database itself.

UPDATE is always refused. DELETE is refused
unless the retention service has opened the retention window inside its own
transaction, and then only for rows older than the window's cut-off:

* PostgreSQL: the transaction-local settings ``thinkfamily.audit_retention``
  (``'on'``) and ``thinkfamily.audit_retention_before`` (an ISO timestamp),
  set with ``set_config(..., true)`` so they vanish at commit or rollback;
* SQLite: the one row of ``audit_retentionwindow``, which the service sets and
  clears again within the same transaction.

TRUNCATE (PostgreSQL) is a table-level privilege, not a row change: it is what
``manage.py flush`` and the test runner use to empty the database, so it is not
trigger-guarded; production revokes it from the application's role (docs/audit.md).
"""

from django.db import migrations

POSTGRESQL_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        delete_before timestamptz;
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('thinkfamily.audit_retention', true) = 'on' THEN
            delete_before := NULLIF(current_setting('thinkfamily.audit_retention_before', true), '')::timestamptz;
            IF delete_before IS NOT NULL AND OLD.occurred_at < delete_before THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit_auditevent is append-only: row % is inside the retention period', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$;
    """,
    """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_auditevent_append_only();",
]

SQLITE_FORWARD = [
    """
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused');
    END;
    """,
    """
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS (
        SELECT 1 FROM audit_retentionwindow
        WHERE id = 1 AND delete_before IS NOT NULL AND OLD.occurred_at < delete_before
    )
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused');
    END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete;",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise NotImplementedError(
                f"No append-only trigger for database vendor {schema_editor.connection.vendor!r}; "
                "the audit log must not run without one."
            )
        for statement in statements:
            schema_editor.execute(statement, params=None)  # no %-interpolation: RAISE uses % itself

    return run


def create_retention_window_row(apps, schema_editor):
    apps.get_model("audit", "RetentionWindow").objects.using(schema_editor.connection.alias).get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_alerts_retention_indexes")]

    operations = [
        migrations.RunPython(create_retention_window_row, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
