"""Reads of the indicators app: family criteria shown through the reader's sections, priority, refresh runs.

Eligibility and priority are the programme's decision over all data; the
badges, problems and reasons a reader is shown are filtered to the sections
their role may see (``apps.accounts.access.Access.sees``), so a hidden section
is not hinted at.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import Badge, FamilyCriteria, HeadlineProblem, RefreshRun


def eligible_families_by_priority(*, families: QuerySet | None = None) -> QuerySet[FamilyCriteria]:
    """Eligible families, most problems first, then highest risk score, then highest estimated cost.

    Pass ``families`` (e.g. ``visible_families(user, request)``) to keep to what a reader may see.
    """
    criteria = FamilyCriteria.objects.filter(is_eligible=True)
    if families is not None:
        criteria = criteria.filter(family__in=families)
    return criteria.select_related("family").order_by("-problem_count", "-max_risk", "-estimated_cost", "family_id")


@dataclass(frozen=True)
class FamilyCriteriaView:
    """What one reader is shown of a family's criteria."""

    criteria: FamilyCriteria
    badges: list[str]  # badge codes from sections the reader sees, in badge order
    problems: list[HeadlineProblem]  # headline problems met through those sections
    reasons: list[dict]  # structured reasons from those sections

    @property
    def is_eligible(self) -> bool:
        return self.criteria.is_eligible


def family_criteria_for(*, access, family) -> FamilyCriteriaView | None:
    """The family's criteria as ``access`` may see them; None before the first refresh."""
    criteria = FamilyCriteria.objects.filter(family=family).first()
    if criteria is None:
        return None
    reasons = [r for r in criteria.reasons if access.sees(r["section"])]
    badge_codes = {r["badge"] for r in reasons if "badge" in r}
    problem_codes = {r["problem"] for r in reasons if "problem" in r}
    return FamilyCriteriaView(
        criteria=criteria,
        badges=[code for code in Badge.objects.values_list("code", flat=True) if code in badge_codes],
        problems=[p for p in HeadlineProblem.objects.all() if p.code in problem_codes],
        reasons=reasons,
    )


def refresh_runs_recent(*, limit: int = 20) -> QuerySet[RefreshRun]:
    return RefreshRun.objects.all()[:limit]


# --- aggregates for analysts -------------------------------------------------------------

SMALL_CELL = 5  # counts below this are shown as "fewer than 5" (statistical disclosure control)


@dataclass(frozen=True)
class AreaFigures:
    area: str
    families: int
    eligible: int
    badges: dict[str, int]


def family_figures_by_area(*, access) -> tuple[list[str], list[AreaFigures]]:
    """Families, eligible families and families per badge, by area of the family's address.

    Aggregates only, never people; badges only from sections ``access`` may see.
    """
    from collections import Counter, defaultdict

    from apps.people.models import Area

    visible_badges = list(
        Badge.objects.filter(categories__section__code__in=access.sections).distinct().values_list("code", flat=True)
    )
    families, eligible = Counter(), Counter()
    badges: dict[str, Counter] = defaultdict(Counter)
    rows = FamilyCriteria.objects.values_list("family__household__address__area", "is_eligible", "badges")
    for area, is_eligible, family_badges in rows.iterator(chunk_size=5000):
        area = area or ""
        families[area] += 1
        eligible[area] += bool(is_eligible)
        for code in family_badges:
            if code in visible_badges:
                badges[area][code] += 1
    labels = dict(Area.choices) | {"": "Area not known"}
    figures = [
        AreaFigures(area=labels[a], families=families[a], eligible=eligible[a], badges={b: badges[a][b] for b in visible_badges})
        for a in [*Area.values, ""]
        if families[a]
    ]
    return visible_badges, figures
