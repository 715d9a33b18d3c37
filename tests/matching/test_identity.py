"""Person ids across runs, merges and splits, and reviewers' decisions binding later runs."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.audit.models import AuditEvent
from apps.matching import services
from apps.matching.clustering import assign_person_ids, cluster, dates_of_birth_compatible
from apps.matching.models import ClericalPair, MatchRun, PersonIdEvent, ReviewDecision
from apps.people.models import Person

from .conftest import person_of

ANNA = dict(forename="ANNA", surname="NOWAK", sex="F", date_of_birth="1988-09-14", postcode="BS4 2AB", address="3 ELM ROAD")
LEE = dict(forename="LEE", surname="JONES", sex="M", date_of_birth="1975-02-11", postcode="BS7 8CD", address="40 OAK AVENUE")


def _decide(user, low, high, outcome):
    run = MatchRun.objects.order_by("-pk").first()
    low, high = sorted((low, high), key=lambda r: r.pk)
    pair, _ = ClericalPair.objects.get_or_create(
        record_low=low, record_high=high, defaults={"run": run, "match_probability": 0.5}
    )
    return services.review_decision_record(pair=pair, outcome=outcome, user=user, score_shown=False)


def test_ids_are_stable_across_a_rerun(extract, run_match):
    records = extract("bcc-council-tax", [ANNA, LEE])
    run_match()
    first = [person_of(r) for r in records]
    run_match()
    assert [person_of(r) for r in records] == first
    assert Person.objects.count() == 2
    assert not PersonIdEvent.objects.exists()


def test_ids_are_stable_across_an_added_extract_linked_incrementally(extract, run_match):
    tax = extract("bcc-council-tax", [ANNA, LEE])
    run_match()
    before = [person_of(r) for r in tax]
    anna_police, stranger = extract("asc-offenders", [
        ANNA | {"fact_type": "person-committed-offence"},
        dict(forename="ZOE", surname="BRAMBLE", sex="F", date_of_birth="2001-12-25", postcode="BS2 9QQ", address="5 MILL LANE"),
    ])
    run = run_match("asc-offenders")
    assert run.counts["linked_to_existing"] == 1
    assert [person_of(r) for r in tax] == before
    assert person_of(anna_police) == before[0]
    assert person_of(stranger) not in before and person_of(stranger) is not None
    # a full re-run afterwards keeps every id
    run_match()
    assert [person_of(r) for r in tax] == before
    assert person_of(anna_police) == before[0]


def test_review_decisions_override_the_model_and_a_merge_and_split_are_recorded(extract, run_match, users):
    reviewer = users["data-custodian"]
    anna, lee = extract("bcc-council-tax", [ANNA, LEE])
    [anna_police] = extract("asc-offenders", [ANNA | {"fact_type": "person-committed-offence", "address": "3 ELM RD"}])
    run_match()
    anna_id, lee_id = person_of(anna), person_of(lee)
    assert person_of(anna_police) == anna_id

    # "same person" joins two records the model keeps apart: Lee's person merges into Anna's (or back)
    _decide(reviewer, anna, lee, ReviewDecision.Outcome.MATCH)
    run = run_match()
    assert person_of(anna) == person_of(lee) == anna_id
    merge = PersonIdEvent.objects.get(run=run, kind=PersonIdEvent.Kind.MERGE)
    assert (merge.from_person_id, merge.to_person_id) == (lee_id, anna_id)
    assert Person.objects.get(pk=lee_id).merged_into_id == anna_id

    # "not the same person" separates two records the model links: the police record splits off
    _decide(reviewer, anna, anna_police, ReviewDecision.Outcome.NOT_MATCH)
    run = run_match()
    assert person_of(anna) == anna_id
    assert person_of(anna_police) != anna_id
    split = PersonIdEvent.objects.get(run=run, kind=PersonIdEvent.Kind.SPLIT)
    assert split.from_person_id == anna_id and split.to_person_id == person_of(anna_police)


def test_a_decided_pair_never_returns_and_the_decision_is_audited(extract, run_match, users):
    a, b = extract("bcc-council-tax", [ANNA, ANNA | {"forename": "ANA", "date_of_birth": "1988-09-15", "address": "3 ELM RD"}])
    run_match()
    assert ClericalPair.objects.filter(record_low=a, record_high=b).exists()  # the grey zone went to review
    decision = _decide(users["data-custodian"], a, b, ReviewDecision.Outcome.NOT_SURE)
    assert not ClericalPair.objects.exists()
    assert AuditEvent.objects.filter(action="match_decision", subject_id=f"{min(a.pk, b.pk)}-{max(a.pk, b.pk)}").exists()
    run_match()
    assert not ClericalPair.objects.filter(record_low=decision.record_low, record_high=decision.record_high).exists()
    with pytest.raises(services.MatchingError):
        _decide(users["data-custodian"], a, b, ReviewDecision.Outcome.MATCH)


def test_cannot_link_holds_against_a_chain_of_links():
    # 1-2 and 2-3 are strong links, but a reviewer said 1 and 3 are different people
    result = cluster([1, 2, 3], [(1, 2, 0.999), (2, 3, 0.995)], cannot_link=[(1, 3)])
    assert result[1] == result[2] != result[3]


def test_a_record_without_a_date_of_birth_does_not_chain_a_parent_and_child():
    # 1 is the father (1988), 2 his son of the same name (2011), 3 a record of the son without a date of birth
    dobs = {1: dt.date(1988, 6, 26), 2: dt.date(2011, 7, 4), 3: None}
    result = cluster([1, 2, 3], [(2, 3, 0.999), (1, 3, 0.995)], dates_of_birth=dobs)
    assert result[2] == result[3] != result[1]


def test_dates_one_keying_slip_apart_still_cluster():
    dobs = {1: dt.date(2009, 1, 31), 2: dt.date(2009, 2, 1), 3: dt.date(2009, 1, 13), 4: dt.date(2010, 1, 31)}
    result = cluster([1, 2, 3, 4], [(1, 2, 0.999), (1, 3, 0.999), (1, 4, 0.999)], dates_of_birth=dobs)
    assert len(set(result.values())) == 1
    assert dates_of_birth_compatible(dt.date(2009, 3, 7), dt.date(2009, 7, 3))
    assert not dates_of_birth_compatible(dt.date(1988, 6, 26), dt.date(2011, 7, 4))


def test_a_new_cluster_takes_the_id_of_the_person_it_overlaps_most():
    # records 1-3 were person 10, 4 was person 20; now 1,2,4 form cluster A and 3 is alone
    assignment = assign_person_ids({1: 1, 2: 1, 4: 1, 3: 3}, {1: 10, 2: 10, 3: 10, 4: 20})
    assert assignment.person_for_cluster == {1: 10}
    assert assignment.new_clusters == [3]
    assert assignment.merges == [(20, 1, 1)]
    assert assignment.splits == [(10, 3, 1)]


def test_new_persons_are_issued_in_one_insert_with_distinct_ids(db):
    from apps.common.bulk import insert_copies

    ids = insert_copies(Person, Person(forename="", surname=""), 3)
    assert len(set(ids)) == 3 and ids == sorted(ids)
    assert list(Person.objects.filter(pk__in=ids).values_list("forename", "sex", "merged_into")) == [("", "U", None)] * 3
    assert insert_copies(Person, Person(forename="", surname=""), 0) == []
