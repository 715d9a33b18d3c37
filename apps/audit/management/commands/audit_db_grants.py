"""``manage.py audit_db_grants --role ROLE``: the SQL that gives the application's PostgreSQL role its privileges.

Everything on the application's tables; on the audit log only read and append, and the retention
function (``apps.audit.dbroles``). For the DBA, where migrations run as another role than the web and
worker processes (docs/operations.md). Prints the SQL and changes nothing; run it again after each
``migrate`` so new tables are granted too. Warns when ROLE could get round the protection anyway.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.audit import dbroles


class Command(BaseCommand):
    help = "Print the GRANT/REVOKE statements for the application's database role (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="The role the web and worker processes sign in as")
        parser.add_argument("--schema", default="", help="The schema of the tables (default: the current schema)")

    def handle(self, *args, role, schema, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are PostgreSQL's; SQLite relies on its triggers alone (docs/audit.md).")
        with connection.cursor() as cursor:
            if not schema:
                cursor.execute("SELECT current_schema()")
                schema = cursor.fetchone()[0]
            cursor.execute(
                "SELECT r.rolsuper, pg_has_role(r.oid, o.oid, 'MEMBER') FROM pg_roles r, pg_roles o "
                "WHERE r.rolname = %s AND o.rolname = %s", [role, dbroles.OWNER_ROLE])
            found = cursor.fetchone()
        if found and found[0]:
            self.stderr.write(f"WARNING: {role} is a superuser: privileges do not bind it. Use an ordinary role.")
        elif found and found[1]:
            self.stderr.write(f"WARNING: {role} is a member of {dbroles.OWNER_ROLE} and could delete audit rows: "
                              f"REVOKE {dbroles.OWNER_ROLE} FROM {role};")
        self.stdout.write(f"-- The application's role {role}: all tables in {schema}; the audit log read and append only.")
        for statement in dbroles.app_role_sql(connection.ops.quote_name(role), connection.ops.quote_name(schema)):
            self.stdout.write(statement + ";")
