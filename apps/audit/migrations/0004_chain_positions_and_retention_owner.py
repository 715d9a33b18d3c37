"""Make retention the only way an audit row can go, and make the chain show any row that is missing.

Chain continuity:

* every event gets a position, ``seq`` (1, 2, 3, ... with no gaps), covered by
  its hash; existing rows are numbered in id order and keep their hashes
  (``ChainHead.legacy_through_seq`` says up to where the older formula applies);
* ``audit_chainhead`` holds the newest position and hash. An INSERT trigger
  (once per statement, so a bulk COPY is checked as one run) refuses rows that
  do not continue the chain and moves the head on, so a row cut off the end is
  found as well as one taken from the middle;
* ``audit_retentioncheckpoint`` records each retention purge: the chain now
  starts after its ``last_seq``, linking to its ``last_hash``.

Who may delete (PostgreSQL):

* the role ``thinkfamily_audit_owner`` (NOLOGIN) is created and owns the three
  audit tables, their trigger functions and ``audit_retention_purge(cutoff)``,
  a ``SECURITY DEFINER`` function: it checks the cut-off is at least 30 days
  ago, deletes the chain's prefix before it and writes the checkpoint, in one
  transaction;
* the delete trigger lets a row go only when the current user is that owner,
  which inside the function it is, and in any other session it is not, whatever
  the session sets; UPDATE is always refused; TRUNCATE is refused to everyone
  but a superuser (``manage.py flush`` and the test runner);
* the migrating role keeps SELECT and INSERT on the audit log, SELECT on the
  head and checkpoints and EXECUTE on the function: no UPDATE, DELETE or
  TRUNCATE (``apps.audit.dbroles``; docs/operations.md for the DBA).

Creating the role needs a superuser or CREATEROLE; handing the tables to it
needs membership of it, and it gets USAGE and CREATE on the schema (a new owner
must be able to create there): a DBA can prepare both beforehand (see the error).
The role is shared by every database in the cluster, so reversing this
migration leaves it in place.

SQLite has no roles: the triggers there refuse UPDATE, refuse DELETE unless the
retention window row is open, and keep the chain head; they stop bugs and
casual edits, not someone who can write the database file.
"""

import importlib

from django.db import DatabaseError, migrations, models

from apps.audit import dbroles

GENESIS_HASH = "0" * 64
OWNER = dbroles.OWNER_ROLE

_previous = importlib.import_module("apps.audit.migrations.0003_append_only_triggers")


