"""Understanding what a practitioner typed into the one search box.

``parse_query("Bill Smith 12/03/2011 BS5")`` ->
``ParsedQuery(names=["BILL", "SMITH"], dob=date(2011, 3, 12), postcode="BS5", ...)``.
Pure functions, no database: unit-tested in tests/people/test_query.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from apps.common.names import search_key

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("JAN", "JANUARY"), ("FEB", "FEBRUARY"), ("MAR", "MARCH"), ("APR", "APRIL"), ("MAY",), ("JUN", "JUNE"),
         ("JUL", "JULY"), ("AUG", "AUGUST"), ("SEP", "SEPT", "SEPTEMBER"), ("OCT", "OCTOBER"), ("NOV", "NOVEMBER"),
         ("DEC", "DECEMBER")]
    )
    for m in names
}

_NHS = re.compile(r"\b(\d{3})\s?(\d{3})\s?(\d{4})\b")
_UPN = re.compile(r"\b([A-Z]\d{11}[0-9A-Z])\b")
_NI = re.compile(r"\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?(\d{2})\s?(\d{2})\s?(\d{2})\s?([A-D])\b")
_FAMILY = re.compile(r"\b(F\d{4,})\b")
_SOURCE_KEY = re.compile(r"\b([A-Z]{2,5}-[A-Z0-9]*\d[A-Z0-9-]*)\b")
_POSTCODE_FULL = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s?(\d[A-Z]{2})\b")
_POSTCODE_OUTWARD = re.compile(r"\b([A-Z]{1,2}\d{1,2}[A-Z]?)\b")
_DATE_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATE_WORDS = re.compile(r"\b(\d{1,2})(?:ST|ND|RD|TH)?\s+([A-Z]{3,9})\s+(\d{4})\b")
_MONTH_YEAR = re.compile(r"\b([A-Z]{3,9})\s+(\d{4})\b")
_AGE_RANGE = re.compile(r"\b(?:AGE[DS]?\s*)?(\d{1,3})\s*(?:-|TO)\s*(\d{1,3})(?:\s*(?:YEARS?|YRS?))?\b")
_AGE_SINGLE = re.compile(r"\bAGE[DS]?\s*(\d{1,3})\b|\b(\d{1,3})\s*(?:YEARS?|YRS?)(?:\s*OLD)?\b")
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
_HOUSE_AND_STREET = re.compile(r"\b(?:FLAT\s+\w+\s+)?\d+[A-Z]?\s+[A-Z]+")


@dataclass
class ParsedQuery:
    raw: str
    names: list[str] = field(default_factory=list)
    dob: date | None = None
    dob_year: int | None = None
    dob_month: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    postcode: str = ""  # full "BS5 6AB" or outward "BS5"
    address_words: str = ""
    nhs_number: str = ""
    upn: str = ""
    ni_number: str = ""
    family_reference: str = ""
    source_key: str = ""

    @property
    def is_empty(self) -> bool:
        return not any(
            (self.names, self.dob, self.dob_year, self.age_min is not None, self.postcode, self.address_words,
             self.nhs_number, self.upn, self.ni_number, self.family_reference, self.source_key)
        )

    def describe(self) -> list[str]:
        """What we understood, for the results page ("no results" says what was searched)."""
        parts = []
        if self.names:
            parts.append(f"name “{' '.join(self.names).title()}”")
        if self.dob:
            parts.append(f"date of birth {self.dob.day} {self.dob:%B %Y}")
        elif self.dob_year:
            parts.append(f"born in {date(self.dob_year, self.dob_month, 1):%B %Y}" if self.dob_month else f"born in {self.dob_year}")
        if self.age_min is not None:
            parts.append(f"aged {self.age_min}" if self.age_min == self.age_max else f"aged {self.age_min} to {self.age_max}")
        if self.postcode:
            parts.append(f"postcode {self.postcode}")
        if self.address_words:
            parts.append(f"address “{self.address_words.title()}”")
        for label, value in (("NHS number", self.nhs_number), ("UPN", self.upn), ("NI number", self.ni_number),
                             ("family", self.family_reference), ("source record", self.source_key)):
            if value:
                parts.append(f"{label} {value}")
        return parts


def _two_digit_year(value: str, today: date) -> int:
    year = int(value)
    if len(value) == 4:
        return year
    century = today.year // 100 * 100
    return century + year if century + year <= today.year else century - 100 + year


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_query(raw: str, *, today: date | None = None) -> ParsedQuery:
    today = today or date.today()
    text = " " + (raw or "").upper().strip() + " "
    result = ParsedQuery(raw=(raw or "").strip())

    def take(pattern, handler):
        nonlocal text
        match = pattern.search(text)
        if match and handler(match) is not False:
            text = text[: match.start()] + " " + text[match.end():]
            return True
        return False

    take(_NI, lambda m: setattr(result, "ni_number", "".join(m.groups())))
    take(_UPN, lambda m: setattr(result, "upn", m.group(1)))
    take(_NHS, lambda m: setattr(result, "nhs_number", "".join(m.groups())))
    take(_FAMILY, lambda m: setattr(result, "family_reference", m.group(1)))
    take(_SOURCE_KEY, lambda m: setattr(result, "source_key", m.group(1)))

    def numeric_date(m):
        day, month, year = int(m.group(1)), int(m.group(2)), _two_digit_year(m.group(3), today)
        parsed = _safe_date(year, month, day)
        if parsed is None:
            return False
        result.dob = parsed

    def iso_date(m):
        parsed = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if parsed is None:
            return False
        result.dob = parsed

    def word_date(m):
        month = MONTHS.get(m.group(2))
        parsed = _safe_date(int(m.group(3)), month, int(m.group(1))) if month else None
        if parsed is None:
            return False
        result.dob = parsed

    def month_year(m):
        month = MONTHS.get(m.group(1))
        if not month:
            return False
        result.dob_year, result.dob_month = int(m.group(2)), month

    (take(_DATE_ISO, iso_date) or take(_DATE_NUMERIC, numeric_date) or take(_DATE_WORDS, word_date)
     or take(_MONTH_YEAR, month_year) or take(_YEAR, lambda m: setattr(result, "dob_year", int(m.group(1)))))

    def age_range(m):
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        if high > 120:
            return False
        result.age_min, result.age_max = low, high

    def age_single(m):
        age = int(m.group(1) or m.group(2))
        if age > 120:
            return False
        result.age_min = result.age_max = age

    take(_AGE_RANGE, age_range) or take(_AGE_SINGLE, age_single)

    if not take(_POSTCODE_FULL, lambda m: setattr(result, "postcode", f"{m.group(1)} {m.group(2)}")):
        # an outward code only counts when it looks like one (letters then a digit), e.g. BS5
        take(_POSTCODE_OUTWARD, lambda m: setattr(result, "postcode", m.group(1)) if re.match(r"[A-Z]{1,2}\d", m.group(1)) else False)

    address = _HOUSE_AND_STREET.search(text)
    if address:
        result.address_words = " ".join(text[address.start():].split())
        text = text[: address.start()]
    words = search_key(text).split()
    result.names = words
    return result
