"""The one set of date helpers: ages, birthdays (29 February), academic years."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.common.dates import (
    MonthFirstDate,
    academic_age,
    academic_year_start,
    add_years,
    age_on,
    as_date,
    child_born_after,
    date_format_label,
    date_parser,
    day_month_ambiguous,
    month_parser,
)
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


# --- dates in a dataset's declared format ------------------------------------------------------

UK, ISO = "%d/%m/%Y", "%Y-%m-%d"


@pytest.mark.parametrize(
    ("fmt", "raw", "expected"),
    [
        (ISO, "2024-04-03", D(2024, 4, 3)),
        (ISO, " 2024-4-3 ", D(2024, 4, 3)),
        (UK, "03/04/2024", D(2024, 4, 3)),  # 3 April, never 4 March
        (UK, "3/4/2024", D(2024, 4, 3)),
        (UK, "29/02/2024", D(2024, 2, 29)),
        ("%d-%m-%Y", "03-04-2024", D(2024, 4, 3)),
    ],
)
def test_a_date_in_the_declared_format_is_read(fmt, raw, expected):
    assert date_parser(fmt)(raw) == expected


@pytest.mark.parametrize(
    ("fmt", "raw", "written"),
    [
        (UK, "2010-04-03", "written as yyyy-mm-dd"),
        (ISO, "03/04/2010", "written as dd/mm/yyyy or mm/dd/yyyy"),
        (UK, "03-04-2010", "written as dd-mm-yyyy or mm-dd-yyyy"),
        (UK, "03/04/10", "written as a two-digit year"),
        (UK, "2024/04/03", "written as yyyy/mm/dd"),
        (UK, "03.04.2024", "written as dd.mm.yyyy"),
        (UK, "20240403", "written as eight digits with no separators"),
        (UK, "April 3 2024", "written as words"),
        (ISO, "2024-04-03T10:00", "written as a date and time"),
    ],
)
def test_a_date_in_another_format_is_refused_naming_the_declared_format_not_the_value(fmt, raw, written):
    with pytest.raises(ValueError, match="not a date in the dataset's format") as refused:
        date_parser(fmt)(raw)
    assert str(refused.value) == f"not a date in the dataset's format {date_format_label(fmt)} ({written})"
    assert raw.strip() not in str(refused.value)


@pytest.mark.parametrize(("fmt", "raw"), [(UK, "31/02/2024"), (UK, "29/02/2023"), (ISO, "2024-13-01"), (UK, "00/01/2024")])
def test_an_impossible_date_is_refused(fmt, raw):
    with pytest.raises(ValueError, match="not a real date"):
        date_parser(fmt)(raw)


def test_a_us_date_in_a_day_first_format_is_named_month_first():
    with pytest.raises(MonthFirstDate, match=r"month first \(mm/dd/yyyy\)"):
        date_parser(UK)("12/25/2010")
    with pytest.raises(ValueError) as refused:  # 25/13 is no date either way round: not month-first evidence
        date_parser(UK)("25/13/2010")
    assert not isinstance(refused.value, MonthFirstDate)


def test_which_formats_can_swap_day_and_month():
    assert day_month_ambiguous(UK) and day_month_ambiguous("%m/%d/%Y")
    assert not day_month_ambiguous(ISO)
    assert date_format_label(UK) == "dd/mm/yyyy" and date_format_label(ISO) == "yyyy-mm-dd"


@pytest.mark.parametrize("fmt", ["%d/%m/%y", "%d %B %Y", "%m/%Y"])
def test_a_format_the_parser_cannot_honour_is_an_error_not_a_guess(fmt):
    with pytest.raises(ValueError, match="date format"):
        date_parser(fmt)


@pytest.mark.parametrize(
    ("fmt", "raw", "expected"),
    [(ISO, "2024-03", D(2024, 3, 1)), (ISO, "2024-03-17", D(2024, 3, 1)), (UK, "17/03/2024", D(2024, 3, 1))],
)
def test_a_month_is_yyyy_mm_or_a_date_in_the_declared_format(fmt, raw, expected):
    assert month_parser("%Y-%m", fmt)(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), [("2024-13", "not a real month"), ("03/2024", "not a month in the format yyyy-mm")])
def test_a_month_in_another_form_is_refused(raw, reason):
    with pytest.raises(ValueError, match=reason):
        month_parser("%Y-%m", ISO)(raw)
