"""Address -> UPRN: every address sent is compared with the gazetteer and given its best UPRN and a score.

Built here on the project's own stack rather than with ``uk-address-matcher`` (see docs/addresses.md:
its releases need Splink < 5 and DuckDB < 2, and the person matcher runs on Splink 5 / DuckDB 2).

1. **Normalise** both sides with one parser (``keys.parts_of``): sub-building ("Flat 4A", "4a",
   "Flat 4 A" -> ``4A``), building name, number, street (abbreviations expanded), postcode.
2. **Exact**: the same sub-building, building, number and street, and the same postcode, at exactly
   one UPRN: score 1.
3. **Scored**: otherwise every candidate that shares the postcode, the number and street, the
   building and street, or a street spelt alike (Jaro-Winkler >= ``STREET_SIMILAR``) in the same
   postcode district is scored field by field (``field_score``) and the weighted sum taken. A
   candidate barely ahead of the next one is not trusted: the score is scaled down by how little
   separates them (``AMBIGUITY_GAP``), so "10 Murphy Avenue" sent without its flat, in a building
   with no entry of its own, goes to the data quality officer rather than to a guessed flat.

``score >= threshold``: resolved; ``UNRESOLVED_BELOW <= score < threshold``: the officer's queue;
below, or no candidate: unresolved (the address is kept as sent). Pure Python, no database access.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from jellyfish import damerau_levenshtein_distance, jaro_winkler_similarity

from .keys import Parts

WEIGHTS = {"sub": 0.25, "number": 0.25, "building": 0.10, "street": 0.25, "postcode": 0.15}
STREET_SIMILAR = 0.88  # Jaro-Winkler of two street names for the second to be a candidate
AMBIGUITY_GAP = 0.10  # a lead over the next UPRN smaller than this scales the score down
UNRESOLVED_BELOW = 0.5
MAX_CANDIDATES = 5  # kept for the officer's page


@dataclass(frozen=True, slots=True)
class Entry:
    uprn: str
    parent: str
    parts: Parts


@dataclass(frozen=True, slots=True)
class Match:
    uprn: str  # best candidate, "" when none
    score: float
    exact: bool
    candidates: tuple[tuple[str, float], ...]  # (uprn, raw score), best first


def _sub_score(sent: str, known: str) -> float:
    if sent == known:
        return 1.0
    if not sent:  # the flat was left out: the building's own entry, if the gazetteer has one, scores higher
        return 0.3
    if not known:
        return 0.2
    if sent.rstrip("ABCDEFGH") == known.rstrip("ABCDEFGH"):  # "4" for "4A": another flat, but near
        return 0.1
    return 0.0


def _number_score(sent: str, known: str) -> float:
    if sent == known:
        return 1.0
    return 0.3 if not sent or not known else 0.0


def _postcode_score(sent: Parts, known: Parts) -> float:
    if not sent.postcode:
        return 0.6  # missing: neither for nor against
    if sent.postcode == known.postcode:
        return 1.0
    if known.postcode and damerau_levenshtein_distance(sent.postcode, known.postcode) == 1:
        return 0.8  # one slip of the keyboard
    if sent.sector == known.sector:
        return 0.6
    if sent.district == known.district:
        return 0.4
    return 0.0


def field_score(sent: Parts, known: Parts) -> float:
    """Weighted agreement of two addresses' parts, 0 to 1."""
    building = 1.0 if sent.building == known.building else (
        jaro_winkler_similarity(sent.building, known.building) if sent.building and known.building else 0.3)
    street = 1.0 if sent.street == known.street else (
        jaro_winkler_similarity(sent.street, known.street) if sent.street and known.street else 0.0)
    return (WEIGHTS["sub"] * _sub_score(sent.sub, known.sub) + WEIGHTS["number"] * _number_score(sent.number, known.number)
            + WEIGHTS["building"] * building + WEIGHTS["street"] * street
            + WEIGHTS["postcode"] * _postcode_score(sent, known))


class Matcher:
    """The gazetteer, indexed for candidate look-up."""

    def __init__(self, entries: list[Entry]):
        self.entries = {e.uprn: e for e in entries}
        self._by_key_postcode: dict[tuple, list[Entry]] = defaultdict(list)
        self._by_postcode: dict[str, list[Entry]] = defaultdict(list)
        self._by_number_street: dict[tuple, list[Entry]] = defaultdict(list)
        self._by_building_street: dict[tuple, list[Entry]] = defaultdict(list)
        self._streets: dict[str, set[str]] = defaultdict(set)  # district -> street names
        for e in entries:
            p = e.parts
            self._by_key_postcode[(p.key, p.postcode)].append(e)
            if p.postcode:
                self._by_postcode[p.postcode].append(e)
            if p.number:
                self._by_number_street[(p.number, p.street)].append(e)
            if p.building:
                self._by_building_street[(p.building, p.street)].append(e)
            self._streets[p.district].add(p.street)
            self._streets[""].add(p.street)

    def _candidates(self, sent: Parts) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        streets = {sent.street}
        if sent.street and sent.street not in self._streets[sent.district or ""]:
            streets |= {s for s in self._streets[sent.district or ""]
                        if jaro_winkler_similarity(sent.street, s) >= STREET_SIMILAR}
        for street in streets:
            if sent.number:
                found.update((e.uprn, e) for e in self._by_number_street.get((sent.number, street), ()))
            if sent.building:
                found.update((e.uprn, e) for e in self._by_building_street.get((sent.building, street), ()))
        if sent.postcode:
            found.update((e.uprn, e) for e in self._by_postcode.get(sent.postcode, ()))
        return found

    def match(self, sent: Parts) -> Match:
        exact = self._by_key_postcode.get((sent.key, sent.postcode)) if sent.postcode else None
        if exact and len(exact) == 1:
            return Match(exact[0].uprn, 1.0, True, ((exact[0].uprn, 1.0),))
        scored = sorted(((round(field_score(sent, e.parts), 4), e.uprn) for e in self._candidates(sent).values()),
                        reverse=True)
        if not scored:
            return Match("", 0.0, False, ())
        best, uprn = scored[0]
        gap = best - scored[1][0] if len(scored) > 1 else 1.0
        score = best * min(1.0, 0.5 + 0.5 * gap / AMBIGUITY_GAP)
        return Match(uprn, round(score, 4), False, tuple((u, s) for s, u in scored[:MAX_CANDIDATES]))