def _postgresql_install(schema: str) -> list[str]:
    s = schema
    return [
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER}') THEN
                CREATE ROLE {OWNER} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created at the same moment for another database of the cluster
        END
        $$;
        """,
        f"""
        CREATE OR REPLACE FUNCTION {s}.audit_refuse_change() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            -- TG_ARGV: what the owner role may do here, which only its SECURITY DEFINER functions run as.
            IF current_user = '{OWNER}' AND TG_OP = ANY (TG_ARGV) THEN
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation',
                      HINT = 'Audit rows are removed only by the retention function (docs/audit.md).';
        END;
        $$;
        """,
        f"""
        CREATE OR REPLACE FUNCTION {s}.audit_refuse_truncate() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            -- Emptying the whole database (manage.py flush, the test runner) is a superuser's act.
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END;
        $$;
        """,
        f"""
        CREATE OR REPLACE FUNCTION {s}.audit_auditevent_chain_append() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        -- Once per INSERT statement (one row from audit_record, many from a COPY): the new rows must
        -- continue the chain from the head, every position once and each row linked to the one before.
        DECLARE
            head_seq bigint;
            head_hash text;
            n bigint;
            run_first bigint;
            run_last bigint;
            broken bigint;
            new_last_id bigint;
            new_last_hash text;
        BEGIN
            SELECT h.last_seq, h.last_hash INTO head_seq, head_hash FROM {s}.audit_chainhead AS h WHERE h.id = 1 FOR UPDATE;
            IF NOT FOUND THEN
                head_seq := 0;
                head_hash := '{GENESIS_HASH}';
            END IF;
            SELECT count(*), min(seq), max(seq) INTO n, run_first, run_last FROM inserted;
            IF n = 0 THEN
                RETURN NULL;
            END IF;
            IF run_first IS DISTINCT FROM head_seq + 1 OR run_last - run_first + 1 <> n THEN
                RAISE EXCEPTION 'audit_auditevent: a new event must continue the chain at position % (got %)',
                    head_seq + 1, run_first USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            SELECT i.seq INTO broken FROM inserted AS i LEFT JOIN inserted AS p ON p.seq = i.seq - 1
            WHERE i.prev_hash IS DISTINCT FROM (CASE WHEN i.seq = run_first THEN head_hash ELSE p.hash END)
            ORDER BY i.seq LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'audit_auditevent: a new event must continue the chain (position % does not link)',
                    broken USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            SELECT i.id, i.hash INTO new_last_id, new_last_hash FROM inserted AS i WHERE i.seq = run_last;
            INSERT INTO {s}.audit_chainhead (id, last_seq, last_hash, last_event_id, legacy_through_seq)
            VALUES (1, run_last, new_last_hash, new_last_id, 0)
            ON CONFLICT (id) DO UPDATE
                SET last_seq = EXCLUDED.last_seq, last_hash = EXCLUDED.last_hash, last_event_id = EXCLUDED.last_event_id;
            RETURN NULL;
        END;
        $$;
        """,
        f"""
        CREATE OR REPLACE FUNCTION {s}.audit_retention_purge(cutoff timestamptz) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            boundary bigint;
            first_seq bigint;
            last_row record;
            deleted bigint;
            checkpoint_id bigint;
        BEGIN
            IF cutoff IS NULL OR cutoff > clock_timestamp() - interval '{dbroles.MIN_RETENTION_DAYS} days' THEN
                RAISE EXCEPTION 'audit retention refused: the cut-off % is less than {dbroles.MIN_RETENTION_DAYS} days ago',
                    cutoff USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            PERFORM pg_advisory_xact_lock({dbroles.CHAIN_LOCK_KEY});
            -- Only a prefix of the chain goes: every row before the oldest one still inside the period.
            SELECT seq INTO boundary FROM {s}.audit_auditevent WHERE occurred_at >= cutoff ORDER BY seq LIMIT 1;
            SELECT id, seq, hash, occurred_at INTO last_row FROM {s}.audit_auditevent
            WHERE boundary IS NULL OR seq < boundary ORDER BY seq DESC LIMIT 1;
            IF NOT FOUND THEN
                RETURN NULL;
            END IF;
            SELECT min(seq) INTO first_seq FROM {s}.audit_auditevent;
            DELETE FROM {s}.audit_auditevent WHERE seq <= last_row.seq;
            GET DIAGNOSTICS deleted = ROW_COUNT;
            INSERT INTO {s}.audit_retentioncheckpoint
                (purged_at, cutoff, first_seq, last_seq, last_event_id, last_hash, last_occurred_at, deleted, db_user)
            VALUES (clock_timestamp(), cutoff, first_seq, last_row.seq, last_row.id, last_row.hash, last_row.occurred_at, deleted,
                    session_user)
            RETURNING id INTO checkpoint_id;
            RETURN checkpoint_id;
        END;
        $$;
        """,
        f"""
        CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON {s}.audit_auditevent
        FOR EACH ROW EXECUTE FUNCTION {s}.audit_refuse_change('DELETE');
        """,
        f"""
        CREATE TRIGGER audit_auditevent_chain_append AFTER INSERT ON {s}.audit_auditevent
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION {s}.audit_auditevent_chain_append();
        """,
        f"""
        CREATE TRIGGER audit_chainhead_append_only BEFORE UPDATE OR DELETE ON {s}.audit_chainhead
        FOR EACH ROW EXECUTE FUNCTION {s}.audit_refuse_change('UPDATE');
        """,
        f"""
        CREATE TRIGGER audit_retentioncheckpoint_append_only BEFORE UPDATE OR DELETE ON {s}.audit_retentioncheckpoint
        FOR EACH ROW EXECUTE FUNCTION {s}.audit_refuse_change();
        """,
        *(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {s}.{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {s}.audit_refuse_truncate();"
            for table in dbroles.AUDIT_TABLES
        ),
        # A new owner must be able to create in the schema (PostgreSQL's rule for ALTER ... OWNER TO).
        f"GRANT USAGE, CREATE ON SCHEMA {s} TO {OWNER};",
        *(f"ALTER TABLE {s}.{table} OWNER TO {OWNER};" for table in dbroles.AUDIT_TABLES),
        *(
            f"ALTER FUNCTION {s}.{function} OWNER TO {OWNER};"
            for function in ("audit_refuse_change()", "audit_refuse_truncate()", "audit_auditevent_chain_append()",
                             dbroles.RETENTION_FUNCTION)
        ),
        f"REVOKE ALL ON {', '.join(f'{s}.{t}' for t in dbroles.AUDIT_TABLES)} FROM PUBLIC;",
        f"REVOKE ALL ON FUNCTION {s}.{dbroles.RETENTION_FUNCTION} FROM PUBLIC;",
        *dbroles.audit_privileges_sql("CURRENT_USER", s),
    ]


def _postgresql_uninstall(schema: str) -> list[str]:
    s = schema
    return [
        *(f"ALTER TABLE {s}.{table} OWNER TO CURRENT_USER;" for table in dbroles.AUDIT_TABLES),
        *(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {s}.{table};" for table in dbroles.AUDIT_TABLES),
        f"DROP TRIGGER IF EXISTS audit_retentioncheckpoint_append_only ON {s}.audit_retentioncheckpoint;",
        f"DROP TRIGGER IF EXISTS audit_chainhead_append_only ON {s}.audit_chainhead;",
        f"DROP TRIGGER IF EXISTS audit_auditevent_chain_append ON {s}.audit_auditevent;",
        f"DROP TRIGGER IF EXISTS audit_auditevent_append_only ON {s}.audit_auditevent;",
        f"DROP FUNCTION IF EXISTS {s}.{dbroles.RETENTION_FUNCTION};",
        f"DROP FUNCTION IF EXISTS {s}.audit_auditevent_chain_append();",
        f"DROP FUNCTION IF EXISTS {s}.audit_refuse_truncate();",
        f"DROP FUNCTION IF EXISTS {s}.audit_refuse_change();",
    ]


_SQLITE_WINDOW_OPEN = "SELECT 1 FROM audit_retentionwindow WHERE id = 1 AND delete_before IS NOT NULL"
SQLITE_FORWARD = [
    """
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused');
    END;
    """,
    f"""
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS ({_SQLITE_WINDOW_OPEN} AND OLD.occurred_at < delete_before)
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused');
    END;
    """,
    f"""
    CREATE TRIGGER audit_auditevent_chain_check BEFORE INSERT ON audit_auditevent
    WHEN NEW.seq IS NOT COALESCE((SELECT last_seq FROM audit_chainhead WHERE id = 1), 0) + 1
      OR NEW.prev_hash IS NOT COALESCE((SELECT last_hash FROM audit_chainhead WHERE id = 1), '{GENESIS_HASH}')
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent: a new event must continue the chain at the next position');
    END;
    """,
    """
    CREATE TRIGGER audit_auditevent_chain_head AFTER INSERT ON audit_auditevent
    BEGIN
        INSERT INTO audit_chainhead (id, last_seq, last_hash, last_event_id, legacy_through_seq)
        VALUES (1, NEW.seq, NEW.hash, NEW.id, 0)
        ON CONFLICT (id) DO UPDATE
            SET last_seq = excluded.last_seq, last_hash = excluded.last_hash, last_event_id = excluded.last_event_id;
    END;
    """,
    """
    CREATE TRIGGER audit_retentioncheckpoint_no_update BEFORE UPDATE ON audit_retentioncheckpoint
    BEGIN
        SELECT RAISE(ABORT, 'audit_retentioncheckpoint is append-only: UPDATE refused');
    END;
    """,
    f"""
    CREATE TRIGGER audit_retentioncheckpoint_no_delete BEFORE DELETE ON audit_retentioncheckpoint
    WHEN NOT EXISTS ({_SQLITE_WINDOW_OPEN})
    BEGIN
        SELECT RAISE(ABORT, 'audit_retentioncheckpoint is append-only: DELETE refused');
    END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_retentioncheckpoint_no_delete;",
    "DROP TRIGGER IF EXISTS audit_retentioncheckpoint_no_update;",
    "DROP TRIGGER IF EXISTS audit_auditevent_chain_head;",
    "DROP TRIGGER IF EXISTS audit_auditevent_chain_check;",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete;",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update;",
]


