"""The identity noise agencies add, with rates as parameters.

``Noiser.identity`` turns a true person into what one agency recorded about
them, and names the kinds of noise it applied (kept in the ground truth so
evaluation and tests can see exactly what was done). Each field's noise is
drawn on its own, independently of every other field's, so one record can
carry a nickname, a mis-keyed sex and a wrong NHS number at once. The rates,
and where each comes from, are tabled in docs/synthetic-data.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from .geography import Address
from .identifiers import nhs_number_slip, ni_number_slip, upn_slip
from .names import NICKNAMES


@dataclass(frozen=True)
class NoiseRates:
    """Probabilities per agency record (a source key). Defaults are what the generator uses.

    Rates of the form ``*_missing`` apply only where the dataset has that column
    and does not require it; ``nickname`` only to forenames that have a short
    form; ``old_surname`` only to people who changed surname; ``flat_missing``
    only to flats; ``stale_address`` only where an earlier address exists;
    ``dob_transposed`` only to dates whose day is 12 or less and differs from the month;
    ``forename_middle`` only to people known by their middle name; ``surname_part``
    only to double-barrelled surnames; ``sex_miskeyed`` only to a recorded M or F;
    ``*_typo`` of identifiers only where the record holds the identifier.
    """

    forename_typo: float = 0.02
    surname_typo: float = 0.015
    nickname: float = 0.15
    swapped_names: float = 0.01
    old_surname: float = 0.3
    middle_names_missing: float = 0.4
    dob_missing: float = 0.03
    dob_transposed: float = 0.02
    dob_typo: float = 0.01
    # rates of the person-field kinds below, and their sources: docs/synthetic-data.md
    dob_year_typo: float = 0.005
    dob_default: float = 0.003
    dob_placeholder: float = 0.001
    forename_middle: float = 0.5
    surname_part: float = 0.3
    name_format: float = 0.03
    sex_miskeyed: float = 0.005
    nhs_typo: float = 0.002
    upn_typo: float = 0.003
    ni_typo: float = 0.01
    sex_missing: float = 0.01
    address_variant: float = 0.25
    flat_missing: float = 0.2
    street_typo: float = 0.01
    stale_address: float = 0.05
    postcode_missing: float = 0.02
    postcode_typo: float = 0.02
    postcode_unformatted: float = 0.05
    nhs_missing: float = 0.15
    upn_missing: float = 0.05
    ni_missing: float = 0.25
    uprn_missing: float = 0.1
    duplicate_record: float = 0.02


_KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}
_STREET_ABBREVIATIONS = (
    ("Street", "St"), ("Road", "Rd"), ("Avenue", "Ave"), ("Close", "Cl"), ("Lane", "Ln"), ("Crescent", "Cres"),
    ("Drive", "Dr"), ("Place", "Pl"), ("Gardens", "Gdns"), ("Terrace", "Ter"),
)


def typo(rng: random.Random, value: str) -> str:
    """One slip of the keyboard: a neighbouring key, a dropped, doubled or swapped letter."""
    if len(value) < 3:
        return value
    i = rng.randrange(1, len(value) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        options = _KEYBOARD_NEIGHBOURS.get(value[i].lower())
        if options:
            return value[:i] + rng.choice(options) + value[i + 1:]
        kind = 1
    if kind == 1:
        return value[:i] + value[i + 1:]
    if kind == 2:
        return value[:i] + value[i] + value[i:]
    return value[:i - 1] + value[i] + value[i - 1] + value[i + 1:] if value[i] != value[i - 1] else value[:i] + value[i + 1:]


@dataclass(frozen=True, slots=True)
class RecordedIdentity:
    values: dict[str, str]
    noise: tuple[str, ...]
    uprn: str = ""  # the property the address recorded is (the stale one, if it is stale): ground truth


class Noiser:
    """Applies ``NoiseRates`` with one dataset's random stream and date format."""

    def __init__(self, rng: random.Random, rates: NoiseRates, *, columns: tuple[str, ...], required: tuple[str, ...],
                 format_date, latest_birth: date | None = None):
        self.rng = rng
        self.rates = rates
        self.columns = set(columns)
        self.required = set(required)
        self.format_date = format_date
        self.latest_birth = latest_birth or date.max  # a keyed year never lands after the extract date

    def _drop(self, column: str, rate: float) -> bool:
        return column in self.columns and column not in self.required and self.rng.random() < rate

    def identity(self, person, address: Address, stale: Address | None) -> RecordedIdentity:
        rng, rates = self.rng, self.rates
        noise: list[str] = []
        forename, surname = person.forename, person.surname
        middle = person.middle_names
        if person.known_by_middle_name and rng.random() < rates.forename_middle:
            forename, middle = middle.split(" ", 1)[0], forename
            noise.append("forename_middle")
        if person.previous_surname and rng.random() < rates.old_surname:
            surname = person.previous_surname
            noise.append("old_surname")
        if "-" in surname and rng.random() < rates.surname_part:
            surname = rng.choice(surname.split("-"))
            noise.append("surname_part")
        short_forms = NICKNAMES.get(forename)
        if short_forms and rng.random() < rates.nickname:
            forename = rng.choice(short_forms)
            noise.append("nickname")
        if rng.random() < rates.forename_typo:
            forename = typo(rng, forename)
            noise.append("forename_typo")
        if rng.random() < rates.surname_typo:
            surname = typo(rng, surname)
            noise.append("surname_typo")
        if rng.random() < rates.swapped_names and "forename" not in self.required:
            forename, surname = surname, forename
            noise.append("swapped_names")
        if middle and rng.random() < rates.middle_names_missing:
            middle = ""
            noise.append("middle_names_missing")
        if rng.random() < rates.name_format:
            if rng.random() < 0.5:
                forename = _name_format(rng, forename)
            else:
                surname = _name_format(rng, surname)
            noise.append("name_format")

        dob = person.date_of_birth
        dob_text = ""
        if self._drop("date_of_birth", rates.dob_missing):
            noise.append("dob_missing")
        else:
            if rng.random() < rates.dob_placeholder:
                dob = _PLACEHOLDER_BIRTH
                noise.append("dob_placeholder")
            elif dob.timetuple().tm_yday > 1 and rng.random() < rates.dob_default:
                dob = date(dob.year, 1, 1)
                noise.append("dob_default")
            elif dob.day <= 12 and dob.day != dob.month and rng.random() < rates.dob_transposed:
                dob = date(dob.year, dob.day, dob.month)
                noise.append("dob_transposed")
            elif rng.random() < rates.dob_typo:
                dob = _dob_slip(rng, dob)
                noise.append("dob_typo")
            elif rng.random() < rates.dob_year_typo:
                dob = _year_slip(rng, dob, self.latest_birth)
                noise.append("dob_year_typo")
            dob_text = self.format_date(dob)

        sex = person.sex
        if self._drop("sex", rates.sex_missing):
            sex = "U"
            noise.append("sex_missing")
        elif sex in _OTHER_SEX and rng.random() < rates.sex_miskeyed:
            sex = _OTHER_SEX[sex]
            noise.append("sex_miskeyed")

        if stale is not None and rng.random() < rates.stale_address:
            address = stale
            noise.append("stale_address")
        line, address_noise = self._address_line(address)
        noise.extend(address_noise)
        postcode = address.postcode
        if self._drop("postcode", rates.postcode_missing):
            postcode = ""
            noise.append("postcode_missing")
        elif rng.random() < rates.postcode_typo:
            postcode = _postcode_slip(rng, postcode)
            noise.append("postcode_typo")
        elif rng.random() < rates.postcode_unformatted:
            postcode = postcode.replace(" ", "") if rng.random() < 0.5 else postcode.lower()
            noise.append("postcode_unformatted")

        values = {
            "forename": forename,
            "middle_names": middle,
            "surname": surname,
            "date_of_birth": dob_text,
            "sex": sex,
            "address": line,
            "postcode": postcode,
        }
        for column, true_value, rate in (
            ("uprn", address.uprn, rates.uprn_missing),
            ("nhs_number", person.nhs_number, rates.nhs_missing),
            ("upn", person.upn, rates.upn_missing),
            ("ni_number", person.ni_number, rates.ni_missing),
        ):
            if column not in self.columns:
                continue
            if true_value and self._drop(column, rate):
                true_value = ""
                noise.append(f"{column.split('_')[0]}_missing")
            values[column] = true_value
        self._identifier_slips(values, noise)
        return RecordedIdentity(values, tuple(noise), address.uprn)

    def _identifier_slips(self, values: dict[str, str], noise: list[str]) -> None:
        """A keying slip in an identifier the record holds (see ``identifiers``: a slip that reaches an
        extract is valid, because the NHS number's and the UPN's check characters catch the rest)."""
        rng, rates = self.rng, self.rates
        for column, rate, slip, kind in (
            ("nhs_number", rates.nhs_typo, nhs_number_slip, "nhs_typo"),
            ("upn", rates.upn_typo, upn_slip, "upn_typo"),
            ("ni_number", rates.ni_typo, ni_number_slip, "ni_typo"),
        ):
            if values.get(column) and rng.random() < rate:
                values[column] = slip(rng, values[column])
                noise.append(kind)

    def _address_line(self, address: Address) -> tuple[str, list[str]]:
        rng, rates = self.rng, self.rates
        noise = []
        parts = address.parts()
        if address.sub_building and rng.random() < rates.flat_missing:
            parts = parts[1:]
            noise.append("flat_missing")
        elif rng.random() < rates.address_variant:
            parts = _address_variant(rng, parts, address)
            noise.append("address_variant")
        if rng.random() < rates.street_typo:
            parts = [p.replace(address.street, _street_slip(rng, address.street)) if address.street in p else p
                     for p in parts]
            noise.append("street_typo")
        return ", ".join(parts), noise


