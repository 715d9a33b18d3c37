"""Identifier formats: NHS number, UPN, National Insurance number, UPRN, postcode.

Each has a maker for the generator and a validator the tests (and anyone else)
can use. The makers draw from ranges that cannot belong to a real person where
such a range exists: NHS numbers start with 999, the range NHS England keeps for
testing.
"""

from __future__ import annotations

import random
import re

# --- NHS number: 10 digits, the last a modulus 11 check digit -----------------


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when the remainder makes the number unusable."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def make_nhs_number(rng: random.Random, used: set[str]) -> str:
    """A valid, unused NHS number in the 999 test range."""
    while True:
        stem = f"999{rng.randrange(1_000_000):06d}"
        check = nhs_check_digit(stem)
        if check is not None and (number := f"{stem}{check}") not in used:
            used.add(number)
            return number


def is_valid_nhs_number(value: str) -> bool:
    return len(value) == 10 and value.isdigit() and nhs_check_digit(value[:9]) == int(value[9])


# --- UPN (unique pupil number): check letter + LA (3) + establishment (4) + year (2) + serial (3)

UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # remainder 0..22; I, O and S are never used
_UPN_VALUES = {str(d): d for d in range(10)} | {letter: i for i, letter in enumerate(UPN_CHECK_LETTERS)}


def upn_check_letter(last_twelve: str) -> str:
    """DfE algorithm: characters 2-13 weighted 2..13, summed, modulus 23 indexes the check letters."""
    total = sum(_UPN_VALUES[c] * w for c, w in zip(last_twelve, range(2, 14), strict=True))
    return UPN_CHECK_LETTERS[total % 23]


def make_upn(la_code: str, establishment: str, year: int, serial: int) -> str:
    """The UPN a school issues: its LA and DfE establishment number, the two-digit year, a serial."""
    body = f"{la_code}{establishment}{year % 100:02d}{serial:03d}"
    return upn_check_letter(body) + body


def is_valid_upn(value: str) -> bool:
    return (
        len(value) == 13
        and value[0] in UPN_CHECK_LETTERS
        and value[1:12].isdigit()
        and (value[12].isdigit() or value[12] in UPN_CHECK_LETTERS)
        and upn_check_letter(value[1:]) == value[0]
    )


# --- National Insurance number: two prefix letters, six digits, suffix A-D ------

_NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"  # never D, F, I, Q, U, V
_NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"  # never D, F, I, Q, U, V, O
_NI_NOT_ALLOCATED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
NI_NUMBER_RE = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def make_ni_number(rng: random.Random, used: set[str]) -> str:
    while True:
        prefix = rng.choice(_NI_FIRST) + rng.choice(_NI_SECOND)
        if prefix in _NI_NOT_ALLOCATED:
            continue
        number = f"{prefix}{rng.randrange(1_000_000):06d}{rng.choice('ABCD')}"
        if number not in used:
            used.add(number)
            return number


def is_valid_ni_number(value: str) -> bool:
    return bool(NI_NUMBER_RE.match(value))


# --- UPRN and postcode ------------------------------------------------------------

UPRN_RE = re.compile(r"^\d{12}$")
# Outward code (area, district) and inward code (sector digit, unit letters without C I K M O V).
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}$")


def is_valid_uprn(value: str) -> bool:
    return bool(UPRN_RE.match(value))


def is_valid_postcode(value: str) -> bool:
    """Format check; accepts the missing space and lower case agencies send."""
    return bool(POSTCODE_RE.match(value.upper()))