def _execute(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)  # no %-interpolation: RAISE uses % itself


def _vendor(schema_editor) -> str:
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"No append-only audit triggers for database vendor {vendor!r}.")
    return vendor


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return schema_editor.quote_name(cursor.fetchone()[0])


def restore_previous_triggers(apps, schema_editor):
    """Reverse only: the 0003 triggers, once the ``seq`` column has gone again."""
    previous = {"postgresql": _previous.POSTGRESQL_FORWARD, "sqlite": _previous.SQLITE_FORWARD}
    _execute(schema_editor, previous[_vendor(schema_editor)])


def number_the_chain(apps, schema_editor):
    """Drop the 0003 triggers, number the existing rows in id order and start the head and anchor."""
    vendor = _vendor(schema_editor)
    _execute(schema_editor, {"postgresql": _previous.POSTGRESQL_REVERSE, "sqlite": _previous.SQLITE_REVERSE}[vendor])
    _execute(schema_editor, [{
        "postgresql": "UPDATE audit_auditevent AS e SET seq = r.n "
                      "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_auditevent) AS r WHERE e.id = r.id",
        "sqlite": "UPDATE audit_auditevent SET seq = (SELECT count(*) FROM audit_auditevent AS e WHERE e.id <= audit_auditevent.id)",
    }[vendor]])
    db = schema_editor.connection.alias
    events = apps.get_model("audit", "AuditEvent").objects.using(db)
    last = events.order_by("-seq").values("id", "seq", "hash").first() or {"id": None, "seq": 0, "hash": GENESIS_HASH}
    apps.get_model("audit", "ChainHead").objects.using(db).create(
        id=1, last_seq=last["seq"], last_hash=last["hash"], last_event_id=last["id"], legacy_through_seq=last["seq"])
    first = events.order_by("seq").values("prev_hash").first()
    if first is None or first["prev_hash"] == GENESIS_HASH:
        return
    # The log was purged before positions existed: carry the purge's anchor over, if a retention event vouches for it.
    purge = (events.filter(action="retention", details__last_deleted_hash=first["prev_hash"])
             .order_by("-id").values("id", "occurred_at", "details").first())
    if purge is not None:
        apps.get_model("audit", "RetentionCheckpoint").objects.using(db).create(
            purged_at=purge["occurred_at"], cutoff=purge["details"]["cutoff"], first_seq=None, last_seq=0,
            last_event_id=purge["details"].get("last_deleted_id"), last_hash=first["prev_hash"],
            last_occurred_at=purge["details"].get("last_deleted_occurred_at"), deleted=purge["details"].get("deleted", 0),
            db_user=f"carried over from retention event {purge['id']}",
        )


