"""The refresh: derived indicators, risk scores and family criteria, swapped in one transaction.

``refresh(...)`` (called by ``services.indicators_refresh``) reads the projected
master data and writes, for every person (or the members of one family):

1. **Derived indicators** (``IndicatorDefinition.kind == "derived"``), one per
   person and indicator, each by one aggregate query (``DERIVED_RULES``);
2. **Risk scores** (``kind == "risk"``) from the risk models (``risk.py``);
3. **Family criteria**: badges, headline problems, eligibility, risk and cost.

All of it happens inside one ``transaction.atomic()``: readers keep seeing the
previous figures until it commits, and an error half-way leaves everything as
it was. A ``RefreshRun`` row, written outside that transaction, records the run.
See docs/indicators.md for each definition.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from apps.people.models import Family, FamilyMembership, Person
from apps.schools.models import AttendanceMonth, Enrolment, Exclusion, School
from apps.sources.models import ImportBatch, SourceRecord

from . import risk
from .dates import academic_year_start, add_years, age_on, as_date, child_born_after
from .models import (
    Badge,
    FamilyCriteria,
    HeadlineProblem,
    IndicatorDefinition,
    IndicatorUnitCost,
    PersonIndicator,
    RefreshRun,
    RiskModel,
)
from .sql import execute, fetch, in_clause, json_text, scope_clause, table
from .sql import add_years as sql_add_years

Progress = Callable[..., None]
ELIGIBLE_PROBLEMS = 2  # seed 003: a family is eligible when it meets at least two of the six headline problems
PERSISTENT_ABSENCE_TENTHS = 1  # missing 10% or more of possible sessions (DfE)
FIXED_EXCLUSIONS = 3
TEENAGE_PARENT_AGE = 20
NEET_AGES = (16, 18)
NEET_STATUS_MONTHS = 12  # a NEET-tracking status older than this is not current
RELEASE_WINDOW_YEARS = 1
LOCK_KEY = 0x7F1D1CA7  # PostgreSQL advisory lock: one refresh at a time


@dataclass
class Period:
    """The dates one refresh measures against."""

    as_of: dt.date
    year_start: dt.date = field(init=False)
    child_born_after: dt.date = field(init=False)

    def __post_init__(self):
        self.year_start = academic_year_start(self.as_of)
        self.child_born_after = child_born_after(self.year_start)

    @property
    def year_label(self) -> str:
        return f"{self.year_start.year}/{str(self.year_start.year + 1)[2:]}"


@dataclass(frozen=True)
class Derived:
    """One derived indicator for one person, ready to insert."""

    person_id: int
    indicator_date: dt.date
    value: Decimal | None
    notes: str
    dataset_id: int | None


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


# ---- derived indicators: one aggregate query each ---------------------------------------------
# Each rule returns the rows to insert and (sql, params) selecting (person_id, source_record_id) pairs
# that support them; those pairs are linked to the new indicator of the same person.


def persistently_absent(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """Attended under 90% of possible sessions this academic year (missing 10% or more), DfE definition."""
    where, params = scope_clause("am.person_id", scope)
    rows = fetch(
        f"SELECT am.person_id, MAX(am.month), SUM(am.sessions_attended), SUM(am.sessions_possible), MIN(am.dataset_id) "
        f"FROM {table(AttendanceMonth)} am JOIN {table(Person)} p ON p.id = am.person_id "
        f"WHERE am.month >= %s AND am.month <= %s AND (p.date_of_birth IS NULL OR p.date_of_birth > %s){where} "
        f"GROUP BY am.person_id HAVING SUM(am.sessions_possible) > 0 "
        f"AND 10 * (SUM(am.sessions_possible) - SUM(am.sessions_attended)) >= {PERSISTENT_ABSENCE_TENTHS} * SUM(am.sessions_possible)",
        [period.year_start, period.as_of, period.child_born_after, *params],
    )
    derived = []
    for pid, month, attended, possible, dataset_id in rows:
        rate = Decimal(100 * attended) / Decimal(possible)
        derived.append(Derived(
            pid, as_date(month), rate.quantize(Decimal("0.01")),
            f"Attended {attended:,} of {possible:,} possible sessions ({rate:.1f}%) in the {period.year_label} academic "
            f"year to date: {100 - rate:.1f}% missed, at or above the 10% persistent absence threshold.",
            dataset_id,
        ))
    sr_where, sr_params = scope_clause("sr.person_id", scope)
    return derived, (
        f"SELECT sr.person_id, sr.id FROM {table(SourceRecord)} sr JOIN {table(ImportBatch)} b ON b.id = sr.batch_id "
        f"AND b.is_current = %s WHERE sr.fact_type = %s AND sr.fact_date >= %s AND sr.fact_date <= %s{sr_where}",
        [True, "attendance", period.year_start, period.as_of, *sr_params],
    )


def three_fixed_exclusions(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """Three or more fixed-term exclusions (suspensions) starting in this academic year."""
    where, params = scope_clause("e.person_id", scope)
    rows = fetch(
        f"SELECT e.person_id, MAX(e.start_date), COUNT(*), SUM(e.sessions), MIN(e.dataset_id) "
        f"FROM {table(Exclusion)} e JOIN {table(Person)} p ON p.id = e.person_id "
        f"WHERE e.kind = %s AND e.start_date >= %s AND e.start_date <= %s "
        f"AND (p.date_of_birth IS NULL OR p.date_of_birth > %s){where} "
        f"GROUP BY e.person_id HAVING COUNT(*) >= %s",
        [Exclusion.Kind.FIXED, period.year_start, period.as_of, period.child_born_after, *params, FIXED_EXCLUSIONS],
    )
    derived = [
        Derived(pid, as_date(last), Decimal(count),
                f"{count} fixed-term exclusions ({sessions} sessions) in the {period.year_label} academic year, "
                f"the latest on {_day(as_date(last))}.", dataset_id)
        for pid, last, count, sessions, dataset_id in rows
    ]
    kind = json_text("sr.fact", "exclusion_type")
    sr_where, sr_params = scope_clause("sr.person_id", scope)
    return derived, (
        f"SELECT sr.person_id, sr.id FROM {table(SourceRecord)} sr JOIN {table(ImportBatch)} b ON b.id = sr.batch_id "
        f"AND b.is_current = %s WHERE sr.fact_type = %s AND {kind} = %s AND sr.fact_date >= %s AND sr.fact_date <= %s{sr_where}",
        [True, "exclusion", "FIXED", period.year_start, period.as_of, *sr_params],
    )


def permanently_excluded(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """A permanent exclusion on record for someone who is still a child in this academic year."""
    where, params = scope_clause("e.person_id", scope)
    rows = fetch(
        f"SELECT e.person_id, MAX(e.start_date), COUNT(*), MIN(e.dataset_id) "
        f"FROM {table(Exclusion)} e JOIN {table(Person)} p ON p.id = e.person_id "
        f"WHERE e.kind = %s AND e.start_date <= %s AND (p.date_of_birth IS NULL OR p.date_of_birth > %s){where} "
        f"GROUP BY e.person_id",
        [Exclusion.Kind.PERMANENT, period.as_of, period.child_born_after, *params],
    )
    derived = [
        Derived(pid, as_date(last), Decimal(count),
                f"Permanently excluded on {_day(as_date(last))}" + (f" ({count} permanent exclusions on record)." if count > 1 else "."),
                dataset_id)
        for pid, last, count, dataset_id in rows
    ]
    kind = json_text("sr.fact", "exclusion_type")
    sr_where, sr_params = scope_clause("sr.person_id", scope)
    return derived, (
        f"SELECT sr.person_id, sr.id FROM {table(SourceRecord)} sr JOIN {table(ImportBatch)} b ON b.id = sr.batch_id "
        f"AND b.is_current = %s WHERE sr.fact_type = %s AND {kind} = %s AND sr.fact_date <= %s{sr_where}",
        [True, "exclusion", "PERMANENT", period.as_of, *sr_params],
    )


def pupil_referral_unit(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """Enrolled at a pupil referral unit on the refresh date."""
    where, params = scope_clause("en.person_id", scope)
    rows = fetch(
        f"SELECT en.person_id, MAX(en.date_from), MIN(s.name), MIN(en.dataset_id) "
        f"FROM {table(Enrolment)} en JOIN {table(School)} s ON s.id = en.school_id AND s.is_pupil_referral_unit = %s "
        f"JOIN {table(Person)} p ON p.id = en.person_id "
        f"WHERE (en.date_from IS NULL OR en.date_from <= %s) AND (en.date_to IS NULL OR en.date_to >= %s) "
        f"AND (p.date_of_birth IS NULL OR p.date_of_birth > %s){where} GROUP BY en.person_id",
        [True, period.as_of, period.as_of, period.child_born_after, *params],
    )
    derived = [
        Derived(pid, as_date(since) or period.as_of, None,
                f"Attending {school}" + (f" since {_day(as_date(since))}." if since else "."), dataset_id)
        for pid, since, school, dataset_id in rows
    ]
    urn = json_text("sr.fact", "school_urn")
    sr_where, sr_params = scope_clause("sr.person_id", scope)
    return derived, (
        f"SELECT sr.person_id, sr.id FROM {table(SourceRecord)} sr JOIN {table(ImportBatch)} b ON b.id = sr.batch_id "
        f"AND b.is_current = %s WHERE sr.fact_type = %s AND {urn} IN "
        f"(SELECT urn FROM {table(School)} WHERE is_pupil_referral_unit = %s) AND sr.fact_date <= %s"
        f"{sr_where}",
        [True, "enrolment", True, period.as_of, *sr_params],
    )


def teenage_parent(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """A parent aged under 20 at a child's birth (births to young parents, checked against the parent's date of birth)."""
    where, params = scope_clause("sr.person_id", scope)
    young = f"sr.fact_date < {sql_add_years('p.date_of_birth', TEENAGE_PARENT_AGE)}"
    base = (
        f"FROM {table(SourceRecord)} sr JOIN {table(ImportBatch)} b ON b.id = sr.batch_id AND b.is_current = %s "
        f"JOIN {table(Person)} p ON p.id = sr.person_id "
        f"WHERE sr.fact_type = %s AND sr.fact_date <= %s AND p.date_of_birth IS NOT NULL AND {young}{where}"
    )
    base_params = [True, "birth-of-child", period.as_of, *params]
    rows = fetch(f"SELECT sr.person_id, MAX(sr.fact_date), MIN(sr.fact_date), COUNT(DISTINCT sr.fact_date), "
                 f"MIN(sr.dataset_id), MIN(p.date_of_birth) {base} GROUP BY sr.person_id", base_params)
    derived = []
    for pid, last, first, births, dataset_id, dob in rows:
        first, last = as_date(first), as_date(last)
        derived.append(Derived(
            pid, last, Decimal(age_on(as_date(dob), first)),
            f"Aged {age_on(as_date(dob), first)} at the birth of a child on {_day(first)}"
            + (f"; {births} births before the age of {TEENAGE_PARENT_AGE}." if births > 1 else "."),
            dataset_id,
        ))
    return derived, (f"SELECT sr.person_id, sr.id {base}", base_params)


def child_neet(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """Aged 16 to 18 and NEET in their latest NEET-tracking status of the last 12 months."""
    where, params = scope_clause("sr.person_id", scope)
    since = add_years(period.as_of, -1)
    activity = json_text("sr.fact", "activity")
    latest = (
        f"FROM {table(SourceRecord)} sr JOIN {table(ImportBatch)} b ON b.id = sr.batch_id AND b.is_current = %s "
        f"JOIN {table(Person)} p ON p.id = sr.person_id "
        f"WHERE sr.fact_type = %s AND sr.fact_date > %s AND sr.fact_date <= %s AND {activity} = %s "
        f"AND p.date_of_birth <= %s AND p.date_of_birth > %s{where} "
        f"AND NOT EXISTS (SELECT 1 FROM {table(SourceRecord)} later JOIN {table(ImportBatch)} lb ON lb.id = later.batch_id "
        f"AND lb.is_current = %s WHERE later.person_id = sr.person_id AND later.fact_type = sr.fact_type "
        f"AND later.fact_date > sr.fact_date AND later.fact_date <= %s)"
    )
    latest_params = [True, "neet-status", since, period.as_of, "NEET", add_years(period.as_of, -NEET_AGES[0]),
                     add_years(period.as_of, -(NEET_AGES[1] + 1)), *params, True, period.as_of]
    rows = fetch(f"SELECT sr.person_id, MAX(sr.fact_date), MIN(sr.dataset_id) {latest} GROUP BY sr.person_id", latest_params)
    derived = [
        Derived(pid, as_date(day), None,
                f"Not in education, employment or training at their latest NEET tracking contact on {_day(as_date(day))}.",
                dataset_id)
        for pid, day, dataset_id in rows
    ]
    return derived, (f"SELECT sr.person_id, sr.id {latest}", latest_params)


def prisoner_near_release(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """In custody with an expected release date within the next 12 months."""
    where, params = scope_clause("sr.person_id", scope)
    release = json_text("sr.fact", "expected_release")
    base = (
        f"FROM {table(SourceRecord)} sr JOIN {table(ImportBatch)} b ON b.id = sr.batch_id AND b.is_current = %s "
        f"WHERE sr.person_id IS NOT NULL AND sr.fact_type = %s AND sr.fact_date <= %s "
        f"AND {release} >= %s AND {release} <= %s{where}"
    )
    base_params = [True, "custody", period.as_of, period.as_of.isoformat(),
                   add_years(period.as_of, RELEASE_WINDOW_YEARS).isoformat(), *params]
    establishment = json_text("sr.fact", "establishment")
    rows = fetch(f"SELECT sr.person_id, {release}, {establishment}, sr.fact_date, sr.dataset_id {base}", base_params)
    soonest: dict[int, tuple] = {}
    for pid, release_day, place, start, dataset_id in rows:
        key = (as_date(release_day), as_date(start))
        if pid not in soonest or key < soonest[pid][0]:
            soonest[pid] = (key, place, dataset_id)
    derived = [
        Derived(pid, released, Decimal((released - period.as_of).days),
                f"In custody{f' at {place}' if place else ''} since {_day(start)}; expected release {_day(released)}, "
                f"{(released - period.as_of).days} days away.", dataset_id)
        for pid, ((released, start), place, dataset_id) in sorted(soonest.items())
    ]
    return derived, (f"SELECT sr.person_id, sr.id {base}", base_params)


DERIVED_RULES = {
    "child-persistently-absent": persistently_absent,
    "child-3-fixed-term-exclusions": three_fixed_exclusions,
    "child-permanently-excluded": permanently_excluded,
    "child-pupil-referral-unit": pupil_referral_unit,
    "teenage-parent": teenage_parent,
    "child-neet": child_neet,
    "prisoner-12-months-from-release": prisoner_near_release,
}


# ---- the run ------------------------------------------------------------------------------


@dataclass
class Scope:
    """Who a refresh covers: everyone (``None``) or the members and families of one family."""

    person_ids: list[int] | None
    family_ids: list[int] | None

    @classmethod
    def everyone(cls) -> Scope:
        return cls(None, None)

    @classmethod
    def of_family(cls, family: Family) -> Scope:
        """The family's members (past and present) and every family any of them belongs to."""
        persons = sorted(set(FamilyMembership.objects.filter(family=family).values_list("person_id", flat=True)))
        families = set(FamilyMembership.objects.filter(person_id__in=persons).values_list("family_id", flat=True))
        return cls(persons, sorted(families | {family.pk}))


