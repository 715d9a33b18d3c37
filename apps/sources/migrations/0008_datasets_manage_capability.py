"""The custodian and the data quality officer define datasets (``datasets.manage``).

Roles are created from fixtures/reference.json once and then kept as edited, so a database whose roles
exist already gets the new capability here; a new database gets it from the file.
"""

from django.db import migrations

ROLES = ("data-custodian", "data-quality-officer")
CAPABILITY = "datasets.manage"


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
    dependencies = [
        ("accounts", "0001_initial"),
        ("sources", "0007_dataset_descriptor_history"),
    ]

    operations = [migrations.RunPython(grant, withdraw)]
