"""The model's decisions on the classic hard cases, through a full run."""

from __future__ import annotations

from .conftest import person_of

SMITH = dict(surname="SMITH", sex="M", postcode="BS5 6XY", address="12 HIGH STREET")


def test_nickname_pair_links(extract, run_match):
    [tax] = extract("bcc-council-tax", [dict(forename="ROBERT", date_of_birth="1980-04-21", **SMITH)])
    [police] = extract("asc-offenders", [dict(forename="BOB", date_of_birth="1980-04-21", fact_type="person-committed-offence", **SMITH)])
    run_match()
    assert person_of(tax) is not None
    assert person_of(tax) == person_of(police)


def test_twins_with_same_surname_and_birthday_do_not_link(extract, run_match):
    a, b = extract("bcc-council-tax", [
        dict(forename="JACK", date_of_birth="2012-06-01", **SMITH),
        dict(forename="EMILY", date_of_birth="2012-06-01", **(SMITH | {"sex": "F"})),
    ])
    [c] = extract("asc-missing-persons", [dict(forename="EMILY", date_of_birth="2012-06-01", fact_type="person-reported-missing", **(SMITH | {"sex": "F"}))])
    run_match()
    assert person_of(a) != person_of(b)
    assert person_of(b) == person_of(c)


def test_twins_with_the_same_sex_do_not_link(extract, run_match):
    a, b = extract("bcc-council-tax", [
        dict(forename="OSCAR", date_of_birth="2012-06-01", **SMITH),
        dict(forename="HARVEY", date_of_birth="2012-06-01", **SMITH),
    ])
    run_match()
    assert person_of(a) != person_of(b)


def test_transposed_date_of_birth_links(extract, run_match):
    [tax] = extract("bcc-council-tax", [dict(forename="AMIRA", surname="KHAN", sex="F", date_of_birth="1990-03-07",
                                             postcode="BS1 1AA", address="FLAT 2 10 KING STREET")])
    [police] = extract("asc-offenders", [dict(forename="AMIRA", surname="KHAN", sex="F", date_of_birth="1990-07-03",
                                              postcode="BS1 1AA", address="FLAT 2 10 KING STREET", fact_type="person-committed-offence")])
    run_match()
    assert person_of(tax) == person_of(police)


def test_strangers_stay_apart(extract, run_match):
    a, b = extract("bcc-council-tax", [
        dict(forename="JOHN", surname="EVANS", sex="M", date_of_birth="1971-01-30", postcode="BS3 1AA", address="1 A ROAD"),
        dict(forename="MARY", surname="PATEL", sex="F", date_of_birth="1985-11-02", postcode="BS9 2ZZ", address="7 B LANE"),
    ])
    run_match()
    assert person_of(a) != person_of(b)
