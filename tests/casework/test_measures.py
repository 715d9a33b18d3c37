"""Outcome measures at their boundaries: attendance 89.9% vs 90.0% over three full terms, 85% over a school
year, configurable terms; an offence, a DA incident, a benefit claim, a missing episode, an exclusion inside
and just outside the window; many questions answered in a few queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.casework import measures
from apps.casework.measures import Question, Window, add_months, full_terms, window_after, window_before
from tests import factories
from tests.casework import outcomes_world as world

pytestmark = pytest.mark.django_db

# the three full terms ended by mid-August 2025: autumn 2024, spring 2025, summer 2025
TERM_MONTHS = [date(2024, m, 1) for m in (9, 10, 11, 12)] + [date(2025, m, 1) for m in (1, 2, 3, 4, 5, 6, 7)]
AUGUST = Window(date(2025, 2, 16), date(2025, 8, 15))


def ask(measure, persons, window, params=None, **kw):
    return measures.evaluate([Question(key=1, measure=measure, params=params or {}, person_ids=tuple(persons),
                                       window=window, **kw)])[1]


def test_add_months_clamps_to_the_end_of_the_month_and_windows_include_both_ends():
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2025, 3, 31), 6) == date(2025, 9, 30)
    assert window_after(date(2025, 3, 31), 6) == Window(date(2025, 4, 1), date(2025, 9, 30))
    assert window_before(date(2025, 9, 30), 6) == Window(date(2025, 3, 31), date(2025, 9, 30))  # after 30 March


def _three_terms(child, *, attended_in_one_month):
    """Ten months of 100 sessions in the three terms (900 attended = 90.0%), and months outside the terms."""
    for n, month in enumerate(TERM_MONTHS[:10]):
        world.attendance(child, month, attended_in_one_month if n == 4 else 90, 100)
    world.attendance(child, date(2024, 6, 1), 10, 100)  # summer 2024: a fourth term back, not read
    world.attendance(child, date(2025, 8, 1), 0, 20)  # August: no term


def test_attendance_of_exactly_ninety_percent_over_three_terms_is_met():
    _, _, child = world.family()
    _three_terms(child, attended_in_one_month=90)
    verdict = ask("attendance", [child.pk], AUGUST, {"threshold_percent": 90, "terms": 3})
    assert verdict.achieved is True
    assert verdict.figures == [{"person": child.pk, "attended": 900, "possible": 1000, "percent": 90.0}]
    assert verdict.window == Window(date(2024, 9, 1), date(2025, 7, 31))
    assert len(verdict.records) == 10 and {r["dataset"] for r in verdict.records} == {"dfe-attendance"}
    assert "at least 90% of possible sessions across the last 3 full terms" in verdict.rule


def test_attendance_of_eighty_nine_point_nine_percent_is_not_met():
    _, _, child = world.family()
    _three_terms(child, attended_in_one_month=89)
    verdict = ask("attendance", [child.pk], AUGUST, {"threshold_percent": 90, "terms": 3})
    assert verdict.achieved is False
    assert verdict.figures[0]["percent"] == 89.9


def test_attendance_threshold_and_terms_default_from_settings(settings):
    _, _, child = world.family()
    _three_terms(child, attended_in_one_month=89)
    settings.CASEWORK_ATTENDANCE_THRESHOLD = 89.9
    assert ask("attendance", [child.pk], AUGUST).achieved is True


def test_a_school_year_at_eighty_five_percent_is_met_and_just_below_is_not():
    _, _, child = world.family()
    months = [world.attendance(child, m, 85, 100) for m in TERM_MONTHS]  # 935 of 1100 = 85.0%
    params = {"threshold_percent": 85, "period": "academic_year"}
    verdict = ask("attendance", [child.pk], AUGUST, params)
    assert verdict.achieved is True and verdict.window == Window(date(2024, 9, 1), date(2025, 7, 31))
    assert "the last full school year" in verdict.rule
    months[0].sessions_attended = 84
    months[0].save()
    assert ask("attendance", [child.pk], AUGUST, params).achieved is False


def test_term_months_are_configurable(settings):
    mid_april = date(2025, 4, 15)
    assert full_terms(mid_april, {"terms": 1}) == [measures.Term(date(2025, 1, 1), date(2025, 3, 31))]
    settings.CASEWORK_TERM_MONTHS = "9-12,1-4,5-7"  # spring ends with April: not over by mid-April
    assert full_terms(mid_april, {"terms": 1}) == [measures.Term(date(2024, 9, 1), date(2024, 12, 31))]


def test_attendance_without_records_is_not_measurable_and_says_why():
    _, mum, child = world.family()
    _three_terms(child, attended_in_one_month=95)
    verdict = ask("attendance", [child.pk, mum.pk], AUGUST)
    assert verdict.achieved is None and "No attendance recorded" in verdict.reason
    assert ask("attendance", [], AUGUST).achieved is None


CLOSED = date(2025, 3, 31)
SUSTAIN = window_after(CLOSED, 6)  # 1 April to 30 September 2025: day 183 after closure is the last


@pytest.mark.parametrize(("measure", "code", "dataset"), [
    ("no-offence", "person-committed-offence", "asc-offenders"),
    ("no-offence", "person-committed-asb", "asc-asb-incidents"),
    ("no-da-incident", "victim-of-dva", "asc-domestic-abuse"),
    ("no-missing", "person-reported-missing", "asc-missing-persons"),
    ("off-out-of-work-benefits", "out-of-work-benefits", "dwp-out-of-work-benefits"),
])
@pytest.mark.parametrize(("day", "achieved"), [(182, False), (183, False), (184, True)])
def test_a_record_on_day_182_or_183_after_closure_is_in_the_six_months_and_day_184_is_not(measure, code, dataset, day,
                                                                                          achieved):
    _, mum, _ = world.family()
    record = factories.indicator(mum, code, on=CLOSED + timedelta(days=day), dataset_code=dataset)
    factories.indicator(mum, code, on=CLOSED, dataset_code=dataset)  # the closure day itself is before the window
    verdict = ask(measure, [mum.pk], SUSTAIN)
    assert verdict.achieved is achieved
    assert verdict.window.as_dict() == {"from": "2025-04-01", "to": "2025-09-30"}
    if not achieved:
        [found] = verdict.records
        assert found["id"] == record.pk and found["indicator"] == code and found["dataset"] == dataset
        assert found["date"] == record.indicator_date.isoformat() and found["source_records"]


def test_records_of_other_kinds_and_other_people_do_not_count():
    _, mum, child = world.family()
    factories.indicator(mum, "mental-health-concern", on=date(2025, 5, 1), dataset_code="bcc-mental-health")
    factories.indicator(child, "person-committed-offence", on=date(2025, 5, 1), dataset_code="asc-offenders")
    assert ask("no-offence", [mum.pk], SUSTAIN).achieved is True
    assert ask("no-offence", [mum.pk, child.pk], SUSTAIN).achieved is False


def test_an_exclusion_in_the_window_is_not_met():
    _, _, child = world.family()
    world.exclusion(child, CLOSED + timedelta(days=184))
    assert ask("no-exclusion", [child.pk], SUSTAIN).achieved is True
    found = world.exclusion(child, CLOSED + timedelta(days=1))
    verdict = ask("no-exclusion", [child.pk], SUSTAIN)
    assert verdict.achieved is False and [r["id"] for r in verdict.records] == [found.pk]


def test_a_practitioner_outcome_needs_a_note_and_a_date():
    window = window_before(CLOSED, 6)
    assert ask("practitioner", [], window).achieved is None
    assert ask("practitioner", [], window, note="Family meets weekly", noted_on=None).achieved is None
    assert ask("practitioner", [], window, note="Family meets weekly", noted_on=CLOSED + timedelta(days=1)).achieved is None
    verdict = ask("practitioner", [], window, note="Family meets weekly", noted_on=date(2025, 3, 1))
    assert verdict.achieved is True and verdict.records == [
        {"kind": "practitioner", "date": "2025-03-01", "note": "Family meets weekly"}]


def test_an_unknown_measure_is_not_measurable():
    assert ask("horoscope", [1], SUSTAIN).reason == "Unknown outcome measure 'horoscope'"


def test_many_questions_are_answered_in_a_few_queries():
    questions = []
    for n in range(30):
        _, mum, child = world.family(reference=f"F07{n:04d}")
        factories.indicator(mum, "person-committed-offence", on=date(2025, 5, 1) + timedelta(days=n),
                            dataset_code="asc-offenders")
        world.attendance(child, date(2025, 1, 1), 80 + n % 20, 100)
        for measure in ("no-offence", "no-da-incident", "attendance", "no-exclusion"):
            questions.append(Question(key=(measure, n), measure=measure, params={}, person_ids=(mum.pk, child.pk),
                                      window=SUSTAIN))
    with CaptureQueriesContext(connection) as queries:
        verdicts = measures.evaluate(questions)
    assert len(verdicts) == 120
    assert len(queries) <= 8
    assert all(verdicts[("no-offence", n)].achieved is False for n in range(30))
