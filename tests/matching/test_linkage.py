"""The model's decisions on the classic hard cases, through a full run."""

from __future__ import annotations

from apps.matching.models import ClericalPair

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


def test_parent_and_child_with_the_same_name_and_address_do_not_link(extract, run_match):
    father, son = extract("bcc-council-tax", [
        dict(forename="STEVEN", date_of_birth="1988-06-26", **SMITH),
        dict(forename="STEVEN", date_of_birth="2011-07-04", **SMITH),
    ])
    [school] = extract("dfe-school-census", [dict(forename="STEVEN", date_of_birth="2011-07-04", fact_type="enrolment", **SMITH)])
    run_match()
    assert person_of(father) != person_of(son)
    assert person_of(son) == person_of(school)


def test_a_shared_national_identifier_links_despite_a_wrong_date_of_birth(extract, run_match):
    [tax] = extract("bcc-council-tax", [dict(forename="LEON", date_of_birth="1975-03-02", nhs_number="9990000018", **SMITH)])
    [care] = extract("bcc-social-care", [dict(forename="LEON", date_of_birth="1957-03-02", nhs_number="9990000018",
                                              fact_type="open-to-families-in-focus-or-social-care", **SMITH)])
    run_match()
    assert person_of(tax) == person_of(care)


def test_a_date_of_birth_a_day_out_across_a_month_end_is_not_ruled_out(extract, run_match):
    """The guard lets a one-day keying slip through: the pair is linked or goes to a reviewer."""
    [tax] = extract("bcc-council-tax", [dict(forename="ISLA", surname="REID", sex="F", date_of_birth="2009-01-31",
                                             postcode="BS4 2AA", address="3 PARK ROAD")])
    [police] = extract("asc-missing-persons", [dict(forename="ISLA", surname="REID", sex="F", date_of_birth="2009-02-01",
                                                    postcode="BS4 2AA", address="3 PARK ROAD", fact_type="person-reported-missing")])
    run_match()
    queued = ClericalPair.objects.filter(record_low=min(tax.pk, police.pk), record_high=max(tax.pk, police.pk)).exists()
    assert queued or person_of(tax) == person_of(police)


def test_rows_of_one_agency_record_are_one_person_even_when_they_disagree(extract, run_match):
    """The same source key in one dataset is the agency's record of one person (docs/data-formats.md)."""
    first, later = extract("asc-offenders", [
        dict(source_key="ASC-000777", forename="KAREN", surname="DOYLE", sex="F", date_of_birth="1979-08-14",
             postcode="BS13 7AA", address="9 ELM WAY", fact_type="person-committed-offence"),
        dict(source_key="ASC-000777", forename="KAREN", surname="MURPHY", sex="F", date_of_birth=None,
             postcode="BS2 0ZZ", address="FLAT 1 40 STOKES CROFT", fact_type="person-committed-offence"),
    ])
    [stranger] = extract("bcc-council-tax", [dict(forename="KAREN", surname="MURPHY", sex="F", date_of_birth="1962-01-05",
                                                  postcode="BS2 0ZZ", address="FLAT 2 40 STOKES CROFT")])
    run_match()
    assert person_of(first) == person_of(later)
    assert person_of(stranger) != person_of(first)
