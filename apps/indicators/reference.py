"""Load this app's reference data after every ``migrate``: the indicator catalogue of ``fixtures/reference.json``
(headline problems, badges, indicator categories, indicators).

Idempotent (update-or-create by code). An indicator's providers and legal
gateways are the sources app's, and a category's section the accounts app's,
loaded before this.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from apps.common.reference import REFERENCE_FILE, reference_rows, rows_upsert


@transaction.atomic
def indicators_reference_load(*, path: Path = REFERENCE_FILE) -> dict[str, int]:
    from apps.accounts.models import Section
    from apps.sources.models import LegalGateway, Organisation

    from .models import Badge, HeadlineProblem, IndicatorCategory, IndicatorDefinition

    orgs = {o.code: o for o in Organisation.objects.all()}
    gateways = {g.number: g for g in LegalGateway.objects.all()}
    sections = {s.code: s for s in Section.objects.all()}
    problems = rows_upsert(HeadlineProblem, reference_rows("headline_problems", path=path), key="code", fields=("name", "order"))
    badges = {
        b["code"]: Badge.objects.update_or_create(
            code=b["code"],
            defaults={"name": b["name"], "headline_problem": problems[b["headline_problem"]], "order": b["order"]},
        )[0]
        for b in reference_rows("badges", path=path)
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
        for c in reference_rows("indicator_categories", path=path)
    }
    indicators = reference_rows("indicators", path=path)
    for ind in indicators:
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
    return {"badges": len(badges), "indicator_categories": len(categories), "indicators": len(indicators)}