def _computed_definitions() -> dict[int, IndicatorDefinition]:
    return {
        d.pk: d for d in IndicatorDefinition.objects.filter(
            kind__in=[IndicatorDefinition.Kind.DERIVED, IndicatorDefinition.Kind.RISK]).select_related("category")
    }


def _snapshot(scope: Scope, definitions) -> tuple[set[tuple[int, int]], set[int]]:
    """(person, indicator) pairs of computed indicators, and eligible family ids, within ``scope``."""
    indicators = PersonIndicator.objects.filter(definition_id__in=list(definitions))
    criteria = FamilyCriteria.objects.filter(is_eligible=True)
    if scope.person_ids is not None:
        indicators = indicators.filter(person_id__in=scope.person_ids)
        criteria = criteria.filter(family_id__in=scope.family_ids)
    return set(indicators.values_list("person_id", "definition_id")), set(criteria.values_list("family_id", flat=True))


def _delete_computed(scope: Scope, definitions) -> int:
    ids_sql, params = in_clause("definition_id", definitions)
    where, scope_params = scope_clause("person_id", scope.person_ids)
    through = PersonIndicator.source_records.through
    execute(f"DELETE FROM {table(through)} WHERE personindicator_id IN "
            f"(SELECT id FROM {table(PersonIndicator)} WHERE {ids_sql}{where})", params + scope_params)
    return execute(f"DELETE FROM {table(PersonIndicator)} WHERE {ids_sql}{where}", params + scope_params)


