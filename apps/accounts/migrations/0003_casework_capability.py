"""Key workers and social workers work cases (``casework.work``).

Roles are created from fixtures/reference.json once and then kept as edited, so a database whose roles
exist already gets the new capability here; a new database gets it from the file (as do the two new
roles, early help manager and programme manager, which the loader creates when absent).
"""

from django.db import migrations

ROLES = ("key-worker", "social-worker")
CAPABILITY = "casework.work"


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(slug__in=ROLES):
        if CAPABILITY not in role.capabilities:
            role.capabilities = [*role.capabilities, CAPABILITY]
            role.save(update_fields=["capabilities"])


def withdraw(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(slug__in=ROLES):
        role.capabilities = [c for c in role.capabilities if c != CAPABILITY]
        role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_teams")]

    operations = [migrations.RunPython(grant, withdraw)]
