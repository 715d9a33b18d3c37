"""Outcome measures: whether a need's outcome is met, measured from the projected data.

Each ``CaseNeed`` names a measure (``outcome_measure``, a slug below) and its parameters
(``outcome_params``; what is not given comes from settings). ``evaluate(questions)`` answers many
questions at once, a few queries per measure whatever their number (the nightly check asks about
every open plan and every case closed long enough, at Bristol scale). Each answer is a ``Verdict``:
``achieved`` True, False or None (not measurable, with the reason), the rule in words, the window
(first and last day, both inclusive) and the records considered (ids, dataset, date), so an auditor
can check it against the extracts.

Measures (docs/casework.md, "Assessment, outcome plan and outcome measures", has the exact rules):

* ``attendance`` {threshold_percent, terms} or {threshold_percent, period: "academic_year"};
* ``no-offence``, ``no-da-incident``, ``no-missing``, ``off-out-of-work-benefits`` {months}: no
  indicator record of the measure's codes for any member concerned in the window;
* ``no-exclusion`` {months}: no school exclusion starting in the window;
* ``practitioner``: the practitioner recorded a note and a date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from django.conf import settings

PRACTITIONER = "practitioner"


# --- windows ---------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, the day clamped to the month's end (31 Aug + 6 = 28/29 Feb),
    as ``dateutil.relativedelta(months=...)`` does."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Window:
    """Days from ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def words(self) -> str:
        return f"from {self.start:%-d %B %Y} to {self.end:%-d %B %Y} inclusive"


def window_before(end: dt.date, months: int) -> Window:
    """The ``months`` ending on ``end``: from the day after ``end`` minus ``months`` to ``end``."""
    return Window(add_months(end, -months) + dt.timedelta(days=1), end)


def window_after(day: dt.date, months: int) -> Window:
    """The ``months`` after ``day``: from the next day to ``day`` plus ``months`` (closed 31 March, six months:
    1 April to 30 September)."""
    return Window(day + dt.timedelta(days=1), add_months(day, months))


# --- questions and verdicts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """Is ``measure`` met for ``person_ids`` over ``window``? ``key`` identifies the answer."""

    key: object
    measure: str
    params: dict
    person_ids: tuple[int, ...]
    window: Window
    note: str = ""  # practitioner measure: the note and its date
    noted_on: dt.date | None = None


@dataclass
class Verdict:
    achieved: bool | None
    measure: str
    rule: str
    window: Window | None
    records: list[dict] = field(default_factory=list)
    reason: str = ""  # why not measurable
    figures: list[dict] = field(default_factory=list)

    def evidence(self) -> dict:
        return {
            "measure": self.measure, "achieved": self.achieved, "rule": self.rule,
            "window": self.window.as_dict() if self.window else None, "records": self.records,
            "figures": self.figures, "reason": self.reason,
        }


# --- no record of a kind in the window ----------------------------------------------------------


class _Absence:
    """No record of a kind about any member concerned, dated within the window."""

    what: str

    def rows(self, person_ids, start, end) -> list[dict]:
        raise NotImplementedError

    def rule(self, window: Window) -> str:
        return f"No {self.what} for any member concerned, dated {window.words()}"

    def evaluate(self, questions: list[Question]) -> dict:
        answerable = [q for q in questions if q.person_ids]
        by_person: dict[int, list[tuple[dt.date, dict]]] = defaultdict(list)
        if answerable:
            persons = sorted({p for q in answerable for p in q.person_ids})
            for row in self.rows(persons, min(q.window.start for q in answerable), max(q.window.end for q in answerable)):
                by_person[row["person"]].append((dt.date.fromisoformat(row["date"]), row))
        verdicts = {}
        for q in questions:
            rule = self.rule(q.window)
            if not q.person_ids:
                verdicts[q.key] = Verdict(None, q.measure, rule, q.window, reason="No member is named on the need")
                continue
            start, end = q.window.start, q.window.end
            found = sorted((r for p in q.person_ids for day, r in by_person[p] if start <= day <= end),
                           key=lambda r: (r["date"], r["id"]))
            verdicts[q.key] = Verdict(not found, q.measure, rule, q.window, records=found)
        return verdicts


class IndicatorAbsence(_Absence):
    def __init__(self, what: str, codes: tuple[str, ...]):
        self.what, self.codes = what, codes

    def rule(self, window: Window) -> str:
        return f"{super().rule(window)} (indicators {', '.join(self.codes)})"

    def rows(self, person_ids, start, end) -> list[dict]:
        from apps.indicators.models import PersonIndicator

        found = list(PersonIndicator.objects.filter(
            person_id__in=person_ids, definition__code__in=self.codes, indicator_date__range=(start, end),
        ).values_list("pk", "person_id", "definition__code", "indicator_date", "dataset__code"))
        sources = defaultdict(list)
        for indicator_id, record_id in PersonIndicator.source_records.through.objects.filter(
                personindicator_id__in=[r[0] for r in found]).values_list("personindicator_id", "sourcerecord_id"):
            sources[indicator_id].append(record_id)
        return [{"kind": "indicator", "id": pk, "person": person, "indicator": code, "date": day.isoformat(),
                 "dataset": dataset or "", "source_records": sorted(sources[pk])}
                for pk, person, code, day, dataset in found]


