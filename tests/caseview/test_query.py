from datetime import date

import pytest

from apps.caseview.query import parse_query

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12/03/2011", date(2011, 3, 12)),
        ("12-03-2011", date(2011, 3, 12)),
        ("12.3.11", date(2011, 3, 12)),
        ("12 Mar 2011", date(2011, 3, 12)),
        ("12th March 2011", date(2011, 3, 12)),
        ("2011-03-12", date(2011, 3, 12)),
    ],
)
def test_dates_in_the_formats_people_type(raw, expected):
    assert parse_query(raw, today=TODAY).dob == expected


def test_year_alone_is_a_birth_year():
    q = parse_query("Smith 2011", today=TODAY)
    assert q.dob is None and q.dob_year == 2011 and q.names == ["SMITH"]


def test_impossible_date_is_not_a_date():
    q = parse_query("31/02/2011", today=TODAY)
    assert q.dob is None


def test_names_are_normalised_keeping_order():
    assert parse_query("  o'brien-smith   Jack ").names == ["OBRIEN", "SMITH", "JACK"]


@pytest.mark.parametrize(
    "raw, attr, value",
    [
        ("943 476 5919", "nhs_number", "9434765919"),
        ("A123456789012", "upn", "A123456789012"),
        ("JG 10 37 59 A", "ni_number", "JG103759A"),
        ("F000123", "family_reference", "F000123"),
        ("ASC-000123", "source_key", "ASC-000123"),
        ("bs5 6ab", "postcode", "BS5 6AB"),
        ("BS5", "postcode", "BS5"),
    ],
)
def test_identifiers_postcodes_and_references(raw, attr, value):
    assert getattr(parse_query(raw, today=TODAY), attr) == value


def test_age_ranges():
    q = parse_query("Smith age 10-14", today=TODAY)
    assert (q.age_min, q.age_max, q.names) == (10, 14, ["SMITH"])
    q = parse_query("aged 7", today=TODAY)
    assert (q.age_min, q.age_max) == (7, 7)


def test_house_number_and_street_is_an_address():
    q = parse_query("12 High Street", today=TODAY)
    assert q.address_words == "12 HIGH STREET" and q.names == []


def test_describe_says_what_was_searched():
    q = parse_query("Bill Smith 12/03/2011 BS5", today=TODAY)
    assert q.describe() == ["name “Bill Smith”", "date of birth 12 March 2011", "postcode BS5"]


def test_empty():
    assert parse_query("   ").is_empty
