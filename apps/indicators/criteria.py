"""A family's criteria from its members and the indicators they hold: one function, two callers.

``criteria_compute`` turns current members (with dates of birth) and the
indicators they hold into badges, the active framework's headlines and needs
met, eligibility by the framework's rule, highest risk score, estimated cost
and the reasons. The refresh calls it for every family over all data
(``refresh.family_criteria_rebuild``); the pages call it for one family over
only what the reader may see (``selectors.family_criteria_for``), so what a
reader is shown is, by construction, what the refresh would have stored if the
records they may not see did not exist.

The framework (``Framework``, loaded from ``fixtures/frameworks/``) decides what
counts: a need is met when a current member holds one of its indicators; a
headline when one of its needs is; a family is eligible with at least
``eligible_min`` headlines (2015) or needs (2022) and a dependent child, or an
expectant parent where the framework allows it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from apps.common.dates import academic_year_start, child_born_after

from .models import Badge, Framework, FrameworkHeadline, FrameworkNeed, IndicatorDefinition, IndicatorUnitCost


@dataclass
class Rules:
    """The active framework as the computation reads it."""

    framework: Framework
    headlines: list[FrameworkHeadline]
    needs: list[FrameworkNeed]  # in framework order: headline, then need
    needs_of: dict[int, list[FrameworkNeed]]  # indicator definition id -> the needs it evidences
    expectant: set[int]  # indicator definition ids that say a member is an expectant parent

    @classmethod
    def load(cls, framework: Framework | None = None) -> Rules:
        """The rules of ``framework`` (the active one when not given), in two queries (three with expectancy).

        Headlines are read through their needs (a framework file gives every headline at least one need).
        """
        needs = FrameworkNeed.objects.select_related("headline__framework").prefetch_related(
            Prefetch("indicators", queryset=IndicatorDefinition.objects.select_related("category__section")))
        needs = list((needs.filter(headline__framework=framework) if framework else
                      needs.filter(headline__framework__is_active=True)).order_by("headline__order", "order", "code"))
        framework = needs[0].headline.framework if needs else framework or Framework.objects.filter(is_active=True).first()
        if framework is None:
            raise LookupError("no active programme framework: migrate loads fixtures/frameworks/ and makes one active")
        headlines = list({n.headline_id: n.headline for n in needs}.values())
        needs_of: dict[int, list[FrameworkNeed]] = defaultdict(list)
        for need in needs:
            for definition in need.indicators.all():
                needs_of[definition.pk].append(need)
        expectant = set(IndicatorDefinition.objects.filter(
            code__in=framework.expectant_parent_indicators).values_list("pk", flat=True)
        ) if framework.allows_expectant_parent and framework.expectant_parent_indicators else set()
        return cls(framework, headlines, needs, dict(needs_of), expectant)

    def headline_sections(self) -> list[tuple[FrameworkHeadline, set[str]]]:
        """Each headline, in order, with the sections of the indicators that evidence its needs (none: by hand)."""
        sections: dict[int, set[str]] = {h.pk: set() for h in self.headlines}
        for need in self.needs:
            sections[need.headline_id].update(d.category.section.code for d in need.indicators.all())
        return [(h, sections[h.pk]) for h in self.headlines]


@dataclass
class Catalogue:
    """What the computation needs from reference data, loaded once per run or page."""

    definitions: dict[int, IndicatorDefinition]
    costs: dict[int, Decimal]
    rules: Rules
    badge_order: list[str]

    @property
    def framework(self) -> Framework:
        return self.rules.framework

    @property
    def problems(self) -> list[FrameworkHeadline]:
        """The active framework's headlines, in order."""
        return self.rules.headlines

    @classmethod
    def load(cls, framework: Framework | None = None) -> Catalogue:
        return cls(
            definitions={d.pk: d for d in IndicatorDefinition.objects.select_related(
                "category__badge__headline_problem", "category__section")},
            costs=dict(IndicatorUnitCost.objects.values_list("indicator_id", "annual_cost")),
            rules=Rules.load(framework),
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
    framework_id: int | None = None
    needs: list[str] = field(default_factory=list)
    need_count: int = 0
    expectant_parents: int = 0
    max_risk: Decimal = Decimal(0)
    estimated_cost: Decimal = Decimal(0)
    dependent_children: int = 0
    reasons: list[dict] = field(default_factory=list)
    reasons_text: str = ""

    def model_fields(self) -> dict:
        return {name: getattr(self, name) for name in (
            "as_of", "framework_id", "badges", "problems", "problem_count", "needs", "need_count", "expectant_parents",
            "is_eligible", "max_risk", "estimated_cost", "dependent_children", "reasons", "reasons_text")}


def day_text(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def money_text(amount: Decimal) -> str:
    return f"£{amount:,.0f}"


def criteria_compute(
    *, as_of: dt.date, members: list[tuple[int, dt.date | None]], held: list[tuple[int, int, object]], catalogue: Catalogue,
) -> Criteria:
    """Criteria of one family on ``as_of``, for the catalogue's framework.

    ``members``: ``(person_id, date_of_birth)`` of its current members; ``held``: ``(person_id, definition_id,
    value)`` of the indicators they hold (one row per person and definition, the highest value).
    """
    rules = catalogue.rules
    born_after = child_born_after(academic_year_start(as_of))
    dependents = sum(1 for _, dob in members if dob is not None and born_after < dob <= as_of)
    categories: dict[int, dict] = {}
    needs: dict[int, dict] = {}
    expectant: set[int] = set()
    risks: list[dict] = []
    cost, max_risk = Decimal(0), Decimal(0)
    for person_id, definition_id, value in held:
        definition = catalogue.definitions[definition_id]
        cost += catalogue.costs.get(definition_id, Decimal(0))
        category = definition.category
        if definition_id in rules.expectant:
            expectant.add(person_id)
        for need in rules.needs_of.get(definition_id, ()):
            entry = needs.setdefault(need.pk, {"need": need.code, "headline": need.headline.code,
                                               "person_ids": set(), "indicators": set(), "sections": set()})
            entry["person_ids"].add(person_id)
            entry["indicators"].add(definition.code)
            entry["sections"].add(category.section.code)
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
    needs_met = [n for n in rules.needs if n.pk in needs]
    met = [h for h in rules.headlines if any(n.headline_id == h.pk for n in needs_met)]
    badges = sorted({c["badge"] for c in categories.values()}, key=catalogue.badge_order.index)
    counted = len(met) if rules.framework.count_of == Framework.CountOf.HEADLINES else len(needs_met)
    eligible = (dependents > 0 or bool(expectant)) and counted >= rules.framework.eligible_min
    reasons = [
        {**c, "person_ids": sorted(c["person_ids"]), "indicators": sorted(c["indicators"])}
        for c in sorted(categories.values(), key=lambda c: c["category"])
    ] + [
        {**needs[n.pk], "person_ids": sorted(needs[n.pk]["person_ids"]), "indicators": sorted(needs[n.pk]["indicators"]),
         "sections": sorted(needs[n.pk]["sections"])} for n in needs_met
    ] + sorted(risks, key=lambda r: (-Decimal(r["value"]), r["risk"], r["person_id"]))
    return Criteria(
        as_of=as_of, framework_id=rules.framework.pk, badges=badges, problems=[h.code for h in met],
        problem_count=len(met), needs=[n.code for n in needs_met], need_count=len(needs_met),
        expectant_parents=len(expectant), is_eligible=eligible, max_risk=max_risk, estimated_cost=cost,
        dependent_children=dependents, reasons=reasons,
        reasons_text=_reasons_text(as_of, rules, met, needs_met, dependents or len(expectant), eligible, risks, cost),
    )


def _reasons_text(as_of, rules: Rules, met, needs_met, dependents: int, eligible: bool, risks: list[dict],
                  cost: Decimal) -> str:
    framework = rules.framework
    if framework.count_of == Framework.CountOf.HEADLINES:
        names = "; ".join(h.name for h in met)
        problems = f"meets {len(met)} of the {len(rules.headlines)} headline problems" + (f" ({names})" if met else "")
    else:
        names = "; ".join(n.name for n in needs_met)
        problems = (f"has {len(needs_met)} need{'s' if len(needs_met) != 1 else ''}" + (f" ({names})" if needs_met else "")
                    + f" in {len(met)} of the {len(rules.headlines)} headline outcomes")
    who = "dependent child or expectant parent" if framework.allows_expectant_parent else "dependent child"
    if not dependents:
        head = f"Not eligible: no {who} on {day_text(as_of)}; {problems}."
    elif eligible:
        head = f"Eligible: {problems}."
    else:
        head = f"Not eligible: {problems}; at least {framework.eligible_min} are needed."
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
