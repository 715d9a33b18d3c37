"""Load the reference data in ``fixtures/reference.json`` and the dataset catalogue.

Idempotent (update-or-create by natural key), run after every ``migrate`` so a
fresh database, including the test database, always has the organisations,
legal gateways, indicator catalogue, badges, headline problems, sections,
roles and datasets.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

REFERENCE_FILE = Path(settings.BASE_DIR) / "fixtures" / "reference.json"


@transaction.atomic
def reference_data_load(*, path: Path = REFERENCE_FILE) -> dict[str, int]:
    from apps.accounts.models import Role, Section
    from apps.indicators.models import Badge, HeadlineProblem, IndicatorCategory, IndicatorDefinition
    from apps.sources.models import Dataset, LegalGateway, Organisation

    data = json.loads(path.read_text(encoding="utf-8"))
    orgs = {
        o["code"]: Organisation.objects.update_or_create(code=o["code"], defaults={"name": o["name"]})[0]
        for o in data["organisations"]
    }
    gateways = {
        g["number"]: LegalGateway.objects.update_or_create(
            number=g["number"], defaults={"name": g["name"], "named_in_source": g["named_in_source"]}
        )[0]
        for g in data["legal_gateways"]
    }
    problems = {
        p["code"]: HeadlineProblem.objects.update_or_create(
            code=p["code"], defaults={"name": p["name"], "order": p["order"]}
        )[0]
        for p in data["headline_problems"]
    }
    badges = {
        b["code"]: Badge.objects.update_or_create(
            code=b["code"],
            defaults={"name": b["name"], "headline_problem": problems[b["headline_problem"]], "order": b["order"]},
        )[0]
        for b in data["badges"]
    }
    sections = {
        s["code"]: Section.objects.update_or_create(
            code=s["code"], defaults={"name": s["name"], "description": s["description"]}
        )[0]
        for s in data["sections"]
    }
    categories = {
        c["code"]: IndicatorCategory.objects.update_or_create(
            code=c["code"],
            defaults={
                "name": c["name"],
                "badge": badges[c["badge"]] if c["badge"] else None,
                "section": sections[c["section"]],
                "order": c["order"],
            },
        )[0]
        for c in data["indicator_categories"]
    }
    for ind in data["indicators"]:
        definition, _ = IndicatorDefinition.objects.update_or_create(
            code=ind["code"],
            defaults={
                "name": ind["name"],
                "category": categories[ind["category"]],
                "source": ind["source"],
                "kind": ind["kind"],
                "order": ind["order"],
                "description": ind.get("description", ""),
            },
        )
        definition.providers.set([orgs[p] for p in ind["providers"]])
        definition.gateways.set([gateways[g] for g in ind["gateways"]])
    for r in data["roles"]:
        role, created = Role.objects.get_or_create(
            slug=r["slug"],
            defaults={
                "name": r["name"],
                "description": r["description"],
                "capabilities": r["capabilities"],
                "is_case_role": r["is_case_role"],
                "purpose_requires_reference": r.get("purpose_requires_reference", False),
            },
        )
        if created:  # an administrator's later edits to a role are kept
            role.sections.set([sections[s] for s in r["sections"]])

    from apps.people.models import PostcodeArea

    for row in data.get("postcode_areas", []):
        PostcodeArea.objects.update_or_create(district=row["district"], defaults={"area": row["area"]})

    from apps.sources.catalogue import DATASETS

    for spec in DATASETS:
        dataset, _ = Dataset.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "provider": orgs[spec.provider],
                "category": spec.category,
                "section": sections[spec.section],
                "retention_days": spec.retention_days,
                "validated": spec.validated,
                "cadence": spec.cadence,
                "trust_rank": spec.trust_rank,
                "description": spec.description,
            },
        )
        dataset.gateways.set([gateways[g] for g in spec.gateways])
    return {
        "organisations": len(orgs),
        "legal_gateways": len(gateways),
        "indicators": len(data["indicators"]),
        "roles": len(data["roles"]),
        "datasets": len(DATASETS),
    }
