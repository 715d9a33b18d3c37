"""National identifiers: each function takes what an agency sent and returns the stored form, or raises ``ValueError``.

The check digits come from python-stdnum (a maintained library with the published
algorithms): ``stdnum.gb.nhs`` for the NHS number (modulus 11) and
``stdnum.gb.upn`` for the unique pupil number's check letter (DfE: characters
2-13 weighted 2..13, modulus 23). stdnum has no National Insurance number or
UPRN, so those two rules are ours (HMRC NIM39110; a UPRN has no check digit).

UPNs are not passed to ``stdnum.gb.upn.validate``: it also refuses an LA number
missing from its list (DfE's codes of January 2011), and authorities created
since (for example 838 and 839, Dorset and Bournemouth, Christchurch and Poole,
in 2019; 940 and 941, the two Northamptonshire unitaries, in 2021) issue UPNs
that a Bristol school receives when a pupil moves. The format and the check
letter are checked, as before.

A reason never repeats the value: it may be personal data, and import reports
are read by people who may not see case data.
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.gb import nhs, upn
from stdnum.util import clean, isdigits

_CACHE = 1 << 16


def identifier_compact(value: str) -> str:
    """Without spaces or hyphens of any kind, in capitals, digits as ASCII: "943 476 5919" -> "9434765919"."""
    return "".join(clean(value, "-").split()).upper()


def _compact_shaped(value: str, shape: re.Pattern, reason: str) -> str:
    """The compact form when all of it has the shape, else ``ValueError(reason)``."""
    number = identifier_compact(value)
    if not shape.fullmatch(number):
        raise ValueError(reason)
    return number


@lru_cache(maxsize=_CACHE)
def nhs_number_normalise(value: str) -> str:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    try:
        return nhs.validate(identifier_compact(value))
    except InvalidChecksum:
        raise ValueError("NHS number check digit is wrong") from None
    except ValidationError:
        raise ValueError("NHS number must be 10 digits") from None


# DfE "Unique Pupil Numbers": the letters of the check character and of the last
# character of a temporary UPN; I, O and S are never used.
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN = re.compile(rf"[{UPN_LETTERS}][0-9]{{11}}[0-9{UPN_LETTERS}]")


@lru_cache(maxsize=_CACHE)
def upn_normalise(value: str) -> str:
    """A 13-character UPN (a temporary one ends in a letter) with a correct check letter."""
    number = _compact_shaped(value, _UPN, "UPN must be a check letter and 12 characters (11 digits and a digit or letter)")
    if upn.calc_check_digit(number[1:]) != number[0]:
        raise ValueError("UPN check letter is wrong")
    return number


# HMRC NIM39110: no D, F, I, Q, U, V as either prefix letter, no O second, and
# BG, GB, KN, NK, NT, TN, ZZ are never issued; suffix A-D.
_NI = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]")


@lru_cache(maxsize=_CACHE)
def ni_number_normalise(value: str) -> str:
    """A National Insurance number in capitals without spaces: "ab 12 34 56 c" -> "AB123456C"."""
    return _compact_shaped(value, _NI, "not a National Insurance number (two letters, six digits, A-D)")


@lru_cache(maxsize=_CACHE)
def uprn_normalise(value: str) -> str:
    """A Unique Property Reference Number: 1 to 12 digits, leading zeros dropped."""
    number = identifier_compact(value)
    if not isdigits(number) or len(number) > 12 or int(number) == 0:
        raise ValueError("UPRN must be 1 to 12 digits")
    return str(int(number))
