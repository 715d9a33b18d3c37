"""Names, the one way import, search and matching read them.

* ``normalise_name``: the form import stores (``SourceRecord.forename``/``surname``):
  upper case, accents and apostrophes removed, other punctuation a space, hyphens
  kept without spaces round them ("o'brien" -> "OBRIEN", "Smith – jones" -> "SMITH-JONES").
  A title before a name ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", ...) and a suffix after
  it ("Jr", "Jnr", "Snr", "Sr", "II", "III") are not part of it and are dropped, as long
  as a name is left ("Mr Steven" -> "STEVEN", "Saunders Jr" -> "SAUNDERS"; "Junior"
  alone stays).
* ``search_key``: the form search and matching compare (``Person.search_forename``,
  the query's words, Splink's name columns): ``normalise_name`` with hyphens as
  spaces ("Smith-Jones" -> "SMITH JONES"). A query and a record typed the same
  way always get the same key.
* ``phonetic``: Metaphone (Lawrence Philips, 1990, from ``jellyfish``) of the
  first word of the search key, cut to 12 characters (the width of
  ``Person.forename_phonetic``). SMITH/SMYTH -> SM0, CATHERINE/KATHRYN -> K0RN.
* Nicknames: ``data/nicknames.csv``, one formal name and the names written for it
  a line. Two forenames are variants of each other when one line holds both.
  Search asks "which names may this be?" (``name_variants``, every name sharing a
  line); matching asks "do these two share a line?" by overlap of
  ``nickname_keys`` (the name and the formal names it may stand for), which
  Splink compares as lists. Both answer the same question from the same table.
* ``similarity``: Jaro-Winkler, 0..1.

No database access and no Django imports; the functions are cached, since
extracts and matching repeat the same names many times.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import jellyfish

NICKNAMES_CSV = Path(__file__).resolve().parent / "data" / "nicknames.csv"
PHONETIC_MAX_LENGTH = 12
_CACHE = 1 << 16

_APOSTROPHES = str.maketrans("", "", "'’‘`´")
_DASHES = re.compile(r"\s*[-‐‑‒–—]+\s*")
_NOT_NAME = re.compile(r"[^A-Z\- ]+")
_SPACES = re.compile(r"\s+")
# Words written before or after a name that are not part of it (titles, generational suffixes).
TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "REV", "MSTR", "MASTER"})
SUFFIXES = frozenset({"JR", "JNR", "JUNIOR", "SR", "SNR", "SENIOR", "II", "III", "IV"})


@lru_cache(maxsize=_CACHE)
def normalise_name(value: str | None) -> str:
    """Upper case, no accents or apostrophes, single spaces, hyphens without spaces ("" for none).

    >>> normalise_name("  o'brien ")
    'OBRIEN'
    >>> normalise_name("Smith – jones")
    'SMITH-JONES'
    """
    if not value:
        return ""
    text = _DASHES.sub("-", value.translate(_APOSTROPHES))
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _NOT_NAME.sub(" ", text.upper())
    return _without_title_or_suffix(_SPACES.sub(" ", text).strip(" -"))


def _without_title_or_suffix(name: str) -> str:
    """Drop leading titles and trailing suffixes (``TITLES``, ``SUFFIXES``) while a word is left."""
    words = name.split(" ")
    while len(words) > 1 and words[0] in TITLES:
        words.pop(0)
    while len(words) > 1 and words[-1] in SUFFIXES:
        words.pop()
    return " ".join(words).strip(" -")


@lru_cache(maxsize=_CACHE)
def search_key(value: str | None) -> str:
    """What search and matching compare: the normalised name with hyphens as spaces ("O'Neil-Smith" -> "ONEIL SMITH")."""
    return " ".join(normalise_name(value).replace("-", " ").split())


@lru_cache(maxsize=_CACHE)
def phonetic(value: str | None) -> str:
    """Metaphone code of the first word of the name ("" for none): CATHERINE and KATHRYN -> K0RN."""
    key = search_key(value)
    if not key:
        return ""
    return jellyfish.metaphone(key.split(" ")[0])[:PHONETIC_MAX_LENGTH]


@cache
def nickname_table() -> dict[str, tuple[str, ...]]:
    """Formal name -> the names written for it, in the file's order (``data/nicknames.csv``)."""
    with NICKNAMES_CSV.open(newline="", encoding="utf-8") as handle:
        return {
            row["canonical"].strip().upper(): tuple(name.upper() for name in row["nicknames"].split())
            for row in csv.DictReader(handle)
        }


@cache
def _formal_names_of() -> dict[str, frozenset[str]]:
    """Every name in the table -> the formal names of the lines that hold it (itself, if it heads one)."""
    formal: dict[str, set[str]] = {}
    for canonical, nicknames in nickname_table().items():
        for name in (canonical, *nicknames):
            formal.setdefault(name, set()).add(canonical)
    return {name: frozenset(canonicals) for name, canonicals in formal.items()}


@cache
def _lines_of() -> dict[str, frozenset[str]]:
    """Every name in the table -> every name on a line that holds it."""
    table = nickname_table()
    return {
        name: frozenset(n for canonical in canonicals for n in (canonical, *table[canonical]))
        for name, canonicals in _formal_names_of().items()
    }


def nickname_keys(forename: str | None) -> list[str]:
    """The forename's search key and the formal names it may stand for, sorted ("Bob" -> ["BOB", "ROBERT"]).

    Two forenames are nickname variants when their keys share an entry: BOB and
    ROBBIE share ROBERT. ALEX shares with both ALEXANDER and ALEXANDRA, which do
    not share with each other. Matching stores these as a list column.
    """
    name = search_key(forename)
    if not name:
        return []
    return sorted({name} | _formal_names_of().get(name, frozenset()))


@lru_cache(maxsize=_CACHE)
def name_variants(forename: str | None) -> frozenset[str]:
    """The forename's search key and every name that may be the same forename ("Bill" -> {BILL, WILLIAM, WILL, ...}).

    Exactly the names whose ``nickname_keys`` overlap the forename's: what search
    looks up (``search_forename IN ...``) is what matching would call a nickname.
    """
    name = search_key(forename)
    if not name:
        return frozenset()
    return _lines_of().get(name, frozenset()) | {name}


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two search keys, 0..1 (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return jellyfish.jaro_winkler_similarity(a, b)
