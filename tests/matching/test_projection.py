"""Households and families from address spells: co-residence over overlapping periods."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from apps.people.models import Family, FamilyMembership, Household
from apps.sources.models import SourceRecord

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


# --- the lead professional, from the early-help extract -------------------------------------------


def _household(surname: str, postcode: str, address: str) -> dict[str, dict]:
    """A mother and a child at one address (council tax): one family."""
    home = {"surname": surname, "postcode": postcode, "address": address, "date_from": "2020-01-01"}
    people = {
        "mum": {"source_key": f"CT-{surname}-1", "forename": "SARA", "sex": "F", "date_of_birth": "1985-05-05"} | home,
        "child": {"source_key": f"CT-{surname}-2", "forename": "TOBI", "sex": "M", "date_of_birth": "2015-08-30"} | home,
    }
    return people


def _episode(person: dict, key: str, started: str, lead: str, closed: str = "") -> dict:
    """An early-help episode row (``closed_on`` in the extract's dd/mm/yyyy)."""
    identity = {k: person[k] for k in ("forename", "surname", "sex", "date_of_birth", "postcode", "address")}
    return identity | {"source_key": key, "event_date": started, "reference": f"EH-{key}", "lead_professional": lead,
                       "closed_on": closed}


def test_families_with_an_open_early_help_episode_show_its_lead_professional(import_extract, run_match, client_as):
    from apps.indicators.services import indicators_refresh

    okafor = _household("OKAFOR", "BS5 0AA", "9 CHURCH ROAD")
    brown = _household("BROWN", "BS6 1ZZ", "4 MILL LANE")
    lane = _household("LANE", "BS7 2YY", "12 HIGH STREET")
    import_extract("bcc-council-tax", [*okafor.values(), *brown.values(), *lane.values()])
    import_extract("ehm-episodes", [
        # Okafor: an older episode, then a newer one for the child: the newer one leads
        _episode(okafor["mum"], "EH1", "2023-02-01", "Claire Mackey (Families in Focus)"),
        _episode(okafor["child"], "EH2", "2024-06-03", "Dev Patel (Early Help)"),
        # Brown: the only episode is closed
        _episode(brown["mum"], "EH3", "2022-01-10", "Jo Hart (Youth Service)", closed="30/09/2022"),
    ])
    run_match()
    indicators_refresh()

    families = {f.household.address.postcode: f for f in Family.objects.select_related("household__address")}
    assert families["BS5 0AA"].lead_professional == "Dev Patel (Early Help)"
    assert [e["name"] for e in families["BS5 0AA"].lead_professionals] == [
        "Dev Patel (Early Help)", "Claire Mackey (Families in Focus)"]
    assert families["BS6 1ZZ"].lead_professional == "" and families["BS6 1ZZ"].lead_professionals == []
    assert families["BS7 2YY"].lead_professional == ""

    client = client_as("key-worker")
    page = client.get(reverse("caseview:family", args=[families["BS5 0AA"].pk])).content.decode()
    assert "Dev Patel (Early Help)" in page
    for postcode in ("BS6 1ZZ", "BS7 2YY"):
        page = client.get(reverse("caseview:family", args=[families[postcode].pk])).content.decode()
        assert "None assigned" in page and "Jo Hart" not in page

    # the same again (a second projection) gives the same answer
    run_match()
    assert Family.objects.get(pk=families["BS5 0AA"].pk).lead_professional == "Dev Patel (Early Help)"


def test_the_lead_professional_follows_the_readers_sections_and_restrictions(import_extract, run_match, users):
    from apps.accounts.access import Viewer, access_for
    from apps.caseview.selectors import family_lead_professional
    from apps.people.models import Person, PersonUserObjectPermission

    okafor = _household("OKAFOR", "BS5 0AA", "9 CHURCH ROAD")
    import_extract("bcc-council-tax", list(okafor.values()))
    import_extract("ehm-episodes", [
        _episode(okafor["mum"], "EH1", "2023-02-01", "Claire Mackey (Families in Focus)"),
        _episode(okafor["child"], "EH2", "2024-06-03", "Dev Patel (Early Help)"),
    ])
    run_match()
    family = Family.objects.get()
    child = SourceRecord.objects.get(source_key="CT-OKAFOR-2").person
    key_worker, named = users["key-worker"], users["social-worker"]

    def seen_by(user):
        family.refresh_from_db()
        return family_lead_professional(viewer=Viewer.for_user(user), family=family)

    assert seen_by(key_worker) == "Dev Patel (Early Help)"
    Person.objects.filter(pk=child.pk).update(is_restricted=True)
    PersonUserObjectPermission.objects.create(user=named, content_object=child, permission=_view_restricted_person())
    # a reader not named on the restricted child gets the answer as if the child's episode did not exist
    assert seen_by(key_worker) == "Claire Mackey (Families in Focus)"
    assert seen_by(named) == "Dev Patel (Early Help)"
    run_match()  # re-projected: the unfiltered field no longer names the restricted child's episode
    assert Family.objects.get().lead_professional == "Claire Mackey (Families in Focus)"
    # a role without the early-help section sees none
    from dataclasses import replace

    access = access_for(key_worker)
    blind = replace(access, sections=access.sections - {"service-involvement"})
    assert family_lead_professional(viewer=Viewer(user=key_worker, access=blind), family=family) == ""


def _view_restricted_person():
    from django.contrib.auth.models import Permission

    return Permission.objects.get(codename="view_restricted_person")


# --- the facts the refresh and the risk models read ----------------------------------------------

MAYA = {"forename": "MAYA", "surname": "ROSS", "sex": "F", "date_of_birth": "2008-02-14", "postcode": "BS5 0AA",
        "address": "9 CHURCH ROAD"}


def _neet(key: str, day: str, activity: str) -> dict:
    return MAYA | {"source_key": key, "event_date": day, "reference": f"NT-{key}", "activity": activity}


def _exclusion(key: str, day: str, kind: str) -> dict:
    return MAYA | {"source_key": key, "school_urn": "100001", "school_name": "Hillfields Academy", "exclusion_type": kind,
                   "start_date": day, "sessions": "4", "reason": "PA"}


def test_each_fact_the_refresh_reads_is_projected_from_its_source_row(import_extract, run_match):
    from apps.indicators.models import PersonIndicator
    from apps.indicators.services import indicators_refresh
    from apps.people.models import ChildBirth, CustodySpell, ExploitationFlag, NeetStatus
    from apps.schools.models import Exclusion

    [birth] = import_extract("bcc-maternity-births", [MAYA | {"source_key": "MB1", "event_date": "2025-01-05",
                                                              "reference": "MB-1"}])
    [neet] = import_extract("bcc-neet-tracking", [_neet("NT1", "2025-02-10", "NEET")])
    [custody] = import_extract("asc-custody-releases", [MAYA | {  # the police extract writes dd/mm/yyyy
        "source_key": "CR1", "custody_start": "01/05/2024", "expected_release": "01/03/2026", "establishment": "HMP Eastwood Park"}])
    [flag] = import_extract("asc-exploitation-flags", [MAYA | {"source_key": "EF1", "event_type": "county-lines-link",
                                                               "event_date": "2024-10-01", "reference": "EF-1"}])
    [exclusion] = import_extract("dfe-exclusions", [_exclusion("EX1", "2024-11-05", "PERMANENT")])
    run_match()
    maya = person_of(birth)
    assert {person_of(r) for r in (neet, custody, flag, exclusion)} == {maya}

    assert list(ChildBirth.objects.values_list("person_id", "born_on", "source_record_id")) == [
        (maya, dt.date(2025, 1, 5), birth.pk)]
    assert list(NeetStatus.objects.values_list("person_id", "recorded_on", "activity", "source_record_id")) == [
        (maya, dt.date(2025, 2, 10), "NEET", neet.pk)]
    assert list(CustodySpell.objects.values_list(
        "person_id", "started_on", "expected_release", "establishment", "source_record_id")) == [
        (maya, dt.date(2024, 5, 1), dt.date(2026, 3, 1), "HMP Eastwood Park", custody.pk)]
    assert list(ExploitationFlag.objects.values_list("person_id", "kind", "flagged_on", "source_record_id")) == [
        (maya, "county-lines-link", dt.date(2024, 10, 1), flag.pk)]
    assert list(Exclusion.objects.values_list("person_id", "kind", "start_date", "sessions", "source_record_id")) == [
        (maya, "permanent", dt.date(2024, 11, 5), 4, exclusion.pk)]

    # the refresh reads them, and each indicator's supporting record is the row its fact came from
    indicators_refresh(as_of=dt.date(2025, 3, 1))
    supported = {
        i.definition.code: [r.pk for r in i.source_records.all()]
        for i in PersonIndicator.objects.filter(person_id=maya, definition__kind="derived").select_related("definition")
    }
    assert supported == {"teenage-parent": [birth.pk], "child-neet": [neet.pk],
                         "prisoner-12-months-from-release": [custody.pk], "child-permanently-excluded": [exclusion.pk]}


def test_a_newer_extract_replaces_the_facts_projected_from_the_rows_it_replaces(import_extract, run_match):
    from apps.people.models import NeetStatus
    from apps.schools.models import Exclusion

    [old_status] = import_extract("bcc-neet-tracking", [_neet("NT1", "2025-02-10", "NEET")])
    [old_exclusion] = import_extract("dfe-exclusions", [_exclusion("EX1", "2024-11-05", "FIXED")])
    run_match()
    maya = person_of(old_status)
    assert NeetStatus.objects.get().source_record_id == old_status.pk

    [status] = import_extract("bcc-neet-tracking", [_neet("NT1", "2025-03-20", "EET")])
    # the replaced row's fact went with it, as the row did; the new row's fact waits for matching to link it
    assert not NeetStatus.objects.exists()
    run_match("bcc-neet-tracking")
    assert list(NeetStatus.objects.values_list("person_id", "recorded_on", "activity", "source_record_id")) == [
        (maya, dt.date(2025, 3, 20), "EET", status.pk)]

    [exclusion] = import_extract("dfe-exclusions", [_exclusion("EX1", "2025-01-10", "PERMANENT")])
    # a school record stays until its person is projected again; only its link to the replaced row goes
    assert list(Exclusion.objects.values_list("kind", "source_record_id")) == [("fixed", None)]
    assert not SourceRecord.objects.filter(pk=old_exclusion.pk).exists()
    run_match("dfe-exclusions")
    assert list(Exclusion.objects.values_list("person_id", "kind", "start_date", "source_record_id")) == [
        (maya, "permanent", dt.date(2025, 1, 10), exclusion.pk)]


def test_only_the_current_extract_of_each_dataset_holds_rows(import_extract, tmp_path):
    """Why projection reads source rows without asking which batch is current: a load replaces the dataset's
    rows in the transaction that makes its batch current, and a refused or duplicate load writes none."""
    from apps.sources.models import Dataset, ImportBatch
    from apps.sources.services import import_batch_load

    def only_current_batches_hold_rows():
        holding = set(SourceRecord.objects.values_list("batch_id", flat=True).distinct())
        return holding == set(ImportBatch.objects.filter(is_current=True).values_list("pk", flat=True))

    dataset = Dataset.objects.get(code="bcc-neet-tracking")
    first = [_neet("NT1", "2025-02-10", "NEET"), _neet("NT2", "2025-02-11", "EET")]
    import_extract("bcc-neet-tracking", first)
    import_extract("asc-exploitation-flags", [MAYA | {"source_key": "EF1", "event_date": "2024-10-01"}])
    import_extract("bcc-neet-tracking", [_neet("NT3", "2025-03-20", "EET")])  # a newer extract
    assert only_current_batches_hold_rows()
    assert list(SourceRecord.objects.filter(dataset=dataset).values_list("source_key", flat=True)) == ["NT3"]

    refused = tmp_path / "refused.csv"
    refused.write_text("source_key,surname\nNT4,ROSS\n", encoding="utf-8")
    assert import_batch_load(dataset=dataset, path_or_file=refused).status == ImportBatch.Status.FAILED
    again = import_batch_load(dataset=dataset, path_or_file=tmp_path / "bcc-neet-tracking-3.csv")
    assert again.status == ImportBatch.Status.DUPLICATE
    assert only_current_batches_hold_rows()

    # the first extract made current again: loaded again, replacing the newer one's rows
    reinstated = import_batch_load(dataset=dataset, path_or_file=tmp_path / "bcc-neet-tracking-1.csv",
                                   make_current_again=True)
    assert reinstated.status == ImportBatch.Status.LOADED and reinstated.is_current
    assert only_current_batches_hold_rows()
    assert sorted(SourceRecord.objects.filter(dataset=dataset).values_list("source_key", flat=True)) == ["NT1", "NT2"]
