"""Identifier makers for the generator: NHS number, UPN, National Insurance number; UPRN and postcode formats.

The makers draw from ranges that cannot belong to a real person where such a
range exists: NHS numbers start with 999, the range NHS England keeps for
testing. Check digits come from python-stdnum, as the import's checks do
(``apps.common.identifiers``), which is what the tests validate the output with.
"""

from __future__ import annotations

import random
import re

from stdnum.gb import nhs, upn

# --- NHS number: 10 digits, the last a modulus 11 check digit -----------------


def make_nhs_number(rng: random.Random, used: set[str]) -> str:
    """A valid, unused NHS number in the 999 test range (a stem no check digit completes is drawn again)."""
    while True:
        stem = f"999{rng.randrange(1_000_000):06d}"
        number = next((stem + digit for digit in "0123456789" if nhs.is_valid(stem + digit)), None)
        if number is not None and number not in used:
            used.add(number)
            return number


# --- UPN (unique pupil number): check letter + LA (3) + establishment (4) + year (2) + serial (3)


def make_upn(la_code: str, establishment: str, year: int, serial: int) -> str:
    """The UPN a school issues: its LA and DfE establishment number, the two-digit year, a serial."""
    body = f"{la_code}{establishment}{year % 100:02d}{serial:03d}"
    return upn.calc_check_digit(body) + body


# --- National Insurance number: two prefix letters, six digits, suffix A-D ------

_NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"  # never D, F, I, Q, U, V
_NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"  # never D, F, I, Q, U, V, O
_NI_NOT_ALLOCATED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def make_ni_number(rng: random.Random, used: set[str]) -> str:
    while True:
        prefix = rng.choice(_NI_FIRST) + rng.choice(_NI_SECOND)
        if prefix in _NI_NOT_ALLOCATED:
            continue
        number = f"{prefix}{rng.randrange(1_000_000):06d}{rng.choice('ABCD')}"
        if number not in used:
            used.add(number)
            return number


# --- keying slips in identifiers -------------------------------------------------
#
# One digit keyed wrong or two neighbouring digits exchanged. The NHS number's modulus 11
# check digit and the UPN's modulus 23 check letter catch every such slip (the weights
# differ at every position and 11 and 23 are prime), and agencies' systems and our import
# run those checks, so a slip that reaches an extract is a *valid* wrong number: the slip
# with its check character made right (what a double error that passes the check looks
# like). The National Insurance number has no check character, so its slips pass as keyed.
# A wrong number may be another person's, as a real one may.


def _digit_slip(rng: random.Random, digits: str, first: int) -> str:
    """``digits`` with one position from ``first`` on keyed wrong, or two neighbours from ``first`` on exchanged."""
    if rng.random() < 0.5:
        i = rng.randrange(first, len(digits) - 1)
        if digits[i] != digits[i + 1]:
            return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
    i = rng.randrange(first, len(digits))
    return digits[:i] + rng.choice("0123456789".replace(digits[i], "")) + digits[i + 1:]


def nhs_number_slip(rng: random.Random, number: str) -> str:
    """A valid NHS number one slip away in the first nine digits; the 999 test-range prefix is kept."""
    while True:
        stem = _digit_slip(rng, number[:9], 3)
        slipped = next((stem + d for d in "0123456789" if nhs.is_valid(stem + d)), None)
        if slipped is not None and slipped != number:
            return slipped


def upn_slip(rng: random.Random, number: str) -> str:
    """A UPN one slip away in its establishment, year or serial digits, with its check letter made right."""
    body = _digit_slip(rng, number[1:], 3)
    return upn.calc_check_digit(body) + body


def ni_number_slip(rng: random.Random, number: str) -> str:
    """A National Insurance number with a digit slip, or (one time in five) another suffix letter."""
    if rng.random() < 0.2:
        return number[:8] + rng.choice("ABCD".replace(number[8], ""))
    return number[:2] + _digit_slip(rng, number[2:8], 0) + number[8]


# --- UPRN and postcode ------------------------------------------------------------

UPRN_RE = re.compile(r"^\d{12}$")
# Outward code (area, district) and inward code (sector digit, unit letters without C I K M O V).
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}$")


def is_valid_uprn(value: str) -> bool:
    return bool(UPRN_RE.match(value))


def is_valid_postcode(value: str) -> bool:
    """Format check; accepts the missing space and lower case agencies send."""
    return bool(POSTCODE_RE.match(value.upper()))
