"""The identity noise agencies add, with rates as parameters.

``Noiser.identity`` turns a true person into what one agency recorded about
them, and names the kinds of noise it applied (kept in the ground truth so
evaluation and tests can see exactly what was done).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from .geography import Address
from .names import NICKNAMES


@dataclass(frozen=True)
class NoiseRates:
    """Probabilities per agency record (a source key). Defaults are what the generator uses.

    Rates of the form ``*_missing`` apply only where the dataset has that column
    and does not require it; ``nickname`` only to forenames that have a short
    form; ``old_surname`` only to people who changed surname; ``flat_missing``
    only to flats; ``stale_address`` only where an earlier address exists;
    ``dob_transposed`` only to dates whose day is 12 or less and differs from the month.
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
                 format_date):
        self.rng = rng
        self.rates = rates
        self.columns = set(columns)
        self.required = set(required)
        self.format_date = format_date

    def _drop(self, column: str, rate: float) -> bool:
        return column in self.columns and column not in self.required and self.rng.random() < rate

    def identity(self, person, address: Address, stale: Address | None) -> RecordedIdentity:
        rng, rates = self.rng, self.rates
        noise: list[str] = []
        forename, surname = person.forename, person.surname
        if person.previous_surname and rng.random() < rates.old_surname:
            surname = person.previous_surname
            noise.append("old_surname")
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
        middle = person.middle_names
        if middle and rng.random() < rates.middle_names_missing:
            middle = ""
            noise.append("middle_names_missing")

        dob = person.date_of_birth
        dob_text = ""
        if self._drop("date_of_birth", rates.dob_missing):
            noise.append("dob_missing")
        else:
            if dob.day <= 12 and dob.day != dob.month and rng.random() < rates.dob_transposed:
                dob = date(dob.year, dob.day, dob.month)
                noise.append("dob_transposed")
            elif rng.random() < rates.dob_typo:
                dob = _dob_slip(rng, dob)
                noise.append("dob_typo")
            dob_text = self.format_date(dob)

        sex = person.sex
        if self._drop("sex", rates.sex_missing):
            sex = "U"
            noise.append("sex_missing")

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
        return RecordedIdentity(values, tuple(noise), address.uprn)

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
