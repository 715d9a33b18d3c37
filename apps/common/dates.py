"""Dates the whole system measures against: ages, birthdays, academic years.

Someone born on 29 February is a year older on 1 March in a common year (as in
English law: they have not reached the anniversary on 28 February), while
``add_years`` moves 29 February to 28 February. Academic years run from
1 September to 31 August. Dates written in a dataset's declared format are read by
``date_parser`` (strict: no other format is guessed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache

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


# --- dates as a dataset declares them -----------------------------------------------------------
#
# Each dataset declares one strftime format for its date columns (``DatasetSpec.date_format``:
# "%Y-%m-%d" or "%d/%m/%Y"). A date written any other way is refused, never guessed: "03/04/2010"
# in a yyyy-mm-dd dataset is refused, and in a dd/mm/yyyy dataset it is 3 April, never 4 March.
# Reasons never repeat the value (it may be a date of birth): they describe its shape instead.

_DIRECTIVES = {"%d": ("dd", r"(?P<d>\d{1,2})"), "%m": ("mm", r"(?P<m>\d{1,2})"), "%Y": ("yyyy", r"(?P<y>\d{4})")}
_DIRECTIVE = re.compile(r"%.")
# Shapes a date may be written in, to say how a refused value was written (most specific first).
_SHAPES = (
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), "yyyy-mm-dd"),
    (re.compile(r"\d{4}/\d{1,2}/\d{1,2}"), "yyyy/mm/dd"),
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}[T ]\d.*"), "a date and time"),
    (re.compile(r"\d{1,2}/\d{1,2}/\d{4}"), "dd/mm/yyyy or mm/dd/yyyy"),
    (re.compile(r"\d{1,2}-\d{1,2}-\d{4}"), "dd-mm-yyyy or mm-dd-yyyy"),
    (re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}"), "dd.mm.yyyy"),
    (re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}"), "a two-digit year"),
    (re.compile(r"\d{1,2}/\d{4}"), "mm/yyyy"),
    (re.compile(r"\d{8}"), "eight digits with no separators"),
    (re.compile(r".*[A-Za-z].*"), "words"),
)


class MonthFirstDate(ValueError):
    """A day-first date whose second number cannot be a month but whose first can: written month-first."""


def date_format_label(date_format: str) -> str:
    """The format as people write it: "%d/%m/%Y" -> "dd/mm/yyyy"."""
    return _DIRECTIVE.sub(lambda m: _DIRECTIVES[m[0]][0] if m[0] in _DIRECTIVES else m[0], date_format)


def _pattern(date_format: str) -> re.Pattern:
    parts, at = [], 0
    for found in _DIRECTIVE.finditer(date_format):
        if found[0] not in _DIRECTIVES:
            raise ValueError(f"unsupported directive {found[0]} in date format {date_format!r} (use %d, %m and %Y)")
        parts += [re.escape(date_format[at:found.start()]), _DIRECTIVES[found[0]][1]]
        at = found.end()
    parts.append(re.escape(date_format[at:]))
    pattern = re.compile("".join(parts))
    if set(pattern.groupindex) != {"d", "m", "y"}:
        raise ValueError(f"date format {date_format!r} must have a day (%d), a month (%m) and a year (%Y)")
    return pattern


def day_month_ambiguous(date_format: str) -> bool:
    """True when a date in this format reads as another date with day and month swapped (dd/mm/yyyy,
    mm/dd/yyyy): the year is not first. Nobody writes yyyy-dd-mm, so yyyy-mm-dd is not ambiguous."""
    return not date_format.startswith("%Y")


def shape_of(text: str) -> str:
    """How a value that is not a date in the declared format is written: "written as yyyy-mm-dd",
    "written as words", ... or "written another way"."""
    for pattern, shape in _SHAPES:
        if pattern.fullmatch(text):
            return f"written as {shape}"
    return "written another way"


@lru_cache(maxsize=32)
def date_parser(date_format: str) -> Callable[[str], dt.date]:
    """A strict parser for ``date_format`` (strftime with %d, %m and %Y only).

    One- or two-digit days and months are accepted (spreadsheets drop the leading zero), the
    year must have four digits. Raises ``ValueError`` with a reason that names the declared
    format and the shape of what was written, "not a real date" for 31/02, and
    ``MonthFirstDate`` for a day-first format given a month-first date (12/25/2010).
    """
    pattern = _pattern(date_format)
    label = date_format_label(date_format)
    day_first = date_format.index("%d") < date_format.index("%m")

    @lru_cache(maxsize=1 << 16)
    def parse(value: str) -> dt.date:
        text = value.strip()
        match = pattern.fullmatch(text)
        if match is None:
            raise ValueError(f"not a date in the dataset's format {label} ({shape_of(text)})")
        day, month, year = int(match["d"]), int(match["m"]), int(match["y"])
        try:
            return dt.date(year, month, day)
        except ValueError:
            if day_first and 13 <= month <= 31 and 1 <= day <= 12:
                raise MonthFirstDate(
                    f"not a date in the dataset's format {label}: the month would be over 12, so it looks "
                    "written month first (mm/dd/yyyy)"
                ) from None
            raise ValueError(f"not a real date in the dataset's format {label} (no such day or month)") from None

    return parse


@lru_cache(maxsize=32)
def month_parser(month_format: str, date_format: str) -> Callable[[str], dt.date]:
    """A strict parser of a month column: ``month_format`` (e.g. "%Y-%m"), or any date in the dataset's
    ``date_format``; returns the month's first day."""
    label = date_format_label(month_format)
    if sorted(_DIRECTIVE.findall(month_format)) != ["%Y", "%m"]:
        raise ValueError(f"month format {month_format!r} must have a month (%m) and a year (%Y) only")
    parts, at = [], 0
    for found in _DIRECTIVE.finditer(month_format):
        parts += [re.escape(month_format[at:found.start()]), _DIRECTIVES[found[0]][1]]
        at = found.end()
    parts.append(re.escape(month_format[at:]))
    month_pattern = re.compile("".join(parts))
    as_date = date_parser(date_format)
    date_label = date_format_label(date_format)

    @lru_cache(maxsize=1 << 12)
    def parse(value: str) -> dt.date:
        text = value.strip()
        if match := month_pattern.fullmatch(text):
            if not 1 <= int(match["m"]) <= 12:
                raise ValueError(f"not a real month in the format {label} (the month must be 01 to 12)")
            return dt.date(int(match["y"]), int(match["m"]), 1)
        try:
            return as_date(text).replace(day=1)
        except ValueError:
            raise ValueError(
                f"not a month in the format {label} or a date in the dataset's format {date_label} "
                f"({shape_of(text)})"
            ) from None

    return parse