def install(apps, schema_editor):
    if _vendor(schema_editor) == "sqlite":
        _execute(schema_editor, SQLITE_FORWARD)
        return
    try:
        _execute(schema_editor, _postgresql_install(_schema(schema_editor)))
    except DatabaseError as exc:
        raise RuntimeError(
            f"Could not give the audit log to the role {OWNER}: {exc}\n"
            f"Run this migration as a superuser, or have the DBA first run\n"
            f"    CREATE ROLE {OWNER} NOLOGIN;\n"
            f"    GRANT {OWNER} TO <the role that runs migrations>;\n"
            f"    GRANT USAGE, CREATE ON SCHEMA <the schema> TO {OWNER};\n"
            "and keep the application's own role out of it (docs/operations.md)."
        ) from exc


def uninstall(apps, schema_editor):
    if _vendor(schema_editor) == "sqlite":
        _execute(schema_editor, SQLITE_REVERSE)
    else:
        _execute(schema_editor, _postgresql_uninstall(_schema(schema_editor)))


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_triggers")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_previous_triggers),
        migrations.CreateModel(
            name="RetentionCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("purged_at", models.DateTimeField()),
                ("cutoff", models.DateTimeField(help_text="Rows older than this were due for deletion")),
                ("first_seq", models.BigIntegerField(blank=True, help_text="First position deleted", null=True)),
                ("last_seq", models.BigIntegerField(help_text="Last position deleted: the chain now starts after it")),
                ("last_event_id", models.BigIntegerField(blank=True, null=True)),
                ("last_hash", models.CharField(max_length=64)),
                ("last_occurred_at", models.DateTimeField(blank=True, null=True)),
                ("deleted", models.BigIntegerField()),
                ("db_user", models.CharField(blank=True, help_text="The database session that ran the purge",
                                             max_length=150)),
            ],
            options={"ordering": ["-last_seq"]},
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("last_seq", models.BigIntegerField()),
                ("last_hash", models.CharField(max_length=64)),
                ("last_event_id", models.BigIntegerField(blank=True, null=True)),
                ("legacy_through_seq", models.BigIntegerField(default=0)),
            ],
            options={"constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="single_chain_head")]},
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(choices=[("search", "Search"), ("view_person", "View person"), ("view_family", "View family"), ("view_attendance", "View school attendance"), ("view_addresses", "View address history"), ("view_record", "View other record"), ("export", "Export"), ("audit_export", "Audit log exported"), ("login", "Sign in"), ("logout", "Sign out"), ("login_failed", "Failed sign in"), ("locked_out", "Account locked out"), ("access_request", "Access requested"), ("access_grant", "Access granted"), ("access_refuse", "Access refused"), ("access_revoke", "Access revoked"), ("access_expire", "Access expired"), ("break_glass", "Break glass"), ("restriction_change", "Restriction changed"), ("import", "Import"), ("match_decision", "Match decision"), ("alert_review", "Alert reviewed"), ("audit_query", "Audit log queried"), ("retention", "Retention purge")], max_length=24),  # noqa: E501
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True, help_text="Position in the chain: 1, 2, 3, ... with no gaps"),
        ),
        migrations.RunPython(number_the_chain, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True, help_text="Position in the chain: 1, 2, 3, ... with no gaps"),
        ),
        migrations.RunPython(install, uninstall),
    ]
