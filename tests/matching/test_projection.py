"""Households and families from address spells: co-residence over overlapping periods."""

from __future__ import annotations

import datetime as dt

from apps.people.models import Family, FamilyMembership, Household

from .conftest import person_of

HOME = dict(postcode="BS5 0AA", address="9 CHURCH ROAD")
MUM = dict(forename="SARA", surname="OKAFOR", sex="F", date_of_birth="1985-05-05") | HOME
SON = dict(forename="TOBI", surname="OKAFOR", sex="M", date_of_birth="2015-08-30") | HOME


def _stay(start: dt.date, end: dt.date | None = None) -> dict:
    return {"fact_date": start, "fact": {"date_to": end.isoformat() if end else None}}


def test_sources_disagreeing_on_the_move_in_date_make_one_household(extract, run_match):
    mum, son = extract("bcc-council-tax", [MUM | _stay(dt.date(2019, 4, 1)), SON | _stay(dt.date(2019, 4, 1))])
    extract("bcc-housing-benefit", [MUM | _stay(dt.date(2019, 6, 17)), SON | _stay(dt.date(2019, 7, 1))])
    run_match()
    assert Household.objects.count() == 1
    family = Family.objects.get()
    members = dict(FamilyMembership.objects.filter(family=family).values_list("person_id", "role"))
    assert members == {person_of(mum): "parent", person_of(son): "child"}


def test_a_child_born_into_a_household_joins_it_and_a_partner_leaving_does_not_split_it(extract, run_match):
    dad = dict(forename="DAVID", surname="OKAFOR", sex="M", date_of_birth="1983-01-20") | HOME
    mum, partner, son = extract("bcc-council-tax", [
        MUM | _stay(dt.date(2012, 3, 1)),
        dad | _stay(dt.date(2012, 3, 1), dt.date(2022, 9, 30)),
        SON | _stay(dt.date(2015, 8, 30)),
    ])
    run_match()
    [household] = Household.objects.all()
    assert (household.date_from, household.date_to) == (dt.date(2012, 3, 1), None)
    spells = {p: (start, end) for p, start, end in FamilyMembership.objects.values_list("person_id", "date_from", "date_to")}
    assert spells[person_of(partner)] == (dt.date(2012, 3, 1), dt.date(2022, 9, 30))
    assert spells[person_of(son)] == (dt.date(2015, 8, 30), None)
    assert spells[person_of(mum)] == (dt.date(2012, 3, 1), None)


def test_people_at_one_address_at_different_times_are_different_households(extract, run_match):
    tenant = dict(forename="OLIVE", surname="BRANCH", sex="F", date_of_birth="1950-02-02") | HOME
    extract("bcc-council-tax", [tenant | _stay(dt.date(2001, 1, 1), dt.date(2018, 12, 31)),
                                MUM | _stay(dt.date(2019, 4, 1)), SON | _stay(dt.date(2019, 4, 1))])
    run_match()
    assert Household.objects.count() == 2
    assert Family.objects.count() == 1  # the earlier household has no child


def test_a_stale_open_spell_ends_when_the_person_moves_elsewhere(extract, run_match):
    """A source that never heard of the move does not keep the mother in her old household."""
    lodger = dict(forename="PAUL", surname="GREEN", sex="M", date_of_birth="1970-10-10") | HOME
    mum = MUM | {"nhs_number": "9990000026"}
    new_home = {"postcode": "BS6 1ZZ", "address": "4 NEW STREET"}
    [old_record, _] = extract("bcc-council-tax", [mum | _stay(dt.date(2015, 1, 1)), lodger | _stay(dt.date(2021, 5, 1))])
    [new_record, _] = extract("bcc-housing-benefit", [mum | new_home | _stay(dt.date(2020, 2, 1)),
                                                      SON | new_home | _stay(dt.date(2020, 2, 1))])
    run_match()
    assert person_of(old_record) == person_of(new_record)
    households = sorted((h.address.postcode, h.date_from, h.date_to) for h in Household.objects.select_related("address"))
    assert households == [
        ("BS5 0AA", dt.date(2015, 1, 1), dt.date(2020, 1, 31)),  # the mother alone, until she moved
        ("BS5 0AA", dt.date(2021, 5, 1), None),  # the lodger, who moved in later
        ("BS6 1ZZ", dt.date(2020, 2, 1), None),
    ]
    assert list(Family.objects.values_list("household__address__postcode", flat=True)) == ["BS6 1ZZ"]


def test_projecting_one_person_at_a_time_gives_the_same_golden_records(extract, run_match):
    from apps.matching.projection import project
    from apps.people.models import AddressHistory, Person, PersonAlias

    extract("bcc-council-tax", [MUM | _stay(dt.date(2012, 3, 1)), SON | _stay(dt.date(2015, 8, 30))])
    extract("bcc-housing-benefit", [MUM | {"forename": "SARAH"} | _stay(dt.date(2012, 5, 1)), SON | _stay(dt.date(2016, 1, 1))])

    def snapshot():
        return (
            sorted(Person.objects.values_list("pk", "forename", "surname", "date_of_birth", "current_address__address_key")),
            sorted(PersonAlias.objects.values_list("person_id", "forename", "surname")),
            sorted(AddressHistory.objects.values_list("person_id", "address__address_key", "date_from")),
            sorted(FamilyMembership.objects.values_list("family__reference", "person_id", "role", "date_from")),
        )

    run_match()
    whole = snapshot()
    assert len(whole[0]) == 2 and whole[1] and len(whole[3]) == 2
    counts = project(person_ids=None, chunk_persons=1)
    assert counts["projected_persons"] == 2
    assert snapshot() == whole
