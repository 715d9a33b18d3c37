"""A family's criteria from its members and the indicators they hold: one function, two callers.

``criteria_compute`` turns current members (with dates of birth) and the
indicators they hold into badges, headline problems, eligibility, highest risk
score, estimated cost and the reasons. The refresh calls it for every family
over all data (``refresh.family_criteria_rebuild``); the pages call it for one
family over only what the reader may see (``selectors.family_criteria_for``),
so what a reader is shown is, by construction, what the refresh would have
stored if the records they may not see did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from apps.common.dates import academic_year_start, child_born_after

from .models import Badge, HeadlineProblem, IndicatorDefinition, IndicatorUnitCost

ELIGIBLE_PROBLEMS = 2  # seed 003: a family is eligible when it meets at least two of the six headline problems


@dataclass
class Catalogue:
    """What the computation needs from reference data, loaded once per run or page."""

    definitions: dict[int, IndicatorDefinition]
    costs: dict[int, Decimal]
    problems: list[HeadlineProblem]
    badge_order: list[str]

    @classmethod
    def load(cls) -> Catalogue:
        return cls(
            definitions={d.pk: d for d in IndicatorDefinition.objects.select_related(
                "category__badge__headline_problem", "category__section")},
            costs=dict(IndicatorUnitCost.objects.values_list("indicator_id", "annual_cost")),
            problems=list(HeadlineProblem.objects.all()),
            badge_order=list(Badge.objects.values_list("code", flat=True)),
        )


@dataclass
class Criteria:
    """The fields of ``FamilyCriteria`` for one family (as stored, or as one reader may see them)."""

    as_of: dt.date
    badges: list[str]
    problems: list[str]
    problem_count: int
    is_eligible: bool
    max_risk: Decimal
    estimated_cost: Decimal
    dependent_children: int
    reasons: list[dict] = field(default_factory=list)
    reasons_text: str = ""

    def model_fields(self) -> dict:
        return {name: getattr(self, name) for name in (
            "as_of", "badges", "problems", "problem_count", "is_eligible", "max_risk", "estimated_cost",
            "dependent_children", "reasons", "reasons_text")}


def day_text(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def money_text(amount: Decimal) -> str:
    return f"£{amount:,.0f}"


def criteria_compute(
    *, as_of: dt.date, members: list[tuple[int, dt.date | None]], held: list[tuple[int, int, object]], catalogue: Catalogue,
) -> Criteria:
    """Criteria of one family on ``as_of``.

    ``members``: ``(person_id, date_of_birth)`` of its current members; ``held``: ``(person_id, definition_id,
    value)`` of the indicators they hold (one row per person and definition, the highest value).
    """
    born_after = child_born_after(academic_year_start(as_of))
    dependents = sum(1 for _, dob in members if dob is not None and born_after < dob <= as_of)
    categories: dict[int, dict] = {}
    risks: list[dict] = []
    cost, max_risk = Decimal(0), Decimal(0)
    for person_id, definition_id, value in held:
        definition = catalogue.definitions[definition_id]
        cost += catalogue.costs.get(definition_id, Decimal(0))
        category = definition.category
        if definition.kind == IndicatorDefinition.Kind.RISK:
            value = Decimal(str(value or 0))  # via str: a float from the database is not expanded to 50 digits
            max_risk = max(max_risk, value)
            risks.append({"risk": definition.code, "name": definition.name, "section": category.section.code,
                          "person_id": person_id, "value": str(value)})
        elif category.badge is not None:
            entry = categories.setdefault(category.pk, {
                "category": category.code, "section": category.section.code, "badge": category.badge.code,
                "problem": category.badge.headline_problem.code, "person_ids": set(), "indicators": set()})
            entry["person_ids"].add(person_id)
            entry["indicators"].add(definition.code)
    met = [p for p in catalogue.problems if any(c["problem"] == p.code for c in categories.values())]
    badges = sorted({c["badge"] for c in categories.values()}, key=catalogue.badge_order.index)
    eligible = dependents > 0 and len(met) >= ELIGIBLE_PROBLEMS
    reasons = [
        {**c, "person_ids": sorted(c["person_ids"]), "indicators": sorted(c["indicators"])}
        for c in sorted(categories.values(), key=lambda c: c["category"])
    ] + sorted(risks, key=lambda r: (-Decimal(r["value"]), r["risk"], r["person_id"]))
    return Criteria(
        as_of=as_of, badges=badges, problems=[p.code for p in met], problem_count=len(met), is_eligible=eligible,
        max_risk=max_risk, estimated_cost=cost, dependent_children=dependents, reasons=reasons,
        reasons_text=_reasons_text(as_of, met, dependents, eligible, risks, cost, len(catalogue.problems)),
    )


def _reasons_text(as_of, met, dependents: int, eligible: bool, risks: list[dict], cost: Decimal, of: int) -> str:
    names = "; ".join(p.name for p in met)
    problems = f"meets {len(met)} of the {of} headline problems" + (f" ({names})" if met else "")
    if not dependents:
        head = f"Not eligible: no dependent child on {day_text(as_of)}; {problems}."
    elif eligible:
        head = f"Eligible: {problems}."
    else:
        head = f"Not eligible: {problems}; at least {ELIGIBLE_PROBLEMS} are needed."
    if risks:
        top = max(risks, key=lambda r: Decimal(r["value"]))
        head += f" Highest risk score {Decimal(top['value']):.0f} out of 100 ({top['name']})."
    return head + f" Estimated yearly cost {money_text(cost)}."


def group_held(rows) -> dict[int, list[tuple[int, int, object]]]:
    """``(family_id, person_id, definition_id, value)`` rows grouped by family."""
    by_family: dict[int, list] = defaultdict(list)
    for family_id, person_id, definition_id, value in rows:
        by_family[family_id].append((person_id, definition_id, value))
    return by_family
