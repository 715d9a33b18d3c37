"""Households on the gazetteer's UPRN: spellings of one flat are one home, flats are distinct, and a source that
leaves the flat out does not split a household."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from apps.caseview.selectors import address_timeline
from apps.gazetteer.models import AddressResolution
from apps.gazetteer.services import gazetteer_import
from apps.people.models import Address, AddressHistory, Family, FamilyMembership, Household
from tests.gazetteer.conftest import gazetteer_csv

from .conftest import person_of

PC = "BS5 6AB"
MUM = dict(forename="SARA", surname="OKAFOR", sex="F", date_of_birth="1985-05-05", postcode=PC)
SON = dict(forename="TOBI", surname="OKAFOR", sex="M", date_of_birth="2015-08-30", postcode=PC)
START = dict(date_from="2019-04-01")


@pytest.fixture
def load(import_extract):
    """``load(dataset, rows)``: ``import_extract`` with a source key per row."""
    return lambda code, rows: import_extract(code, [r | {"source_key": f"{code[:6]}-{i}"} for i, r in enumerate(rows)])


@pytest.fixture
def gazetteer(db):
    return gazetteer_import(path_or_file=io.BytesIO(gazetteer_csv()), filename="llpg.csv")


def _family(records) -> set[int]:
    return {person_of(r) for r in records}


def test_one_flat_in_two_spellings_is_one_address_one_household_and_no_conflict(gazetteer, load, run_match):
    ct = load("bcc-council-tax", [MUM | START | {"address": "Flat 4A, 10 Murphy Avenue, Easton"},
                                            SON | START | {"address": "Flat 4A, 10 Murphy Avenue, Easton"}])
    hb = load("bcc-housing-benefit", [MUM | START | {"address": "Flat 4 A, 10 Murphy Ave"},
                                                SON | START | {"address": "FLAT 4 A, 10 MURPHY AVE"}])
    assert ct[0].address_key != hb[0].address_key  # as sent, the two spellings are two addresses
    run_match()
    [address] = Address.objects.filter(spells__isnull=False).distinct()
    assert (address.uprn, address.sub_building, address.street) == ("102", "Flat 4A", "Murphy Avenue")
    [household] = Household.objects.all()
    assert set(FamilyMembership.objects.filter(family__household=household).values_list("person_id", flat=True)) == _family(ct)
    spells = list(AddressHistory.objects.filter(person_id=person_of(ct[0])))
    assert len(spells) == 2 and not any(entry.overlaps for entry in address_timeline(spells))


def test_without_a_gazetteer_the_two_spellings_stay_two_addresses(load, run_match):
    """The contrast: the test above fails without the gazetteer."""
    ct = load("bcc-council-tax", [MUM | START | {"address": "Flat 4A, 10 Murphy Avenue, Easton"}])
    load("bcc-housing-benefit", [MUM | START | {"address": "Flat 4 A, 10 Murphy Ave"}])
    run_match()
    spells = list(AddressHistory.objects.filter(person_id=person_of(ct[0])))
    assert len({s.address_id for s in spells}) == 2
    assert all(entry.overlaps for entry in address_timeline(spells))


def test_a_source_that_leaves_out_the_flat_does_not_split_the_household(gazetteer, load, run_match):
    ct = load("bcc-council-tax", [MUM | START | {"address": "Flat 4A, 10 Murphy Avenue"},
                                            SON | START | {"address": "Flat 4A, 10 Murphy Avenue"}])
    load("bcc-housing-benefit", [MUM | START | {"address": "10 Murphy Avenue, Easton"},
                                           SON | START | {"address": "10 Murphy Ave"}])
    run_match()
    assert set(Address.objects.filter(spells__isnull=False).values_list("uprn", flat=True)) == {"102"}
    assert Household.objects.count() == 1 and Family.objects.count() == 1
    assert set(FamilyMembership.objects.values_list("person_id", flat=True)) == _family(ct)


def test_two_flats_of_one_building_are_two_households(gazetteer, load, run_match):
    other = dict(forename="JANE", surname="MORRIS", sex="F", date_of_birth="1979-02-11", postcode=PC)
    child = dict(forename="AMY", surname="MORRIS", sex="F", date_of_birth="2016-03-03", postcode=PC)
    load("bcc-council-tax", [MUM | START | {"address": "Flat 4A, 10 Murphy Avenue"},
                                       SON | START | {"address": "4a, 10 Murphy Ave"},
                                       other | START | {"address": "Flat 4B, 10 Murphy Avenue"},
                                       child | START | {"address": "Flat 4, 10 Murphy Avenue"}])
    run_match()
    assert sorted(Household.objects.values_list("address__uprn", flat=True)) == ["101", "102", "103"]


def test_a_sent_uprn_in_the_gazetteer_is_used(gazetteer, load, run_match):
    [record] = load("bcc-council-tax", [MUM | START | {"address": "somewhere the parser cannot read",
                                                                 "uprn": "000000000300"}])
    run_match()
    assert AddressHistory.objects.get(person_id=person_of(record)).address.uprn == "300"


def test_a_low_score_waits_for_the_officer_and_is_kept_as_sent(gazetteer, load, run_match):
    [record] = load("bcc-council-tax", [MUM | START | {"address": "15 Murphy Avenue"}])
    run_match()
    resolution = AddressResolution.objects.get(address_key=record.address_key)
    assert resolution.status in (AddressResolution.Status.REVIEW, AddressResolution.Status.UNRESOLVED)
    address = AddressHistory.objects.get(person_id=person_of(record)).address
    assert address.address_key == record.address_key and address.uprn == ""


def test_the_officers_choice_is_followed_by_the_next_run(gazetteer, load, run_match, users):
    from apps.gazetteer.services import resolution_decide

    [record] = load("bcc-council-tax", [MUM | START | {"address": "15 Murphy Avenue"}])
    run_match()
    resolution = AddressResolution.objects.get(address_key=record.address_key)
    resolution_decide(resolution=resolution, decision="choose", uprn="110", user=users["key-worker"])
    run_match()
    assert AddressHistory.objects.get(person_id=person_of(record)).address.uprn == "110"
    assert Household.objects.get().date_from == dt.date(2019, 4, 1)
