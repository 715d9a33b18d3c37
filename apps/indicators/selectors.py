"""Reads of the indicators app: family criteria shown through the reader's sections, priority, refresh runs.

Everything a reader is shown of a family's criteria and of risk scores is
computed from only what they may see (the members visible to them, the
sections their role shows), so neither a restricted record nor a hidden
section leaves a trace: not in badges, problems, reasons, eligibility, risk
or cost.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import F, Max, Q, QuerySet

from apps.people.visibility import family_q, person_q, sections_q
from apps.sources.specs import dataset_specs

from .criteria import Catalogue, Criteria, Rules, criteria_compute
from .models import (
    Badge,
    FamilyCriteria,
    Framework,
    FrameworkHeadline,
    FrameworkNeed,
    IndicatorDefinition,
    PersonIndicator,
    RefreshRun,
    RiskFactor,
    RiskModel,
)


def priority_order(framework: Framework | None = None) -> tuple[str, ...]:
    """The eligible list's order for a framework: what it counts first (headlines, or needs then headlines), then
    highest risk score, then highest estimated cost."""
    framework = framework or Framework.objects.filter(is_active=True).first()
    counts = ("-need_count", "-problem_count") if framework and framework.count_of == Framework.CountOf.NEEDS \
        else ("-problem_count",)
    return (*counts, "-max_risk", "-estimated_cost", "family_id")


def eligible_families_by_priority(*, families: QuerySet | None = None) -> QuerySet[FamilyCriteria]:
    """Eligible families under the active framework, in its priority order (``priority_order``).

    Pass ``families`` (e.g. ``Family.objects.visible_to(viewer)``) to keep to what a reader may see.
    """
    criteria = FamilyCriteria.objects.filter(is_eligible=True)
    if families is not None:
        criteria = criteria.filter(family__in=families)
    return criteria.select_related("family").order_by(*priority_order())


@dataclass(frozen=True)
class FamilyCriteriaView:
    """What one reader is shown of a family's criteria: computed from only what they may see."""

    criteria: Criteria
    badges: list[str]  # badge codes from sections the reader sees, in badge order
    problems: list[FrameworkHeadline]  # the active framework's headlines met through those sections
    needs: list[FrameworkNeed]  # its needs met through them
    reasons: list[dict]  # structured reasons from those sections and members
    rules: Rules  # the active framework: every headline and need

    @property
    def framework(self) -> Framework:
        return self.rules.framework

    @property
    def is_eligible(self) -> bool:
        return self.criteria.is_eligible


def family_criteria_for(*, viewer, family) -> FamilyCriteriaView | None:
    """The family's criteria as this reader may see them; None before the first refresh.

    Computed by the refresh's own function over the current members the reader may see and the
    indicators they hold in the sections the reader's role shows, with risk scores as
    ``risk_scores_for`` gives them: the same as the stored criteria when nothing is hidden, and
    otherwise what the refresh would have stored had the hidden records not existed.
    """
    from apps.people.models import FamilyMembership

    stored = FamilyCriteria.objects.filter(family=family).only("as_of").first()
    if stored is None:
        return None
    as_of = stored.as_of
    members = list(
        FamilyMembership.objects.filter(person_q(viewer, via="person__"), family=family)
        .filter(current_on_q(as_of)).values_list("person_id", "person__date_of_birth")
    )
    person_ids = [pid for pid, _ in members]
    held = _held(person_ids, viewer)
    held += [(s.person_id, s.definition_id, s.value) for s in risk_scores_for(
        viewer=viewer, person_ids=person_ids)]
    catalogue = Catalogue.load()
    criteria = criteria_compute(as_of=as_of, members=members, held=held, catalogue=catalogue)
    return FamilyCriteriaView(
        criteria=criteria, badges=criteria.badges,
        problems=[p for p in catalogue.problems if p.code in criteria.problems],
        needs=[n for n in catalogue.rules.needs if n.code in criteria.needs], reasons=criteria.reasons,
        rules=catalogue.rules,
    )


def current_on_q(day, *, via: str = "") -> Q:
    """Memberships current on ``day`` (open-ended at either side counts), as the refresh reads them."""
    return (Q(**{f"{via}date_from__isnull": True}) | Q(**{f"{via}date_from__lte": day})) & (
        Q(**{f"{via}date_to__isnull": True}) | Q(**{f"{via}date_to__gte": day}))


def _held(person_ids, viewer) -> list[tuple[int, int, object]]:
    """``(person_id, definition_id, highest value)`` of the non-risk indicators in sections the ``viewer``'s role sees."""
    rows = (
        PersonIndicator.objects.filter(person_id__in=list(person_ids),
                                       definition__category__section__code__in=sorted(viewer.sections))
        .exclude(definition__kind=IndicatorDefinition.Kind.RISK)
        .values_list("person_id", "definition_id").annotate(value=Max("value")).order_by()
    )
    return list(rows)