class ExclusionAbsence(_Absence):
    what = "school exclusion (fixed-term or permanent) starting"

    def rows(self, person_ids, start, end) -> list[dict]:
        from apps.schools.models import Exclusion

        return [{"kind": "exclusion", "id": pk, "person": person, "exclusion": kind, "date": day.isoformat(),
                 "dataset": dataset, "source_records": [record] if record else []}
                for pk, person, kind, day, dataset, record in Exclusion.objects.filter(
                    person_id__in=person_ids, start_date__range=(start, end),
                ).values_list("pk", "person_id", "kind", "start_date", "dataset__code", "source_record_id")]


# --- attendance ---------------------------------------------------------------------------------


def term_months(params: dict) -> list[tuple[int, int]]:
    """The terms as (first month, last month), in school-year order, from params or ``CASEWORK_TERM_MONTHS``."""
    spec = params.get("term_months") or settings.CASEWORK_TERM_MONTHS
    if isinstance(spec, str):
        spec = [part.split("-") for part in spec.split(",")]
    return [(int(a), int(b)) for a, b in spec]


@dataclass(frozen=True)
class Term:
    start: dt.date
    end: dt.date

    def months(self) -> frozenset[dt.date]:
        return _term_months(self.start, self.end)


@lru_cache(maxsize=4096)
def _term_months(start: dt.date, end: dt.date) -> frozenset[dt.date]:
    found, day = set(), start
    while day <= end:
        found.add(day)
        day = add_months(day, 1)
    return frozenset(found)


def _school_year(first_year: int, months: list[tuple[int, int]]) -> list[Term]:
    terms, year = [], first_year
    for index, (first, last) in enumerate(months):
        if index and first < months[index - 1][0]:
            year = first_year + 1
        end_year = year + (1 if last < first else 0)
        terms.append(Term(dt.date(year, first, 1), dt.date(end_year, last, calendar.monthrange(end_year, last)[1])))
    return terms


def full_terms(end: dt.date, params: dict) -> list[Term]:
    """The terms the attendance rule reads at ``end``: the last N full terms ended on or before it, or the last
    full school year (``period: academic_year``) as one span."""
    return list(_full_terms(end, tuple(term_months(params)), params.get("period") or "",
                            int(params.get("terms") or settings.CASEWORK_ATTENDANCE_TERMS)))


@lru_cache(maxsize=4096)
def _full_terms(end: dt.date, months: tuple, period: str, count: int) -> tuple[Term, ...]:
    months = list(months)
    years = [_school_year(year, months) for year in range(end.year - 4, end.year + 1)]
    if period == "academic_year":
        spans = [Term(terms[0].start, terms[-1].end) for terms in years]
        return tuple([t for t in spans if t.end <= end][-1:])
    return tuple(sorted((t for terms in years for t in terms if t.end <= end), key=lambda t: t.end)[-count:])