def _insert(definition: IndicatorDefinition, rows: list[Derived], support: tuple[str, list] | None) -> None:
    PersonIndicator.objects.bulk_create(
        [PersonIndicator(person_id=r.person_id, definition=definition, indicator_date=r.indicator_date, value=r.value,
                         notes=r.notes, dataset_id=r.dataset_id) for r in rows],
        batch_size=2000,
    )
    if support and rows:
        sql, params = support
        through = PersonIndicator.source_records.through
        execute(
            f"INSERT INTO {table(through)} (personindicator_id, sourcerecord_id) "
            f"SELECT DISTINCT pi.id, s.id FROM {table(PersonIndicator)} pi JOIN ({sql}) s ON s.person_id = pi.person_id "
            f"WHERE pi.definition_id = %s",
            [*params, definition.pk],
        )


def derived_indicators_rebuild(period: Period, scope: Scope, progress: Progress) -> dict[str, int]:
    counts = {}
    definitions = {d.code: d for d in IndicatorDefinition.objects.filter(kind=IndicatorDefinition.Kind.DERIVED)}
    missing = set(definitions) - set(DERIVED_RULES)
    if missing:
        raise LookupError(f"no derivation rule for derived indicator(s) {', '.join(sorted(missing))}")
    for code, rule in DERIVED_RULES.items():
        if code not in definitions:
            continue
        rows, support = rule(period, scope.person_ids)
        _insert(definitions[code], rows, support)
        counts[code] = len(rows)
        progress("derived", indicator=code, people=len(rows))
    return counts


