"""Derived indicators: exact thresholds, academic-year boundaries, ages and supporting records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from apps.indicators.models import FamilyCriteria, PersonIndicator
from apps.indicators.services import indicators_refresh

AS_OF = date(2025, 3, 1)  # academic year 2024/25


def flagged(person, code):
    return PersonIndicator.objects.filter(person=person, definition__code=code).first()


def test_persistent_absence_threshold_is_missing_ten_percent_or_more(build):
    below, at, above = (build.person(forename=n) for n in ("Below", "At", "Above"))
    build.year_of_attendance(below, 899)
    build.year_of_attendance(at, 900)
    build.year_of_attendance(above, 901)

    indicators_refresh(as_of=AS_OF)

    assert flagged(below, "child-persistently-absent").value == Decimal("89.90")
    at_threshold = flagged(at, "child-persistently-absent")
    assert at_threshold.value == Decimal("90.00")  # missing exactly 10%: persistently absent (DfE "10% or more")
    assert "Attended 900 of 1,000 possible sessions (90.0%)" in at_threshold.notes
    assert flagged(above, "child-persistently-absent") is None
    assert at_threshold.dataset.code == "dfe-attendance"
    assert at_threshold.indicator_date == date(2024, 12, 1)
    assert at_threshold.source_records.count() == 4


def test_attendance_before_1_september_belongs_to_the_previous_academic_year(build):
    last_year_absent, this_year_absent = build.person(forename="Last"), build.person(forename="This")
    build.month(last_year_absent, date(2025, 7, 1), 10, 40)  # 2024/25
    build.month(last_year_absent, date(2025, 9, 1), 20, 20)  # 2025/26
    build.month(this_year_absent, date(2025, 7, 1), 40, 40)
    build.month(this_year_absent, date(2025, 9, 1), 10, 20)

    indicators_refresh(as_of=date(2025, 9, 30))
    assert flagged(last_year_absent, "child-persistently-absent") is None
    assert flagged(this_year_absent, "child-persistently-absent").value == Decimal("50.00")

    indicators_refresh(as_of=date(2025, 8, 31))  # still 2024/25: July counts, September has not happened
    assert flagged(last_year_absent, "child-persistently-absent").value == Decimal("25.00")
    assert flagged(this_year_absent, "child-persistently-absent") is None


def test_three_fixed_term_exclusions_must_fall_in_one_academic_year(build):
    spanning, within = build.person(forename="Spanning"), build.person(forename="Within")
    for day in (date(2025, 8, 31), date(2025, 9, 2), date(2025, 9, 20)):
        build.exclusion(spanning, day)
    for day in (date(2025, 9, 1), date(2025, 9, 2), date(2025, 9, 20)):
        build.exclusion(within, day)

    indicators_refresh(as_of=date(2025, 10, 1))

    assert flagged(spanning, "child-3-fixed-term-exclusions") is None
    three = flagged(within, "child-3-fixed-term-exclusions")
    assert (three.value, three.indicator_date) == (Decimal("3"), date(2025, 9, 20))
    assert three.source_records.count() == 3


def test_a_child_turning_18_mid_year_stays_a_dependent_child_until_the_year_ends(build):
    mum = build.person(forename="Kerry", dob=date(1985, 1, 1), sex="F")
    turning = build.person(forename="Turning", dob=date(2007, 1, 15))  # 18 on 15 Jan 2025, mid 2024/25
    adult = build.person(forename="Adult", dob=date(2006, 8, 20))  # 18 before 1 Sep 2024
    build.year_of_attendance(turning, 500)
    build.year_of_attendance(adult, 500)
    with_turning = build.family((mum, "parent"), (turning, "child"))
    with_adult = build.family((mum, "parent"), (adult, "child"))

    indicators_refresh(as_of=AS_OF)

    assert flagged(turning, "child-persistently-absent") is not None
    assert flagged(adult, "child-persistently-absent") is None
    assert FamilyCriteria.objects.get(family=with_turning).dependent_children == 1
    no_child = FamilyCriteria.objects.get(family=with_adult)
    assert no_child.dependent_children == 0 and not no_child.is_eligible
    assert no_child.reasons_text.startswith("Not eligible: no dependent child on 1 March 2025")

    indicators_refresh(as_of=date(2025, 9, 1))  # the next academic year: now an adult
    assert FamilyCriteria.objects.get(family=with_turning).dependent_children == 0


def test_indicator_from_a_school_the_child_has_since_left(build):
    child = build.person(forename="Moved")
    build.enrol(child, build.school, date(2021, 9, 1), date(2025, 1, 31))
    build.month(child, date(2024, 10, 1), 20, 40)
    build.month(child, date(2024, 11, 1), 20, 40)

    indicators_refresh(as_of=AS_OF)

    absent = flagged(child, "child-persistently-absent")
    assert absent.value == Decimal("50.00")
    assert absent.dataset.code == "dfe-attendance"
    assert {r.fact_date for r in absent.source_records.all()} == {date(2024, 10, 1), date(2024, 11, 1)}


def test_permanent_exclusion_and_pupil_referral_unit(build):
    child = build.person(forename="Excluded")
    build.exclusion(child, date(2024, 11, 5), kind="permanent")
    build.enrol(child, build.pru, date(2024, 11, 20))
    left_pru = build.person(forename="LeftPRU")
    build.enrol(left_pru, build.pru, date(2023, 9, 1), date(2024, 7, 31))

    indicators_refresh(as_of=AS_OF)

    excluded = flagged(child, "child-permanently-excluded")
    assert excluded.indicator_date == date(2024, 11, 5) and excluded.source_records.count() == 1
    pru = flagged(child, "child-pupil-referral-unit")
    assert pru.notes == "Attending Lawrence Hill Learning Centre since 20 Nov 2024."
    assert flagged(left_pru, "child-pupil-referral-unit") is None


def test_teenage_parent_is_under_20_at_the_birth(build):
    young = build.person(forename="Young", dob=date(2005, 5, 1), sex="F")
    twenty = build.person(forename="Twenty", dob=date(2004, 5, 1), sex="F")
    birth = build.birth(young, date(2024, 4, 30))
    build.birth(twenty, date(2024, 5, 1))  # her 20th birthday

    indicators_refresh(as_of=AS_OF)

    parent = flagged(young, "teenage-parent")
    assert parent.value == Decimal("18") and parent.notes == "Aged 18 at the birth of a child on 30 Apr 2024."
    assert list(parent.source_records.all()) == [birth.source_record]
    assert flagged(twenty, "teenage-parent") is None


def test_child_neet_uses_the_latest_status_of_a_16_to_18_year_old(build):
    neet = build.person(forename="Neet", dob=date(2008, 6, 1))
    back_in_education = build.person(forename="Back", dob=date(2008, 6, 1))
    too_old = build.person(forename="Old", dob=date(2006, 2, 1))  # 19
    status = build.neet_status(neet, date(2025, 1, 10), "NEET")
    build.neet_status(neet, date(2023, 12, 1), "NEET")  # more than 12 months ago: neither the latest nor support
    build.neet_status(back_in_education, date(2024, 12, 10), "NEET")
    build.neet_status(back_in_education, date(2025, 2, 10), "EET")
    build.neet_status(too_old, date(2025, 1, 10), "NEET")

    indicators_refresh(as_of=AS_OF)

    assert flagged(neet, "child-neet").indicator_date == date(2025, 1, 10)
    assert list(flagged(neet, "child-neet").source_records.all()) == [status.source_record]
    assert flagged(back_in_education, "child-neet") is None
    assert flagged(too_old, "child-neet") is None


def test_prisoner_within_12_months_of_release(build):
    soon, later = build.person(forename="Soon", dob=date(1990, 1, 1)), build.person(forename="Later", dob=date(1990, 1, 1))
    spell = build.custody(soon, date(2023, 5, 1), date(2026, 3, 1), establishment="HMP Bristol")
    build.custody(later, date(2023, 5, 1), date(2026, 3, 2))

    indicators_refresh(as_of=AS_OF)

    prisoner = flagged(soon, "prisoner-12-months-from-release")
    assert prisoner.indicator_date == date(2026, 3, 1) and prisoner.value == Decimal("365")
    assert prisoner.notes.startswith("In custody at HMP Bristol since 1 May 2023; expected release 1 Mar 2026")
    assert list(prisoner.source_records.all()) == [spell.source_record]
    assert flagged(later, "prisoner-12-months-from-release") is None
