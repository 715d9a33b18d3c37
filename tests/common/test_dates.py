"""The one set of date helpers: ages, birthdays (29 February), academic years."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.common.dates import academic_age, academic_year_start, add_years, age_on, as_date, child_born_after
from apps.people.models import Person

D = dt.date


@pytest.mark.parametrize(
    ("dob", "day", "age"),
    [
        (D(2011, 3, 12), D(2025, 3, 11), 13),  # the day before the birthday
        (D(2011, 3, 12), D(2025, 3, 12), 14),  # on it
        (D(2011, 3, 12), D(2025, 12, 31), 14),
        (D(2011, 3, 12), D(2011, 3, 12), 0),
        (D(2008, 2, 29), D(2026, 2, 28), 17),  # 29 February in a common year: not yet on 28 February
        (D(2008, 2, 29), D(2026, 3, 1), 18),  # a year older on 1 March
        (D(2008, 2, 29), D(2028, 2, 29), 20),  # and on the day itself in a leap year
        (None, D(2025, 1, 1), None),
    ],
)
def test_age_on(dob, day, age):
    assert age_on(dob, day) == age
    assert Person(date_of_birth=dob).age_on(day) == age  # the record's age is the same function


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (D(2024, 2, 29), 1, D(2025, 2, 28)),
        (D(2024, 2, 29), 4, D(2028, 2, 29)),
        (D(2024, 2, 29), -18, D(2006, 2, 28)),
        (D(2025, 9, 1), -18, D(2007, 9, 1)),
        (D(2025, 3, 31), 0, D(2025, 3, 31)),
    ],
)
def test_add_years(day, years, expected):
    assert add_years(day, years) == expected


@pytest.mark.parametrize(
    ("day", "start"),
    [(D(2025, 8, 31), D(2024, 9, 1)), (D(2025, 9, 1), D(2025, 9, 1)), (D(2026, 1, 15), D(2025, 9, 1)),
     (D(2025, 12, 31), D(2025, 9, 1))],
)
def test_academic_year_start(day, start):
    assert academic_year_start(day) == start


def test_academic_age_is_the_age_on_the_31_august_before_the_year():
    day = D(2026, 3, 1)  # in the 2025/26 academic year
    assert academic_age(D(2010, 8, 31), day) == 15  # Year 11: 15 on 31 August 2025
    assert academic_age(D(2010, 9, 1), day) == 14  # born a day later: Year 10
    assert academic_age(D(2021, 2, 28), D(2025, 9, 1)) == 4  # Reception
    assert academic_age(D(2008, 2, 29), D(2025, 9, 1)) == 17  # Year 13


def test_child_born_after_keeps_a_child_a_child_for_the_whole_year():
    start = D(2025, 9, 1)
    cutoff = child_born_after(start)
    assert cutoff == D(2007, 9, 1)
    assert age_on(cutoff, start) == 18  # born on the cut-off: an adult when the year starts
    assert age_on(cutoff + dt.timedelta(days=1), start) == 17  # born the day after: a child all year


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), (D(2025, 3, 1), D(2025, 3, 1)), ("2025-03-01", D(2025, 3, 1)),
     ("2025-03-01 00:00:00", D(2025, 3, 1))],
)
def test_as_date_reads_database_values(value, expected):
    assert as_date(value) == expected