def risk_scores_rebuild(period: Period, scope: Scope, progress: Progress) -> dict[str, int]:
    dobs_qs = Person.objects.all() if scope.person_ids is None else Person.objects.filter(pk__in=scope.person_ids)
    dobs = dict(dobs_qs.values_list("pk", "date_of_birth"))
    counts = {}
    for model in RiskModel.objects.select_related("indicator").prefetch_related("factors"):
        scores = risk.model_scores(model, as_of=period.as_of, person_ids=scope.person_ids, dobs=dobs)
        _insert(model.indicator, [Derived(s.person_id, period.as_of, s.score, s.notes(model), None) for s in scores], None)
        counts[model.indicator.code] = len(scores)
        progress("risk", indicator=model.indicator.code, people=len(scores))
    return counts


def _money(amount: Decimal) -> str:
    return f"£{amount:,.0f}"


def family_criteria_rebuild(period: Period, scope: Scope, run: RefreshRun | None) -> dict[str, int]:
    """Badges, headline problems, eligibility, risk and cost of every family in scope, from current members."""
    current = ("(m.date_from IS NULL OR m.date_from <= %s) AND (m.date_to IS NULL OR m.date_to >= %s)")
    where, params = scope_clause("m.family_id", scope.family_ids)
    members = fetch(
        f"SELECT m.family_id, m.person_id, p.date_of_birth FROM {table(FamilyMembership)} m "
        f"JOIN {table(Person)} p ON p.id = m.person_id WHERE {current}{where}",
        [period.as_of, period.as_of, *params],
    )
    held = fetch(
        f"SELECT m.family_id, pi.person_id, pi.definition_id, MAX(pi.value) FROM {table(FamilyMembership)} m "
        f"JOIN {table(PersonIndicator)} pi ON pi.person_id = m.person_id WHERE {current}{where} "
        f"GROUP BY m.family_id, pi.person_id, pi.definition_id",
        [period.as_of, period.as_of, *params],
    )
    definitions = {d.pk: d for d in IndicatorDefinition.objects.select_related("category__badge__headline_problem", "category__section")}
    costs = dict(IndicatorUnitCost.objects.values_list("indicator_id", "annual_cost"))
    problems = list(HeadlineProblem.objects.all())
    badge_order = list(Badge.objects.values_list("code", flat=True))
    family_ids = scope.family_ids if scope.family_ids is not None else list(Family.objects.values_list("pk", flat=True))

    dependents: Counter = Counter()
    for family_id, _, dob in members:
        dob = as_date(dob)
        if dob is not None and period.child_born_after < dob <= period.as_of:
            dependents[family_id] += 1
    by_family: dict[int, list] = defaultdict(list)
    for family_id, person_id, definition_id, value in held:
        by_family[family_id].append((person_id, definitions[definition_id], value))

    rows = []
    for family_id in family_ids:
        categories: dict[int, dict] = {}
        risks: list[dict] = []
        cost, max_risk = Decimal(0), Decimal(0)
        for person_id, definition, value in by_family.get(family_id, []):
            cost += costs.get(definition.pk, Decimal(0))
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
        met = [p for p in problems if any(c["problem"] == p.code for c in categories.values())]
        badges = sorted({c["badge"] for c in categories.values()}, key=badge_order.index)
        eligible = dependents[family_id] > 0 and len(met) >= ELIGIBLE_PROBLEMS
        reasons = [
            {**c, "person_ids": sorted(c["person_ids"]), "indicators": sorted(c["indicators"])}
            for c in sorted(categories.values(), key=lambda c: c["category"])
        ] + sorted(risks, key=lambda r: (-Decimal(r["value"]), r["risk"]))
        rows.append(FamilyCriteria(
            family_id=family_id, badges=badges, problems=[p.code for p in met], problem_count=len(met),
            is_eligible=eligible, max_risk=max_risk, estimated_cost=cost, dependent_children=dependents[family_id],
            reasons=reasons, reasons_text=_reasons_text(period, met, dependents[family_id], eligible, risks, cost),
            as_of=period.as_of, refresh_run=run,
        ))
    old = FamilyCriteria.objects.all()
    if scope.family_ids is not None:
        old = old.filter(family_id__in=scope.family_ids)
    old.delete()
    FamilyCriteria.objects.bulk_create(rows, batch_size=2000)
    return {"families": len(rows), "eligible": sum(r.is_eligible for r in rows)}


