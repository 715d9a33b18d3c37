"""Address -> UPRN: spellings of one flat resolve to it; other flats, typos and missing parts behave."""

from __future__ import annotations

import pytest

from apps.gazetteer.keys import gazetteer_line, parts_of
from apps.gazetteer.matcher import Entry, Matcher

from .conftest import ROWS


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    entries = []
    for row in ROWS:
        uprn, parent, sub, building, number, street, locality, town, postcode, *_ = row.split(",")
        line = gazetteer_line(sub_building=sub, building_name=building, building_number=number, street=street,
                              locality=locality, town=town)
        entries.append(Entry(uprn, parent, parts_of(line, postcode)))
    return Matcher(entries)


@pytest.mark.parametrize("line", [
    "Flat 4A, 10 Murphy Avenue, Easton, Bristol", "4a, 10 Murphy Ave", "Flat 4 A, 10 Murphy Ave, Bristol",
    "FLAT 4A, 10 MURPHY AVENUE", "Apartment 4A, 10 Murphy Avenue", "flat 4a, 10 murphy avenue, bristol",
    "Flat 4-A, 10 Murphy Av",
])
def test_every_spelling_of_flat_4a_resolves_to_its_uprn(matcher, line):
    match = matcher.match(parts_of(line, "BS5 6AB"))
    assert (match.uprn, match.exact, match.score) == ("102", True, 1.0)


def test_flat_4_and_flat_4b_are_other_properties(matcher):
    assert matcher.match(parts_of("Flat 4, 10 Murphy Avenue", "BS5 6AB")).uprn == "101"
    assert matcher.match(parts_of("4B, 10 Murphy Ave", "BS5 6AB")).uprn == "103"


def test_the_building_without_a_flat_resolves_to_the_building_not_to_a_guessed_flat(matcher):
    match = matcher.match(parts_of("10 Murphy Avenue, Bristol", "BS5 6AB"))
    assert (match.uprn, match.exact) == ("100", True)


def test_a_postcode_typo_or_missing_postcode_still_finds_the_house_with_a_lower_score(matcher):
    typo = matcher.match(parts_of("12 Murphy Avenue", "BS5 6AP"))
    missing = matcher.match(parts_of("12 Murphy Ave", ""))
    assert typo.uprn == missing.uprn == "110"
    assert 0.85 <= typo.score < 1 and 0.85 <= missing.score < 1 and not typo.exact


def test_a_street_typo_is_scored_and_the_number_decides(matcher):
    match = matcher.match(parts_of("21 Murphey Avenue", "BS5 6AD"))
    assert match.uprn == "111" and match.score >= 0.85


def test_a_named_block_before_its_street(matcher):
    assert matcher.match(parts_of("Flat 2, Heron Court, Church Rd, Redland", "BS6 7UH")).uprn == "202"
    assert matcher.match(parts_of("2, Heron Ct, Church Road", "BS6 7UH")).uprn == "202"


def test_an_address_nowhere_in_the_gazetteer_has_no_good_candidate(matcher):
    match = matcher.match(parts_of("5 Nowhere Lane", "BS1 1AA"))
    assert match.uprn == "" or match.score < 0.5


def test_a_number_that_is_not_on_the_street_is_not_a_confident_match(matcher):
    match = matcher.match(parts_of("15 Murphy Avenue", "BS5 6AB"))
    assert match.score < 0.85
