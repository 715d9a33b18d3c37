"""PostgreSQL roles and privileges that make the audit log append-only in fact, not by convention.

* ``OWNER_ROLE`` (NOLOGIN, nobody signs in as it): owns the audit tables, the
  trigger functions and ``audit_retention_purge``, a ``SECURITY DEFINER``
  function, which is therefore the only code that runs as the owner. The
  delete trigger lets a DELETE through only when the current user is the
  owner, so no session setting can imitate it.
* The application's role (the ``DATABASE_URL`` user of the web and worker
  processes): reads and appends the audit log and may EXECUTE the retention
  function; it holds no UPDATE, DELETE or TRUNCATE on the audit tables, does
  not own them (so cannot disable their triggers) and must not be a member of
  ``OWNER_ROLE``.

Migration ``0004`` creates the owner role, hands it the audit tables and gives
the migrating role (``CURRENT_USER``) the application's audit privileges.
Where migrations run as another role than the application (the production
set-up, docs/operations.md), ``manage.py audit_db_grants --role <app role>``
prints the SQL for the DBA. Changing what these functions return changes what
migration ``0004`` runs on a fresh database: freeze a copy there first.
"""

from __future__ import annotations

OWNER_ROLE = "thinkfamily_audit_owner"
AUDIT_TABLES = ("audit_auditevent", "audit_chainhead", "audit_retentioncheckpoint")
RETENTION_FUNCTION = "audit_retention_purge(timestamptz)"
# Serialises chain appends and the retention purge across concurrent PostgreSQL transactions (any constant).
CHAIN_LOCK_KEY = 0x7F_A0D1_7C4A1
# The retention function refuses a cut-off less than this many days ago, whatever the application asks.
MIN_RETENTION_DAYS = 30


def audit_privileges_sql(role: str, schema: str = "") -> list[str]:
    """``role`` (a quoted role name or ``CURRENT_USER``) may read and append the audit log and run retention.

    ``schema``: a quoted schema name; none, the search path's."""
    s = f"{schema}." if schema else ""
    return [
        f"REVOKE ALL ON {', '.join(s + table for table in AUDIT_TABLES)} FROM {role}",
        f"GRANT SELECT, INSERT ON {s}audit_auditevent TO {role}",
        f"GRANT SELECT ON {s}audit_chainhead, {s}audit_retentioncheckpoint TO {role}",
        f"GRANT EXECUTE ON FUNCTION {s}{RETENTION_FUNCTION} TO {role}",
    ]


def app_role_sql(role: str, schema: str) -> list[str]:
    """All the application's role needs: read and write every table, but only read and append the audit log.

    Idempotent: run it again after each ``migrate`` so new tables are granted too.
    """
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        *audit_privileges_sql(role, schema),
    ]
