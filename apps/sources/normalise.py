"""Pure functions that put postcodes and addresses into one comparable form.

Used on the way in (``apps.sources.validation``) and by matching, so "bs1  4dj"
and "BS1 4DJ", or "Flat 4a, 12 High St" and "4A 12 High Street" compare equal.
Names are ``apps.common.names``, national identifiers ``apps.common.identifiers``, dates in a
dataset's declared format ``apps.common.dates.date_parser``.
No database access, no Django imports: each function takes a string and
returns a value or raises ``ValueError`` with a reason that is safe to show (it
never repeats the value, which may be personal data).

The functions are cached: extracts repeat the same postcodes and streets
many times (an attendance feed sends one row per child per month).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_CACHE = 1 << 16
_SPACES = re.compile(r"\s+")

# --- postcodes ------------------------------------------------------------------

_POSTCODE = re.compile(r"(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})")


@lru_cache(maxsize=_CACHE)
def postcode_normalise(value: str) -> str:
    """A UK postcode in capitals with one space before the inward code: "bs1  4dj" -> "BS1 4DJ"."""
    compact = "".join(value.split()).upper()
    if not _POSTCODE.fullmatch(compact):
        raise ValueError("not a UK postcode (e.g. BS1 4DJ)")
    return f"{compact[:-3]} {compact[-3:]}"


# --- addresses (BS7666 in spirit) -------------------------------------------

_SUB_BUILDING_WORDS = frozenset({"FLAT", "FLT", "APARTMENT", "APT", "UNIT", "ROOM", "STUDIO", "MAISONETTE"})
_STREET_TYPES = {
    "ST": "STREET", "STR": "STREET", "RD": "ROAD", "AVE": "AVENUE", "AV": "AVENUE", "CL": "CLOSE",
    "CRES": "CRESCENT", "CRS": "CRESCENT", "DR": "DRIVE", "GDNS": "GARDENS", "GRN": "GREEN", "GR": "GROVE",
    "GRV": "GROVE", "LN": "LANE", "PL": "PLACE", "SQ": "SQUARE", "TER": "TERRACE", "TERR": "TERRACE",
    "PK": "PARK", "CT": "COURT", "WY": "WAY", "HL": "HILL", "PDE": "PARADE", "MS": "MEWS", "WLK": "WALK",
}
_STREET_WORDS = frozenset(_STREET_TYPES.values()) | {"ROW", "VALE", "RISE", "VIEW", "BANK", "MEAD", "WHARF"}
_BUILDING_NUMBER = re.compile(r"\d+[A-Z]?(-\d+[A-Z]?)?")
_ADDRESS_DROPPED = str.maketrans("", "", "'.")  # "St. Mary's" -> "ST MARYS"
_ADDRESS_NOISE = re.compile(r"[^A-Z0-9, \-]+")
_POSTCODE_AT_END = re.compile(r",?\s*([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\s*$")


@dataclass(frozen=True)
class AddressParts:
    """An address split as BS7666 does: secondary (sub-building) and primary addressable objects, street."""

    sub_building: str = ""
    building_name: str = ""
    building_number: str = ""
    street: str = ""
    locality: str = ""
    town: str = ""

    @property
    def key(self) -> str:
        """What two spellings of one address share: sub-building, building, number and street."""
        return "|".join((self.sub_building, self.building_name, self.building_number, self.street))


def _street(tokens: list[str]) -> str:
    words = list(tokens)
    if words and words[-1] in _STREET_TYPES:
        words[-1] = _STREET_TYPES[words[-1]]
    if len(words) > 1 and words[0] == "ST":
        words[0] = "SAINT"
    return " ".join(words)


@lru_cache(maxsize=_CACHE)
def address_parse(value: str) -> AddressParts:
    """Split a one-line address into BS7666-style parts.

    "Flat 4a, 12 High St" and "4A 12 High Street" both give sub-building "4A",
    number "12", street "HIGH STREET". A postcode at the end is dropped (it is
    its own column). Parsing is best-effort: an address it cannot read is kept
    whole as the street, so the key still compares equal to the same text.
    """
    text = value if value.isascii() else unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    text = _ADDRESS_NOISE.sub(" ", text.upper().translate(_ADDRESS_DROPPED))
    text = _POSTCODE_AT_END.sub("", text)
    segments = [_SPACES.sub(" ", s).strip(" -") for s in text.split(",")]
    segments = [s for s in segments if s]
    if not segments:
        return AddressParts()
    tokens = [(tok, i) for i, seg in enumerate(segments) for tok in seg.split(" ")]
    sub_building = building_name = building_number = ""
    pos = 0
    if tokens[0][0] in _SUB_BUILDING_WORDS and len(tokens) > 1:
        sub_building, pos = tokens[1][0], 2
    elif len(tokens) > 1 and _BUILDING_NUMBER.fullmatch(tokens[0][0]) and _BUILDING_NUMBER.fullmatch(tokens[1][0]):
        sub_building, pos = tokens[0][0], 1
    number_at = next((i for i in range(pos, len(tokens)) if _BUILDING_NUMBER.fullmatch(tokens[i][0])), None)
    if number_at is not None:
        building_name = " ".join(tok for tok, _ in tokens[pos:number_at])
        building_number = tokens[number_at][0]
        street_segment = tokens[number_at][1]
        street_tokens = [tok for tok, seg in tokens[number_at + 1 :] if seg == street_segment]
        if not street_tokens:  # "12, High Street": the number stands alone before its street
            street_segment += 1
            street_tokens = [tok for tok, seg in tokens if seg == street_segment]
    else:
        # No number: the street is the first segment ending in a street word; anything before is the building.
        street_segment = next(
            (i for i, seg in enumerate(segments) if seg.split(" ")[-1] in _STREET_WORDS or seg.split(" ")[-1] in _STREET_TYPES),
            tokens[pos][1],
        )
        building_name = " ".join(tok for tok, seg in tokens[pos:] if seg < street_segment)
        street_tokens = [tok for tok, seg in tokens[pos:] if seg == street_segment]
    rest = segments[street_segment + 1 :]
    town = rest[-1] if rest else ""
    locality = " ".join(rest[:-1])
    return AddressParts(
        sub_building=sub_building,
        building_name=building_name,
        building_number=building_number,
        street=_street(street_tokens),
        locality=locality,
        town=town,
    )


def address_key(address: str, postcode: str = "") -> str:
    """The comparable key of an address: its parsed parts, then the normalised postcode if given."""
    parts = address_parse(address)
    if not any((parts.sub_building, parts.building_name, parts.building_number, parts.street)):
        return ""
    return f"{parts.key}|{postcode}" if postcode else parts.key
