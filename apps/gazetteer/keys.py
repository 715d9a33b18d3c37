"""Comparable parts of an address, the same for a line an agency sent and a gazetteer entry.

Both sides go through one parser (``apps.sources.normalise.address_parse``), so its quirks cancel
out; before it, sub-building spellings are put into one form: "Flat 4A", "flat 4a", "4a",
"Flat 4 A", "Apartment 4A" and "FLAT 4-A" all give the sub-building ``4A``. Street types are
expanded by the parser ("Rd" -> ROAD, "Ave" -> AVENUE). No database access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from apps.sources.normalise import AddressParts, address_parse, postcode_normalise

_FLAT_SPLIT = re.compile(r"\b(FLAT|FLT|APARTMENT|APT|UNIT|ROOM|STUDIO|MAISONETTE)\s*(\d+)\s*[- ]?\s*([A-Z])(?=\s*(,|$))")
_FLAT_GLUED = re.compile(r"\b(FLAT|FLT|APARTMENT|APT|UNIT)(\d)")  # "FLAT4A"
_LEADING_ZEROS = re.compile(r"\b0+(\d)")
# a named block before its street: "Flat 3, Heron Court, Elm Road" (the parser alone would read COURT as the street)
_BLOCK_WORDS = frozenset({"HOUSE", "COURT", "CT", "TOWER", "LODGE", "POINT", "MANSIONS", "BUILDINGS", "HALL", "FLATS"})
_SUB_WORDS = frozenset({"FLAT", "FLT", "APARTMENT", "APT", "UNIT", "ROOM", "STUDIO", "MAISONETTE"})
_SUB_NUMBER = re.compile(r"\d+[A-Z]?")


@dataclass(frozen=True, slots=True)
class Parts:
    sub: str  # "4A" or ""
    building: str  # "KESTREL HOUSE" or ""
    number: str  # "12" or ""
    street: str  # "HIGH STREET"
    postcode: str  # "BS1 4DJ" or ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.sub, self.building, self.number, self.street)

    @property
    def building_key(self) -> tuple[str, str, str]:
        """The building the address is in (its key without the sub-building)."""
        return (self.building, self.number, self.street)

    @property
    def district(self) -> str:
        return self.postcode.split(" ", 1)[0] if self.postcode else ""

    @property
    def sector(self) -> str:
        return self.postcode[:-2] if self.postcode else ""


@lru_cache(maxsize=1 << 17)
def parts_of(line: str, postcode: str = "") -> Parts:
    """The comparable parts of a one-line address and its postcode (either may be empty)."""
    text = (line or "").upper()
    text = _FLAT_GLUED.sub(r"\1 \2", text)
    text = _FLAT_SPLIT.sub(r"\1 \2\3", text)
    text = _LEADING_ZEROS.sub(r"\1", text)
    parsed = _block_first(text) or address_parse(text)
    try:
        code = postcode_normalise(postcode) if postcode else ""
    except ValueError:
        code = ""
    return Parts(parsed.sub_building, parsed.building_name, parsed.building_number, parsed.street, code)


def _block_first(text: str):
    """"[Flat] 3, Heron Court, Elm Road, ...": sub-building, a named block, then its street; else None."""
    segments = [" ".join(seg.replace(".", "").replace("'", "").split()) for seg in text.split(",")]
    segments = [seg for seg in segments if seg]
    for i, seg in enumerate(segments[:-1]):
        words = seg.split(" ")
        if words[-1] not in _BLOCK_WORDS or any(ch.isdigit() for ch in seg):
            continue
        street = address_parse(segments[i + 1])
        if street.building_number or street.sub_building or street.street.split(" ")[-1] in _BLOCK_WORDS:
            return None
        before = " ".join(segments[:i]).split(" ") if i else []
        if before and before[0] in _SUB_WORDS:
            before = before[1:]
        if len(before) > 1 or (before and not _SUB_NUMBER.fullmatch(before[0])):
            return None
        return AddressParts(sub_building=before[0] if before else "", building_name=seg, street=street.street)
    return None


def gazetteer_line(*, sub_building: str, building_name: str, building_number: str, street: str, locality: str,
                   town: str) -> str:
    """A gazetteer entry written as one line, in BS7666 order (as agencies write it)."""
    number_street = " ".join(p for p in (building_number, street) if p)
    return ", ".join(p for p in (sub_building, building_name, number_street, locality, town) if p)
