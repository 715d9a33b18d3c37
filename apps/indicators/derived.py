"""Derived indicators: one rule per ``IndicatorDefinition.kind == "derived"``, each one aggregate query.

The rules read only projected tables (school records, births, NEET statuses, custody spells:
``apps.matching.projection.facts``), never source rows. A rule takes the ``Period`` measured and the persons in scope (None: everyone) and
returns the rows to insert and ``(sql, params)`` selecting the ``(person_id,
source_record_id)`` pairs that support them; the run links those pairs to the new
indicator of the same person. ``DERIVED_RULES`` maps each code to its rule; the run
refuses a derived definition without one. See docs/indicators.md for each definition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from apps.common.dates import academic_year_start, add_years, age_on, as_date, child_born_after
from apps.people.models import ChildBirth, CustodySpell, NeetStatus, Person
from apps.schools.models import AttendanceMonth, Enrolment, Exclusion, School

from .sql import add_years as sql_add_years
from .sql import fetch, scope_clause, table

PERSISTENT_ABSENCE_TENTHS = 1  # missing 10% or more of possible sessions (DfE)
FIXED_EXCLUSIONS = 3
TEENAGE_PARENT_AGE = 20
NEET_AGES = (16, 18)
RELEASE_WINDOW_YEARS = 1


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


def _supported_by(alias: str, base: str, params: list) -> tuple[str, list]:
    """The supporting ``(person_id, source record id)`` pairs of the rows ``base`` (FROM ... WHERE ...) selects."""
    return (f"SELECT {alias}.person_id, {alias}.source_record_id {base} AND {alias}.source_record_id IS NOT NULL",
            params)


def persistently_absent(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """Attended under 90% of possible sessions this academic year (missing 10% or more), DfE definition."""
    where, params = scope_clause("am.person_id", scope)
    base = (f"FROM {table(AttendanceMonth)} am JOIN {table(Person)} p ON p.id = am.person_id "
            f"WHERE am.month >= %s AND am.month <= %s AND (p.date_of_birth IS NULL OR p.date_of_birth > %s){where}")
    base_params = [period.year_start, period.as_of, period.child_born_after, *params]
    rows = fetch(
        f"SELECT am.person_id, MAX(am.month), SUM(am.sessions_attended), SUM(am.sessions_possible), MIN(am.dataset_id) "
        f"{base} GROUP BY am.person_id HAVING SUM(am.sessions_possible) > 0 "
        f"AND 10 * (SUM(am.sessions_possible) - SUM(am.sessions_attended)) >= {PERSISTENT_ABSENCE_TENTHS} * SUM(am.sessions_possible)",
        base_params,
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
    return derived, _supported_by("am", base, base_params)


def _exclusions(kind: str, since: dt.date | None, period: Period, scope) -> tuple[str, list]:
    """FROM ... WHERE ... of the exclusions of ``kind`` starting from ``since`` (any time, when None) to the
    refresh date, of people who are children in the academic year."""
    where, params = scope_clause("e.person_id", scope)
    start, start_params = ("e.start_date >= %s AND ", [since]) if since else ("", [])
    base = (f"FROM {table(Exclusion)} e JOIN {table(Person)} p ON p.id = e.person_id "
            f"WHERE e.kind = %s AND {start}e.start_date <= %s "
            f"AND (p.date_of_birth IS NULL OR p.date_of_birth > %s){where}")
    return base, [kind, *start_params, period.as_of, period.child_born_after, *params]


def three_fixed_exclusions(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """Three or more fixed-term exclusions (suspensions) starting in this academic year."""
    base, base_params = _exclusions(Exclusion.Kind.FIXED, period.year_start, period, scope)
    rows = fetch(f"SELECT e.person_id, MAX(e.start_date), COUNT(*), SUM(e.sessions), MIN(e.dataset_id) {base} "
                 f"GROUP BY e.person_id HAVING COUNT(*) >= %s", [*base_params, FIXED_EXCLUSIONS])
    derived = [
        Derived(pid, as_date(last), Decimal(count),
                f"{count} fixed-term exclusions ({sessions} sessions) in the {period.year_label} academic year, "
                f"the latest on {_day(as_date(last))}.", dataset_id)
        for pid, last, count, sessions, dataset_id in rows
    ]
    return derived, _supported_by("e", base, base_params)


def permanently_excluded(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """A permanent exclusion on record for someone who is still a child in this academic year."""
    base, base_params = _exclusions(Exclusion.Kind.PERMANENT, None, period, scope)
    rows = fetch(f"SELECT e.person_id, MAX(e.start_date), COUNT(*), MIN(e.dataset_id) {base} GROUP BY e.person_id",
                 base_params)
    derived = [
        Derived(pid, as_date(last), Decimal(count),
                f"Permanently excluded on {_day(as_date(last))}" + (f" ({count} permanent exclusions on record)." if count > 1 else "."),
                dataset_id)
        for pid, last, count, dataset_id in rows
    ]
    return derived, _supported_by("e", base, base_params)


def pupil_referral_unit(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """Enrolled at a pupil referral unit on the refresh date."""
    where, params = scope_clause("en.person_id", scope)
    at_pru = f"FROM {table(Enrolment)} en JOIN {table(School)} s ON s.id = en.school_id AND s.is_pupil_referral_unit = %s "
    rows = fetch(
        f"SELECT en.person_id, MAX(en.date_from), MIN(s.name), MIN(en.dataset_id) "
        f"{at_pru}JOIN {table(Person)} p ON p.id = en.person_id "
        f"WHERE (en.date_from IS NULL OR en.date_from <= %s) AND (en.date_to IS NULL OR en.date_to >= %s) "
        f"AND (p.date_of_birth IS NULL OR p.date_of_birth > %s){where} GROUP BY en.person_id",
        [True, period.as_of, period.as_of, period.child_born_after, *params],
    )
    derived = [
        Derived(pid, as_date(since) or period.as_of, None,
                f"Attending {school}" + (f" since {_day(as_date(since))}." if since else "."), dataset_id)
        for pid, since, school, dataset_id in rows
    ]
    # supported by each PRU placement that began by the refresh date, ended ones too
    return derived, _supported_by("en", f"{at_pru}WHERE en.date_from <= %s{where}", [True, period.as_of, *params])


def teenage_parent(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """A parent aged under 20 at a child's birth (births to young parents, checked against the parent's date of birth)."""
    where, params = scope_clause("b.person_id", scope)
    young = f"b.born_on < {sql_add_years('p.date_of_birth', TEENAGE_PARENT_AGE)}"
    base = (
        f"FROM {table(ChildBirth)} b JOIN {table(Person)} p ON p.id = b.person_id "
        f"WHERE b.born_on <= %s AND p.date_of_birth IS NOT NULL AND {young}{where}"
    )
    base_params = [period.as_of, *params]
    rows = fetch(f"SELECT b.person_id, MAX(b.born_on), MIN(b.born_on), COUNT(DISTINCT b.born_on), "
                 f"MIN(b.dataset_id), MIN(p.date_of_birth) {base} GROUP BY b.person_id", base_params)
    derived = []
    for pid, last, first, births, dataset_id, dob in rows:
        first, last = as_date(first), as_date(last)
        derived.append(Derived(
            pid, last, Decimal(age_on(as_date(dob), first)),
            f"Aged {age_on(as_date(dob), first)} at the birth of a child on {_day(first)}"
            + (f"; {births} births before the age of {TEENAGE_PARENT_AGE}." if births > 1 else "."),
            dataset_id,
        ))
    return derived, _supported_by("b", base, base_params)


def child_neet(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """Aged 16 to 18 and NEET in their latest NEET-tracking status of the last 12 months."""
    where, params = scope_clause("n.person_id", scope)
    since = add_years(period.as_of, -1)
    latest = (
        f"FROM {table(NeetStatus)} n JOIN {table(Person)} p ON p.id = n.person_id "
        f"WHERE n.recorded_on > %s AND n.recorded_on <= %s AND n.activity = %s "
        f"AND p.date_of_birth <= %s AND p.date_of_birth > %s{where} "
        f"AND NOT EXISTS (SELECT 1 FROM {table(NeetStatus)} later WHERE later.person_id = n.person_id "
        f"AND later.recorded_on > n.recorded_on AND later.recorded_on <= %s)"
    )
    latest_params = [since, period.as_of, NeetStatus.Activity.NEET, add_years(period.as_of, -NEET_AGES[0]),
                     add_years(period.as_of, -(NEET_AGES[1] + 1)), *params, period.as_of]
    rows = fetch(f"SELECT n.person_id, MAX(n.recorded_on), MIN(n.dataset_id) {latest} GROUP BY n.person_id", latest_params)
    derived = [
        Derived(pid, as_date(day), None,
                f"Not in education, employment or training at their latest NEET tracking contact on {_day(as_date(day))}.",
                dataset_id)
        for pid, day, dataset_id in rows
    ]
    return derived, _supported_by("n", latest, latest_params)


def prisoner_near_release(period: Period, scope) -> tuple[list[Derived], tuple[str, list]]:
    """In custody with an expected release date within the next 12 months."""
    where, params = scope_clause("c.person_id", scope)
    base = (
        f"FROM {table(CustodySpell)} c WHERE c.started_on <= %s "
        f"AND c.expected_release >= %s AND c.expected_release <= %s{where}"
    )
    base_params = [period.as_of, period.as_of, add_years(period.as_of, RELEASE_WINDOW_YEARS), *params]
    rows = fetch(f"SELECT c.person_id, c.expected_release, c.establishment, c.started_on, c.dataset_id {base}", base_params)
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
    return derived, _supported_by("c", base, base_params)


DERIVED_RULES = {
    "child-persistently-absent": persistently_absent,
    "child-3-fixed-term-exclusions": three_fixed_exclusions,
    "child-permanently-excluded": permanently_excluded,
    "child-pupil-referral-unit": pupil_referral_unit,
    "teenage-parent": teenage_parent,
    "child-neet": child_neet,
    "prisoner-12-months-from-release": prisoner_near_release,
}