def _reasons_text(period: Period, met, dependents: int, eligible: bool, risks: list[dict], cost: Decimal) -> str:
    names = "; ".join(p.name for p in met)
    problems = f"meets {len(met)} of the 6 headline problems" + (f" ({names})" if met else "")
    if not dependents:
        head = f"Not eligible: no dependent child on {_day(period.as_of)}; {problems}."
    elif eligible:
        head = f"Eligible: {problems}."
    else:
        head = f"Not eligible: {problems}; at least {ELIGIBLE_PROBLEMS} are needed."
    if risks:
        top = max(risks, key=lambda r: Decimal(r["value"]))
        head += f" Highest risk score {Decimal(top['value']):.0f} ({top['name']})."
    return head + f" Estimated yearly cost {_money(cost)}."


def refresh(*, run: RefreshRun, scope: Scope, progress: Progress) -> RefreshRun:
    """Recompute everything in ``scope`` in one transaction and record the outcome on ``run``."""
    period = Period(run.as_of)
    started = time.monotonic()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            definitions = _computed_definitions()
            before, eligible_before = _snapshot(scope, definitions)
            counts: dict = {}
            if scope.person_ids is None:
                for model in RiskModel.objects.filter(method=RiskModel.Method.LEARNED).select_related("indicator"):
                    summary = risk.neet_model_train(model=model, as_of=period.as_of)
                    counts[f"trained:{model.indicator.code}"] = summary.get("auc_held_out") or summary.get("skipped")
                    progress("trained", model=model.indicator.code, cohort=summary["cohort"],
                             auc=summary.get("auc_held_out"))
            counts["removed_rows"] = _delete_computed(scope, list(definitions))
            progress("cleared", rows=counts["removed_rows"])
            counts["derived"] = derived_indicators_rebuild(period, scope, progress)
            counts["risk"] = risk_scores_rebuild(period, scope, progress)
            counts |= family_criteria_rebuild(period, scope, run)
            progress("families", families=counts["families"], eligible=counts["eligible"])
            after, eligible_after = _snapshot(scope, definitions)
    except BaseException as error:
        run.status = RefreshRun.Status.FAILED
        run.error = f"{type(error).__name__}: {error}"
        _finish(run, started)
        raise
    category = {pk: d.category.code for pk, d in definitions.items()}
    run.added = dict(sorted(Counter(category[d] for _, d in after - before).items()))
    run.removed = dict(sorted(Counter(category[d] for _, d in before - after).items()))
    references = dict(Family.objects.filter(pk__in=eligible_after ^ eligible_before).values_list("pk", "reference"))
    run.newly_eligible = sorted(references[f] for f in eligible_after - eligible_before)
    run.no_longer_eligible = sorted(references[f] for f in eligible_before - eligible_after)
    run.counts = counts
    run.status = RefreshRun.Status.SUCCEEDED
    _finish(run, started)
    return run


def _finish(run: RefreshRun, started: float) -> None:
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.monotonic() - started, 3)
    run.save()
