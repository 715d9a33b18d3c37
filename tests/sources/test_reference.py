"""Reference data after ``migrate``: each app loads its own kinds from fixtures/reference.json, the catalogue
is made the file's again, and an administrator's edits to a role are kept."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from apps.accounts.models import Role, Section
from apps.common.reference import REFERENCE_FILE
from apps.indicators.models import Badge, IndicatorDefinition
from apps.people.models import PostcodeArea
from apps.sources.catalogue import DATASETS
from apps.sources.models import Dataset, LegalGateway, Organisation

pytestmark = pytest.mark.django_db


def test_migrate_makes_the_catalogue_the_files_again_and_keeps_an_administrators_role_edits():
    data = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    for model in (Section, Organisation, LegalGateway, Badge, IndicatorDefinition, Dataset):
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
    assert names(Dataset) == {d.code: d.name for d in DATASETS}
    assert dict(PostcodeArea.objects.values_list("district", "area")) == {p["district"]: p["area"] for p in data["postcode_areas"]}
    role.refresh_from_db()
    assert (role.name, role.capabilities, list(role.sections.all())) == ("Analyst (renamed)", ["insights.view"], [])
    assert Role.objects.count() == len(data["roles"])
