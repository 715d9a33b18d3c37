"""Dates the whole system measures against: ages, birthdays, academic years.

Someone born on 29 February is a year older on 1 March in a common year (as in
English law: they have not reached the anniversary on 28 February), while
``add_years`` moves 29 February to 28 February. Academic years run from
1 September to 31 August.
"""

from __future__ import annotations

import datetime as dt

CHILD_UNDER = 18  # a child until their 18th birthday


def as_date(value) -> dt.date | None:
    """A date from a database value (SQLite's raw cursor returns ISO strings); None for none or ""."""
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def age_on(dob: dt.date | None, day: dt.date) -> int | None:
    """Age in whole years on ``day`` (None without a date of birth)."""
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later or earlier (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def academic_year_start(day: dt.date) -> dt.date:
    """1 September of the academic year (1 September to 31 August) that contains ``day``."""
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def academic_age(dob: dt.date, day: dt.date) -> int:
    """Age on 31 August before the academic year containing ``day`` (4 in Reception, 15 in Year 11, 17 in Year 13)."""
    return age_on(dob, academic_year_start(day) - dt.timedelta(days=1))


def child_born_after(period_start: dt.date) -> dt.date:
    """People born after this date were under 18 on ``period_start``: children (dependent) for the whole period.

    A child who turns 18 during the academic year stays a child until the
    period ends, so their indicators and their family do not flip mid-year.
    """
    return add_years(period_start, -CHILD_UNDER)
