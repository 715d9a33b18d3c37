"""The pure normalisation functions shared by import and matching: postcodes, addresses.

Names, identifiers and dates are tested in tests/common/.
"""

from __future__ import annotations

import pytest

from apps.sources import normalise as n


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("bs1 4dj", "BS1 4DJ"), ("BS14DJ", "BS1 4DJ"), (" bs1   4dj ", "BS1 4DJ"), ("BS16 1QY", "BS16 1QY"),
     ("EC1A 1BB", "EC1A 1BB"), ("W1A0AX", "W1A 0AX"), ("M1 1AE", "M1 1AE"), ("GIR 0AA", "GIR 0AA")],
)
def test_postcode_normalise(raw, expected):
    assert n.postcode_normalise(raw) == expected


@pytest.mark.parametrize("raw", ["BS1", "BS1 4D", "1BS 4DJ", "BS1 4CJ", "BS1-4DJ!", "BRISTOL"])
def test_postcode_rejects_non_uk_shapes(raw):
    with pytest.raises(ValueError, match="not a UK postcode"):
        n.postcode_normalise(raw)


@pytest.mark.parametrize(
    "spelling",
    ["Flat 4a, 12 High St", "4A 12 High Street", "FLAT 4A 12 HIGH STREET", "flat 4a, 12, high st.", "Apartment 4A, 12 High St, Bristol, BS1 4DJ"],
)
def test_address_spellings_agree(spelling):
    assert n.address_key(spelling, "BS1 4DJ") == "4A||12|HIGH STREET|BS1 4DJ"


def test_address_parts():
    parts = n.address_parse("Rose Cottage, 3 Mill Ln, Bishopsworth, Bristol")
    assert parts == n.AddressParts(building_name="ROSE COTTAGE", building_number="3", street="MILL LANE", locality="BISHOPSWORTH", town="BRISTOL")
    assert n.address_parse("Flat 2, Castle House, Castle St") == n.AddressParts(
        sub_building="2", building_name="CASTLE HOUSE", street="CASTLE STREET"
    )
    assert n.address_parse("12a St Pauls Rd").street == "SAINT PAULS ROAD"


def test_different_flats_do_not_agree():
    assert n.address_key("Flat 4a, 12 High St") != n.address_key("Flat 4, 12 High St")
    assert n.address_key("12 High St") != n.address_key("14 High St")


def test_blank_address_has_no_key():
    assert n.address_key("  ", "BS1 4DJ") == ""
