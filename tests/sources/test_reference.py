"""Reference data after ``migrate``: each app loads its own kinds from fixtures/reference.json (made the file's
again), datasets are defined once from fixtures/datasets/ and never overwritten, and an administrator's edits to a
role are kept."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from apps.accounts.models import Role, Section
from apps.common.reference import REFERENCE_FILE
from apps.indicators.models import Badge, IndicatorDefinition
from apps.people.models import PostcodeArea
from apps.sources.descriptors import default_descriptors
from apps.sources.models import Dataset, LegalGateway, Organisation

pytestmark = pytest.mark.django_db


def test_migrate_makes_the_reference_rows_the_files_again_and_keeps_an_administrators_role_edits():
    data = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    for model in (Section, Organisation, LegalGateway, Badge, IndicatorDefinition):
        model.objects.update(name="changed by hand")
    PostcodeArea.objects.all().delete()
    role = Role.objects.get(slug="analyst")
    role.name, role.capabilities = "Analyst (renamed)", ["insights.view"]
    role.save()
    role.sections.clear()

    call_command("migrate", verbosity=0)

    def names(model, key="code"):
        return dict(model.objects.values_list(key, "name"))

    assert names(Section) == {s["code"]: s["name"] for s in data["sections"]}
    assert names(Organisation) == {o["code"]: o["name"] for o in data["organisations"]}
    assert names(LegalGateway, "number") == {g["number"]: g["name"] for g in data["legal_gateways"]}
    assert names(Badge) == {b["code"]: b["name"] for b in data["badges"]}
    assert names(IndicatorDefinition) == {i["code"]: i["name"] for i in data["indicators"]}
    assert names(Dataset) == {d["code"]: d["name"] for d in default_descriptors()}
    assert dict(PostcodeArea.objects.values_list("district", "area")) == {p["district"]: p["area"] for p in data["postcode_areas"]}
    role.refresh_from_db()
    assert (role.name, role.capabilities, list(role.sections.all())) == ("Analyst (renamed)", ["insights.view"], [])
    assert Role.objects.count() == len(data["roles"])


def test_migrate_defines_a_missing_default_dataset_once_and_never_overwrites_the_custodians_changes():
    from django.contrib.auth import get_user_model

    from apps.sources.dataset_services import dataset_update

    custodian = get_user_model().objects.create_user(username="custodian-ref")
    changed = Dataset.objects.get(code="asc-offenders")
    descriptor = dict(changed.descriptor, name="Offenders (our name)", trust_rank=5, bad_rows="quarantine")
    dataset_update(dataset=changed, descriptor=descriptor, user=custodian)
    Dataset.objects.get(code="bcc-rent-arrears").delete()  # a default dataset missing from the database

    call_command("migrate", verbosity=0)

    changed.refresh_from_db()
    assert (changed.name, changed.trust_rank) == ("Offenders (our name)", 5)
    assert changed.descriptor["bad_rows"] == "quarantine" and changed.descriptor["version"] == 2
    assert changed.history.count() == 2  # loaded once, changed once: migrate wrote no version
    again = Dataset.objects.get(code="bcc-rent-arrears")
    files = {d["code"]: d for d in default_descriptors()}
    assert again.descriptor == files["bcc-rent-arrears"]
    assert sorted(again.gateways.values_list("number", flat=True)) == sorted(files["bcc-rent-arrears"]["gateways"])


def test_a_dataset_row_from_before_descriptors_gets_its_file_with_its_own_edits_kept():
    row = Dataset.objects.get(code="dfe-sen")
    Dataset.objects.filter(pk=row.pk).update(descriptor={}, name="SEN (edited in the admin)", trust_rank=7)

    call_command("migrate", verbosity=0)

    row.refresh_from_db()
    assert row.descriptor["name"] == "SEN (edited in the admin)" and row.descriptor["trust_rank"] == 7
    assert row.descriptor["schema"] == {d["code"]: d for d in default_descriptors()}["dfe-sen"]["schema"]