_PLACEHOLDER_BIRTH = date(1900, 1, 1)  # the "unknown" date some systems insist on (the importer's earliest)
_OTHER_SEX = {"M": "F", "F": "M"}


def _name_format(rng: random.Random, name: str) -> str:
    """How a name is typed differently without being misspelt: case, its punctuation, its spacing."""
    kind = rng.randrange(3)
    if kind == 0 and ("'" in name or "-" in name):  # O'Brien -> OBrien / O Brien; Smith-Jones -> Smith Jones
        joiner = rng.choice(("", " "))
        return name.replace("'", joiner).replace("-", " ")
    if kind == 1 and " " in name:  # two spaces where one was meant
        return name.replace(" ", "  ", 1)
    return name.lower() if rng.random() < 0.5 else name.upper()


def _year_slip(rng: random.Random, dob: date, latest: date) -> date:
    """The year keyed wrong: its last two digits exchanged (1987 -> 1978), else its decade digit one out.

    A keyed date never lands after ``latest`` (the extract date) nor before 1900; 29 February becomes the 28th.
    """
    year = dob.year
    tens, units = divmod(year % 100, 10)
    candidates = [year - year % 100 + units * 10 + tens] if tens != units else []
    candidates += rng.sample((year - 10, year + 10), 2)  # year - 10 always qualifies, so one does
    keyed = (dob.replace(year=c, day=min(dob.day, 28 if dob.month == 2 else 31)) for c in candidates)
    return next(d for d in keyed if _PLACEHOLDER_BIRTH < d <= latest)


