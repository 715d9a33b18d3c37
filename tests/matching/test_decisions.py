"""Reviewers' decisions are about agency records (dataset + source key), so they outlive re-imports."""

from __future__ import annotations

from apps.matching import services
from apps.matching.models import ClericalPair, MatchRun, ReviewDecision
from apps.sources.models import SourceRecord

from .conftest import person_of

ANNA = dict(forename="ANNA", surname="NOWAK", sex="F", date_of_birth="1988-09-14", postcode="BS4 2AB", address="3 ELM ROAD",
            date_from="2019-04-01")
LEE = dict(forename="LEE", surname="JONES", sex="M", date_of_birth="1975-02-11", postcode="BS7 8DD", address="40 OAK AVENUE",
           date_from="2018-01-01")
OFFENCE = dict(event_date="2024-03-04", reference="CR-1")


def _decide(user, a: SourceRecord, b: SourceRecord, outcome: str) -> ReviewDecision:
    low, high = sorted((a, b), key=lambda r: r.pk)
    pair, _ = ClericalPair.objects.get_or_create(
        record_low=low, record_high=high,
        defaults={"run": MatchRun.objects.order_by("-pk").first(), "match_probability": 0.9},
    )
    return services.review_decision_record(pair=pair, outcome=outcome, user=user, score_shown=False)


def test_not_the_same_person_survives_a_re_import_and_binds_incremental_and_full_runs(import_extract, run_match, users):
    anna_tax, _ = import_extract("bcc-council-tax", [ANNA | {"source_key": "T1"}, LEE | {"source_key": "T2"}])
    [anna_police] = import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1", "address": "5 ELM ROAD"}])
    run_match()
    assert person_of(anna_police) == person_of(anna_tax)  # the model links them
    decision = _decide(users["data-custodian"], anna_tax, anna_police, ReviewDecision.Outcome.NOT_MATCH)
    assert (decision.low_dataset_id, decision.low_source_key, decision.high_dataset_id, decision.high_source_key) == (
        "asc-offenders", "P1", "bcc-council-tax", "T1")
    run_match()
    anna_id = person_of(anna_tax)
    assert person_of(anna_police) != anna_id

    # the police send a newer extract: the row for P1 is replaced by one with a new id
    [reloaded] = import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1", "address": "5 ELM ROAD",
                                                                   "reference": "CR-2"}])
    assert not SourceRecord.objects.filter(pk=anna_police.pk).exists()
    decision.refresh_from_db()
    assert (decision.outcome, decision.high_source_key, decision.low_source_key) == ("not_match", "T1", "P1")
    assert decision.record_low_id is None and decision.record_high_id == anna_tax.pk

    run_match("asc-offenders")  # the new extract is linked incrementally
    assert person_of(reloaded) is not None and person_of(reloaded) != anna_id
    run_match()
    assert person_of(reloaded) != person_of(anna_tax) == anna_id


def test_same_person_survives_a_re_import_binds_the_next_run_and_the_pair_never_returns(import_extract, run_match, users):
    [anna_tax] = import_extract("bcc-council-tax", [ANNA | {"source_key": "T1"}])
    ana = ANNA | OFFENCE | {"source_key": "P1", "forename": "ANA", "date_of_birth": "1988-09-15", "address": "7 ELM ROAD"}
    [ana_police] = import_extract("asc-offenders", [ana])
    run_match()
    assert ClericalPair.objects.count() == 1  # the grey zone went to review, the model alone keeps them apart
    assert person_of(ana_police) != person_of(anna_tax)
    _decide(users["data-custodian"], ana_police, anna_tax, ReviewDecision.Outcome.MATCH)

    [reloaded] = import_extract("asc-offenders", [ana | {"reference": "CR-9"}])
    assert ReviewDecision.objects.get().record_low_id is None
    run_match()
    assert person_of(reloaded) == person_of(anna_tax)
    assert not ClericalPair.objects.exists()

    # re-imported again, a "not sure" would also keep it out of the queue: the decision is on the keys
    ReviewDecision.objects.update(outcome=ReviewDecision.Outcome.NOT_SURE)
    import_extract("asc-offenders", [ana | {"reference": "CR-10"}])
    run_match()
    assert not ClericalPair.objects.exists()


def test_the_two_rows_of_one_agency_record_cannot_be_decided(import_extract, run_match, users):
    first, second = import_extract("asc-offenders", [
        ANNA | OFFENCE | {"source_key": "P1"},
        ANNA | OFFENCE | {"source_key": "P1", "forename": "ANA", "event_date": "2024-05-06", "reference": "CR-2"},
    ])
    run_match()
    assert person_of(first) == person_of(second)  # an agency's own key is a must-link
    pair = ClericalPair.objects.create(run=MatchRun.objects.get(), record_low=first, record_high=second, match_probability=0.9)
    try:
        services.review_decision_record(pair=pair, outcome="not_match", user=users["data-custodian"], score_shown=False)
    except services.MatchingError as exc:
        assert "same agency record" in str(exc)
    else:
        raise AssertionError("a decision between two rows of one agency record was stored")
    assert not ReviewDecision.objects.exists()