# --- risk scores, as one reader may see them ------------------------------------------------


@dataclass(frozen=True)
class Hidden:
    """Records one reader may not see, as far as a risk score's family evidence reaches."""

    person_ids: frozenset[int]
    family_ids: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.person_ids or self.family_ids)


def risk_model_sections(model: RiskModel, indicator_sections: dict[str, str], specs=None) -> frozenset[str]:
    """Every section a model reads: its own category's and those of each factor's evidence.

    ``indicator_sections``: indicator code -> section code, for the whole catalogue; ``specs``: the
    datasets' specs (read from the database when not given).
    """
    specs = list(dataset_specs().values()) if specs is None else specs
    sections = {model.indicator.category.section.code}
    for factor in model.factors.all():
        if factor.kind in (RiskFactor.Kind.INDICATOR, RiskFactor.Kind.FAMILY_INDICATOR):
            sections.update(indicator_sections.get(code, "unknown-indicator") for code in factor.codes)
        elif factor.kind == RiskFactor.Kind.EVENT:
            found = {spec.section for spec in specs
                     if spec.fact_kind in factor.codes
                     or set(factor.codes) & {spec.indicator_of(code) for code in spec.event_types}}
            sections.update(found or {"unknown-event-source"})  # a source we cannot place: shown to nobody
        else:  # exclusions, pupil referral units, SEN: school records
            sections.add("school")
    return frozenset(sections)


def readable_risk_models(viewer) -> dict[int, RiskModel]:
    """Risk models whose every input the ``viewer``'s role sees, by indicator definition id.

    A score computed from a section the reader may not see would carry that section to them,
    so such a model is not shown to their role at all (a property of the role, not of anyone's data).
    """
    if "readable_risk_models" not in viewer.memo:  # once per request: the person and family pages ask more than once
        models = RiskModel.objects.select_related("indicator__category__section").prefetch_related("factors")
        indicator_sections = dict(IndicatorDefinition.objects.values_list("code", "category__section__code"))
        specs = list(dataset_specs().values())
        viewer.memo["readable_risk_models"] = {
            m.indicator_id: m for m in models if risk_model_sections(m, indicator_sections, specs) <= viewer.sections}
    return viewer.memo["readable_risk_models"]


def hidden_around(*, viewer, person_ids, as_of) -> Hidden:
    """Family members and families hidden from the reader that share a current family with these people."""
    from apps.people.models import FamilyMembership

    families = set(FamilyMembership.objects.filter(current_on_q(as_of), person_id__in=list(person_ids))
                   .values_list("family_id", flat=True))
    if not families:
        return Hidden(frozenset(), frozenset())
    from apps.people.models import Family

    seen_families = set(Family.objects.filter(family_q(viewer), pk__in=families).values_list("pk", flat=True))
    co_members = FamilyMembership.objects.filter(current_on_q(as_of), family_id__in=families)
    everyone = set(co_members.values_list("person_id", flat=True))
    seen = set(co_members.filter(person_q(viewer, via="person__")).values_list("person_id", flat=True))
    return Hidden(frozenset(everyone - seen), frozenset(families - seen_families))


def risk_scores_for(*, viewer, person_ids) -> list[PersonIndicator]:
    """The risk scores of these (visible) people that the reader may be shown.

    Only models whose every input section the role sees. A score whose family evidence could come
    from someone hidden from the reader is recomputed without them (unsaved rows, the same fields),
    so it is what the refresh would have stored had the hidden records not existed.
    """
    readable = readable_risk_models(viewer)
    stored = list(
        PersonIndicator.objects.filter(person_id__in=list(person_ids), definition_id__in=list(readable))
        .select_related("definition__category").order_by("person_id", "definition__order", "-indicator_date")
    )
    result = []
    by_day: dict = {}
    for score in stored:
        by_day.setdefault(score.indicator_date, []).append(score)
    for as_of, scores in by_day.items():
        hidden = hidden_around(viewer=viewer, person_ids={s.person_id for s in scores}, as_of=as_of)
        if not hidden:
            result += scores
            continue
        result += _rescored(scores, readable=readable, hidden=hidden, as_of=as_of)
    return sorted(result, key=lambda s: (s.person_id, s.definition.order, s.definition.code))