def _dob_slip(rng: random.Random, dob: date) -> date:
    """A keying slip in a date of birth: a day or a year out."""
    if rng.random() < 0.5:
        return date.fromordinal(dob.toordinal() + rng.choice((-1, 1)))
    try:
        return dob.replace(year=dob.year + rng.choice((-1, 1)))
    except ValueError:  # 29 February
        return dob.replace(year=dob.year + rng.choice((-1, 1)), day=28)


_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # a slip that still reads as a postcode (import refuses any other)


def _postcode_slip(rng: random.Random, postcode: str) -> str:
    """One keying slip in a postcode that still has a postcode's shape: a unit letter or the sector digit."""
    outward, inward = postcode.split(" ")
    i = rng.randrange(3)
    if i == 0:
        inward = rng.choice("0123456789".replace(inward[0], "")) + inward[1:]
    else:
        letters = list(inward)
        letters[i] = rng.choice(_UNIT_LETTERS.replace(letters[i], ""))
        inward = "".join(letters)
    return f"{outward} {inward}"


def _street_slip(rng: random.Random, street: str) -> str:
    """A typo in the street name's first word ("Church Road" -> "Chruch Road"); the street type stays."""
    name, _, kind = street.rpartition(" ")
    return f"{typo(rng, name)} {kind}" if name else street


def _flat_spelling(rng: random.Random, sub_building: str) -> str:
    """The ways agencies write one flat: "Flat 4A" -> "4a", "4A", "Flat 4a", "Flat 4 A", "FLAT 4A", "Apartment 4A".

    Only spellings of the same flat: "Flat 4" for "Flat 4A" would name another property.
    """
    flat = sub_building.removeprefix("Flat ")
    number, letter = flat.rstrip("ABCDEFGH"), flat[len(flat.rstrip("ABCDEFGH")):]
    options = [flat, flat.lower(), f"Flat {flat.lower()}", f"FLAT {flat}", f"Apartment {flat}", f"Flat {flat}"]
    if letter:
        options += [f"Flat {number} {letter}", f"{number}{letter.lower()}"]
    spelling = rng.choice(options)
    return flat if spelling == sub_building else spelling


def _address_variant(rng: random.Random, parts: list[str], address: Address) -> list[str]:
    """One of the ways agencies write the same address differently."""
    kind = rng.randrange(5)
    parts = list(parts)
    if kind == 0 and address.sub_building:  # "Flat 4A" -> "4a", "Flat 4 A", ...
        parts[0] = _flat_spelling(rng, address.sub_building)
        return parts
    if kind <= 1:  # "Street" -> "St"
        for long, short in _STREET_ABBREVIATIONS:
            if f" {long}" in address.street:
                return [p.replace(f" {long}", f" {short}") for p in parts]
    if kind == 2 and len(parts) > 2:  # no locality
        return [p for p in parts if p != address.locality]
    if kind == 3:
        return [p.upper() for p in parts]
    return parts[:-1]  # no town
