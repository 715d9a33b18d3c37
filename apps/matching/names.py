"""Name keys shared by matching and search: search form, phonetic code, nickname groups.

Phonetic code: Metaphone (Lawrence Philips, 1990) of the first word of the
normalised name, from ``jellyfish`` (pure Python/Rust, no database extension),
cut to 12 characters (the width of ``Person.forename_phonetic``). The same
function feeds Splink (a precomputed column), ``Person.forename_phonetic`` /
``surname_phonetic`` and the people search, so a query and a record always get
the same code. SMITH/SMYTH -> SM0, CATHERINE/KATHRYN -> K0RN.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from pathlib import Path

import jellyfish

NICKNAMES_CSV = Path(__file__).resolve().parent / "data" / "nicknames.csv"
PHONETIC_MAX_LENGTH = 12


def search_key(value: str | None) -> str:
    """Upper-case, accents removed, letters, digits and single spaces only ("O'Neil-Smith" -> "ONEIL SMITH")."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9\s-]", "", text).replace("-", " ")
    return " ".join(text.upper().split())


@cache
def phonetic(value: str | None) -> str:
    """Metaphone code of the first word of the name ("" for none): CATHERINE and KATHRYN -> K0RN."""
    name = search_key(value)
    if not name:
        return ""
    return jellyfish.metaphone(name.split(" ")[0])[:PHONETIC_MAX_LENGTH]


@cache
def _nickname_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    with NICKNAMES_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            canonical = row["canonical"].strip().upper()
            groups.setdefault(canonical, set()).add(canonical)
            for nickname in row["nicknames"].split():
                groups.setdefault(nickname.upper(), set()).add(canonical)
    return {name: frozenset(canonicals) for name, canonicals in groups.items()}


def name_variants(forename: str | None) -> list[str]:
    """The forename and the formal names it may be short for, sorted ("BOB" -> ["BOB", "ROBERT"]).

    Two forenames are nickname-equivalent when their variant lists share a name.
    The table is ``data/nicknames.csv`` (one formal name and its common short forms a line).
    """
    name = search_key(forename)
    if not name:
        return []
    return sorted({name} | _nickname_groups().get(name, frozenset()))