class Attendance:
    """Each member concerned attended at least the threshold of possible sessions across the terms."""

    def evaluate(self, questions: list[Question]) -> dict:
        from apps.schools.models import AttendanceMonth

        spans = {q.key: full_terms(q.window.end, q.params) for q in questions}
        answerable = [q for q in questions if q.person_ids and spans[q.key]]
        by_person: dict[int, list[tuple]] = defaultdict(list)
        if answerable:
            start = min(spans[q.key][0].start for q in answerable)
            end = max(spans[q.key][-1].end for q in answerable)
            for row in AttendanceMonth.objects.filter(
                    person_id__in=sorted({p for q in answerable for p in q.person_ids}), month__range=(start, end),
            ).values_list("pk", "person_id", "month", "sessions_attended", "sessions_possible", "dataset__code",
                          "source_record_id").order_by("month", "pk"):
                by_person[row[1]].append(row)
        return {q.key: self._verdict(q, spans[q.key], by_person) for q in questions}

    def _verdict(self, q: Question, terms: list[Term], by_person) -> Verdict:
        threshold = Fraction(str(q.params.get("threshold_percent") or settings.CASEWORK_ATTENDANCE_THRESHOLD))
        if q.params.get("period") == "academic_year":
            what = "the last full school year"
        else:
            what = f"the last {int(q.params.get('terms') or settings.CASEWORK_ATTENDANCE_TERMS)} full terms"
        window = Window(terms[0].start, terms[-1].end) if terms else None
        rule = (f"Each member concerned attended at least {float(threshold):g}% of possible sessions across {what}"
                + (f" ({window.words()}; terms: "
                   + "; ".join(f"{t.start:%b %Y}-{t.end:%b %Y}" for t in terms) + ")" if window else ""))
        if not q.person_ids:
            return Verdict(None, q.measure, rule, window, reason="No member is named on the need")
        if not terms:
            return Verdict(None, q.measure, rule, None, reason="No full term has ended")
        months = set().union(*(t.months() for t in terms))
        records, figures, below, unmeasured = [], [], [], []
        for person in q.person_ids:
            rows = [r for r in by_person[person] if r[2] in months]
            attended, possible = sum(r[3] for r in rows), sum(r[4] for r in rows)
            records += [{"kind": "attendance", "id": r[0], "person": person, "date": r[2].isoformat(), "attended": r[3],
                         "possible": r[4], "dataset": r[5], "source_records": [r[6]] if r[6] else []} for r in rows]
            if not possible:
                unmeasured.append(person)
                figures.append({"person": person, "attended": 0, "possible": 0, "percent": None})
                continue
            percent = Fraction(100 * attended, possible)
            figures.append({"person": person, "attended": attended, "possible": possible,
                            "percent": round(float(percent), 2)})
            if percent < threshold:
                below.append(person)
        if below:
            return Verdict(False, q.measure, rule, window, records, figures=figures)
        if unmeasured:
            return Verdict(None, q.measure, rule, window, records, figures=figures,
                           reason=f"No attendance recorded in those terms for {len(unmeasured)} member"
                                  f"{'s' if len(unmeasured) != 1 else ''} concerned")
        return Verdict(True, q.measure, rule, window, records, figures=figures)


# --- practitioner ---------------------------------------------------------------------------------


class Practitioner:
    def evaluate(self, questions: list[Question]) -> dict:
        verdicts = {}
        for q in questions:
            rule = f"The practitioner recorded what shows the outcome met, with its date, on or before {q.window.end:%-d %B %Y}"
            if not q.note.strip() or q.noted_on is None:
                verdicts[q.key] = Verdict(None, q.measure, rule, q.window, reason="No practitioner note and date recorded")
            elif q.noted_on > q.window.end:
                verdicts[q.key] = Verdict(None, q.measure, rule, q.window, reason="The practitioner's date is after the window")
            else:
                verdicts[q.key] = Verdict(True, q.measure, rule, q.window, records=[
                    {"kind": "practitioner", "date": q.noted_on.isoformat(), "note": q.note.strip()}])
        return verdicts


# --- the measures ----------------------------------------------------------------------------------

OFFENCE_CODES = ("person-committed-offence", "person-committed-asb", "breach-of-order-or-injunction",
                 "youth-caution-or-restorative-justice")
DA_CODES = ("victim-of-dva", "perpetrator-of-dva", "involved-in-domestic-incident")
MISSING_CODES = ("person-reported-missing",)
BENEFIT_CODES = ("out-of-work-benefits",)

MEASURES = {
    "attendance": Attendance(),
    "no-offence": IndicatorAbsence("police-recorded offence, anti-social behaviour, breach of an order or youth "
                                   "caution or restorative justice outcome", OFFENCE_CODES),
    "no-da-incident": IndicatorAbsence("domestic abuse incident (as victim, perpetrator or involved)", DA_CODES),
    "no-missing": IndicatorAbsence("missing episode reported to the police", MISSING_CODES),
    "off-out-of-work-benefits": IndicatorAbsence("out-of-work benefit claim", BENEFIT_CODES),
    "no-exclusion": ExclusionAbsence(),
    PRACTITIONER: Practitioner(),
}
MEASURE_NAMES = {
    "attendance": "School attendance", "no-offence": "No offence or ASB", "no-da-incident": "No domestic abuse incident",
    "no-missing": "No missing episode", "off-out-of-work-benefits": "Off out-of-work benefits",
    "no-exclusion": "No school exclusion", PRACTITIONER: "Evidenced by the practitioner",
}


def is_data_measure(slug: str) -> bool:
    return slug in MEASURES and slug != PRACTITIONER


def evaluate(questions: Iterable[Question]) -> dict:
    """Answer every question, a few queries per measure: ``{question.key: Verdict}``."""
    grouped: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        grouped[q.measure].append(q)
    verdicts = {}
    for slug, group in grouped.items():
        if slug not in MEASURES:
            verdicts |= {q.key: Verdict(None, slug, "", q.window, reason=f"Unknown outcome measure {slug!r}") for q in group}
            continue
        verdicts |= MEASURES[slug].evaluate(group)
    return verdicts


def months_of(params: dict) -> int:
    """The months an absence measure looks back over at a progress check (its ``months``, default from settings)."""
    return int(params.get("months") or settings.CASEWORK_OUTCOME_MONTHS)
