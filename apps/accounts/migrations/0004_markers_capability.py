"""The police safeguarding role acts as the police partner for marker requests (``casework.markers``).

Roles are created from fixtures/reference.json once and then kept as edited, so a database whose roles
exist already gets the new capability here; a new database gets it from the file.
"""

from django.db import migrations

ROLES = ("police-safeguarding",)
CAPABILITY = "casework.markers"


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
    dependencies = [("accounts", "0003_casework_capability")]

    operations = [migrations.RunPython(grant, withdraw)]