def _rescored(scores, *, readable, hidden: Hidden, as_of) -> list[PersonIndicator]:
    from apps.people.models import Person

    from . import risk

    person_ids = sorted({s.person_id for s in scores})
    dobs = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "date_of_birth"))
    rescored = []
    for definition_id in sorted({s.definition_id for s in scores}):
        model = readable[definition_id]
        wanted = {s.person_id for s in scores if s.definition_id == definition_id}
        template = next(s for s in scores if s.definition_id == definition_id)
        for new in risk.model_scores(model, as_of=as_of, person_ids=sorted(wanted), dobs=dobs, hidden=hidden):
            rescored.append(PersonIndicator(
                person_id=new.person_id, definition=template.definition, indicator_date=as_of, value=new.score,
                notes=new.notes(model), dataset_id=None))
    return rescored


def badges_for_persons(person_ids, viewer) -> dict[int, list[str]]:
    """Badge codes per person, only from categories the user may see, in catalogue order."""
    order = {code: i for i, code in enumerate(Badge.objects.values_list("code", flat=True))}
    rows = (
        PersonIndicator.objects.filter(person_id__in=list(person_ids), definition__category__badge__isnull=False)
        .filter(sections_q(viewer, path="definition__category__section__code"))
        .values_list("person_id", "definition__category__badge__code")
        .distinct()
    )
    badges: dict[int, set[str]] = defaultdict(set)
    for person_id, code in rows:
        badges[person_id].add(code)
    return {pid: sorted(codes, key=order.get) for pid, codes in badges.items()}


def visible_badges(viewer):
    """Badges of the categories in sections the viewer's role sees, in catalogue order."""
    return Badge.objects.filter(categories__section__code__in=sorted(viewer.sections)).distinct().order_by("order", "code")


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


def family_figures_by_area(*, viewer) -> tuple[list[str], list[AreaFigures]]:
    """Families, eligible families and families per badge, by area of the family's address.

    Aggregates only, never people, and only of what the role may see: restricted families are
    not counted, a family with a restricted member is counted as if that member were not in it,
    and badges and eligibility come only from sections the ``viewer``'s role sees (the stored criteria are
    used where they are exactly that; the few other families are computed by the refresh's own
    function over what is visible).
    """
    from apps.accounts.models import Section
    from apps.people.models import Area, FamilyMembership

    visible_badges = list(
        Badge.objects.filter(categories__section__code__in=viewer.sections).distinct().values_list("code", flat=True)
    )
    stored = FamilyCriteria.objects.filter(family__is_restricted=False)
    if viewer.sections >= set(Section.objects.values_list("code", flat=True)):
        as_of = F("family__criteria__as_of")
        recompute = set(
            FamilyMembership.objects.filter(person__is_restricted=True, family__is_restricted=False)
            .filter(Q(date_from__isnull=True) | Q(date_from__lte=as_of), Q(date_to__isnull=True) | Q(date_to__gte=as_of))
            .values_list("family_id", flat=True)
        )
    else:
        recompute = set(stored.values_list("family_id", flat=True))
    computed = _open_criteria(recompute, viewer)
    families, eligible = Counter(), Counter()
    badges: dict[str, Counter] = defaultdict(Counter)
    rows = stored.values_list("family_id", "family__household__address__area", "is_eligible", "badges")
    for family_id, area, is_eligible, family_badges in rows.iterator(chunk_size=5000):
        if family_id in computed:
            is_eligible, family_badges = computed[family_id].is_eligible, computed[family_id].badges
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


def _open_criteria(family_ids, viewer) -> dict[int, Criteria]:
    """Criteria of these families over their unrestricted current members and the sections the ``viewer``'s role sees."""
    from apps.people.models import FamilyMembership

    if not family_ids:
        return {}
    as_of = dict(FamilyCriteria.objects.filter(family_id__in=family_ids).values_list("family_id", "as_of"))
    members: dict[int, list] = defaultdict(list)
    rows = FamilyMembership.objects.filter(family_id__in=list(family_ids), person__is_restricted=False).values_list(
        "family_id", "person_id", "person__date_of_birth", "date_from", "date_to")
    for family_id, person_id, dob, date_from, date_to in rows:
        day = as_of[family_id]
        if (date_from is None or date_from <= day) and (date_to is None or date_to >= day):
            members[family_id].append((person_id, dob))
    held: dict[int, list] = defaultdict(list)
    for row in _held({pid for m in members.values() for pid, _ in m}, viewer):
        held[row[0]].append(row)
    catalogue = Catalogue.load()
    return {
        family_id: criteria_compute(as_of=day, members=members.get(family_id, []),
                                    held=[row for pid, _ in members.get(family_id, []) for row in held[pid]],
                                    catalogue=catalogue)
        for family_id, day in as_of.items()
    }
