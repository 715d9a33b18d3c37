"""The nightly outcome check, run by every full refresh (``refresh_rebuilt``) in the refresh's transaction.

``outcomes_check(as_of=...)``:

* **open cases with an agreed plan**: each need's outcome is measured over the window ending ``as_of``
  (absence measures: the need's ``months`` back; attendance: the last full terms ended by then) and its
  ``outcome_status`` set to progressing (met so far), not met, or left pending (not measurable), with
  the evidence;
* **cases closed at least ``CASEWORK_SUSTAIN_MONTHS`` before ``as_of``** (``closed_on`` plus that many
  calendar months, ``measures.add_months``, on or before ``as_of``): per need, *achieved* is the measure
  over the window ending on the closure date, *sustained* the measure over the sustain period
  (``measures.window_after(closed_on, months)``: the day after closure to closure plus the months,
  inclusive). ``outcome_evidence`` keeps both verdicts (rule, window, records); then the cases move to
  outcome checked (``services.cases_outcome_checked``: a transition each, one audit event naming them all).

Practitioner-evidenced outcomes are achieved when the practitioner recorded a note and a date (on or
before closure). They are sustained unless the data contradicts them: when the framework need has a
data measure (the practitioner chose to evidence it themselves), that measure over the sustain period
must not say "not met"; a need the framework measures only by the practitioner is sustained.

A handful of queries for all cases: the needs, their members, then a few queries per measure
(``measures.evaluate``), and the transitions in bulk.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import measures
from .measures import PRACTITIONER, Question, add_months, window_after, window_before
from .models import Case, CaseNeed

Outcome = CaseNeed.Outcome
# attendance reads the terms ended by the window's end; absence measures the whole window
PROGRESS_STATUS = {True: Outcome.PROGRESSING, False: Outcome.NOT_MET, None: Outcome.PENDING}
FINAL_STATUS = {True: Outcome.ACHIEVED, False: Outcome.NOT_MET, None: Outcome.NOT_MET}


def _persons(needs) -> dict[int, tuple[int, ...]]:
    found = defaultdict(list)
    for need_id, person_id in CaseNeed.persons.through.objects.filter(
            caseneed_id__in=[n.pk for n in needs]).values_list("caseneed_id", "person_id").order_by("person_id"):
        found[need_id].append(person_id)
    return {n.pk: tuple(found[n.pk]) for n in needs}


def _save(needs, fields: list[str]) -> None:
    """Write ``fields`` of many needs in one statement per 2,000 (``bulk_update``'s CASE expressions take
    minutes for tens of thousands of rows; PostgreSQL's UPDATE ... FROM VALUES takes seconds)."""
    if connection.vendor != "postgresql":
        CaseNeed.objects.bulk_update(needs, fields, batch_size=500)
        return
    from psycopg2.extras import execute_values

    types = {"outcome_status": "text", "sustained": "boolean", "outcome_evidence": "jsonb",
             "outcome_checked_at": "timestamptz"}
    columns = ", ".join(f"{name} = v.{name}::{types[name]}" for name in fields)
    sql = (f"UPDATE {CaseNeed._meta.db_table} AS n SET {columns} FROM (VALUES %s) AS v(id, {', '.join(fields)}) "
           "WHERE n.id = v.id")
    rows = [(n.pk, *(json.dumps(getattr(n, f)) if f == "outcome_evidence" else getattr(n, f) for f in fields))
            for n in needs]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            execute_values(cursor.cursor, sql, rows[start:start + 2000], page_size=2000)


def _question(need: CaseNeed, persons, window, *, key, measure=None, params=None) -> Question:
    return Question(key=key, measure=measure or need.outcome_measure,
                    params=need.outcome_params if params is None else params,
                    person_ids=persons, window=window, note=need.outcome_note, noted_on=need.outcome_date)


def _lookback(need: CaseNeed, end: dt.date) -> measures.Window:
    return window_before(end, measures.months_of(need.outcome_params))


def progress_check(*, as_of: dt.date, now) -> int:
    """Measure the needs of open cases with an agreed plan over the window ending ``as_of``."""
    needs = list(CaseNeed.objects.filter(case__state=Case.State.PLAN_AGREED).order_by("pk"))
    persons = _persons(needs)
    verdicts = measures.evaluate(_question(n, persons[n.pk], _lookback(n, as_of), key=n.pk) for n in needs)
    for need in needs:
        verdict = verdicts[need.pk]
        need.outcome_status = PROGRESS_STATUS[verdict.achieved]
        need.outcome_evidence = {"checked_on": as_of.isoformat(), "kind": "progress", "progress": verdict.evidence()}
        need.outcome_checked_at = now
    _save(needs, ["outcome_status", "outcome_evidence", "outcome_checked_at"])
    return len(needs)


def due_cases(as_of: dt.date, months: int) -> list[Case]:
    """Closed cases whose sustain period (closure plus ``months`` calendar months) has ended by ``as_of``."""
    candidates = Case.objects.filter(state=Case.State.CLOSED, closed_on__lte=as_of).order_by("closed_on", "pk")
    return [c for c in candidates if add_months(c.closed_on, months) <= as_of]


def sustained_check(*, as_of: dt.date, now) -> int:
    from . import services

    months = settings.CASEWORK_SUSTAIN_MONTHS
    cases = {c.pk: c for c in due_cases(as_of, months)}
    needs = list(CaseNeed.objects.filter(case_id__in=list(cases)).select_related("need").order_by("case_id", "pk"))
    persons = _persons(needs)
    questions = []
    for need in needs:
        closed_on = cases[need.case_id].closed_on
        after = window_after(closed_on, months)
        questions.append(_question(need, persons[need.pk], _lookback(need, closed_on), key=("achieved", need.pk)))
        if need.outcome_measure == PRACTITIONER and measures.is_data_measure(need.need.outcome_measure):
            # the practitioner's outcome stands unless the framework's data measure says otherwise
            questions.append(_question(need, persons[need.pk], after, key=("sustained", need.pk),
                                       measure=need.need.outcome_measure, params=need.need.outcome_params))
        elif need.outcome_measure != PRACTITIONER:
            questions.append(_question(need, persons[need.pk], after, key=("sustained", need.pk)))
    verdicts = measures.evaluate(questions)
    for need in needs:
        achieved = verdicts[("achieved", need.pk)]
        held = verdicts.get(("sustained", need.pk))
        if need.outcome_measure == PRACTITIONER:
            sustained = achieved.achieved is True and (held is None or held.achieved is not False)
        else:
            sustained = held.achieved
        need.outcome_status = FINAL_STATUS[achieved.achieved]
        need.sustained = sustained
        need.outcome_checked_at = now
        need.outcome_evidence = {
            "checked_on": as_of.isoformat(), "kind": "sustained", "sustain_months": months,
            "closed_on": cases[need.case_id].closed_on.isoformat(),
            "achieved": achieved.evidence(), "sustained": held.evidence() if held else None,
            "sustained_rule": (
                "Achieved, and not contradicted by the data measure over the sustain period"
                if need.outcome_measure == PRACTITIONER and held else
                "Achieved (nothing in the data measures this need)" if need.outcome_measure == PRACTITIONER else
                "The measure met over the sustain period"),
        }
    _save(needs, ["outcome_status", "sustained", "outcome_evidence", "outcome_checked_at"])
    met = sum(1 for n in needs if n.is_met)
    services.cases_outcome_checked(cases=list(cases.values()), on=as_of, details={"needs": len(needs), "met": met})
    return len(cases)


def outcomes_check(*, as_of: dt.date, progress=None) -> dict:
    """Progress of open plans, and the sustained decision for cases closed long enough. Returns counts."""
    progress = progress or (lambda stage, **figures: None)
    now = timezone.now()
    measured = progress_check(as_of=as_of, now=now)
    progress("outcomes", open_plan_needs=measured)
    checked = sustained_check(as_of=as_of, now=now)
    progress("outcomes", closed_cases_checked=checked)
    return {"outcome_needs_measured": measured, "outcome_cases_checked": checked}


def on_refresh_rebuilt(sender, *, run, period, scope, progress, **kwargs):
    """``refresh_rebuilt`` receiver: full refreshes only (a one-family refresh leaves outcomes to the nightly run)."""
    if scope.person_ids is not None:
        return None
    return outcomes_check(as_of=period.as_of, progress=progress)
