"""The review queue and run pages: who may see them, what a decision does, and the projection they show."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.matching.models import ClericalPair, MatchRun, ReviewDecision
from apps.people.models import Family, FamilyMembership, Person
from apps.people.templatetags.tf_format import probability

from .conftest import person_of

ANNA = dict(forename="ANNA", surname="NOWAK", sex="F", date_of_birth="1988-09-14", postcode="BS4 2AB", address="3 ELM ROAD")


def test_review_pages_are_404_without_the_capability(client_as, extract, run_match):
    extract("bcc-council-tax", [ANNA, ANNA | {"forename": "ANA", "date_of_birth": "1988-09-15", "address": "3 ELM RD"}])
    run = run_match()
    pair = ClericalPair.objects.get()
    client = client_as("key-worker")
    for url in (reverse("matching:review_queue"), reverse("matching:review_pair", args=[pair.pk]),
                reverse("matching:run", args=[run.pk]), reverse("matching:runs")):
        assert client.get(url).status_code == 404


def test_reviewer_labels_a_pair_without_the_score_and_it_leaves_the_queue(client_as, users, extract, run_match):
    a, b = extract("bcc-council-tax", [ANNA, ANNA | {"forename": "ANA", "date_of_birth": "1988-09-15", "address": "3 ELM RD"}])
    run_match()
    pair = ClericalPair.objects.get()
    client = client_as("data-quality-officer")
    page = client.get(reverse("matching:review_pair", args=[pair.pk]))
    assert page.status_code == 200
    assert b"Agree" in page.content and b"Differ" in page.content
    assert probability(pair.match_probability).encode() not in page.content  # score hidden by default
    response = client.post(reverse("matching:review_pair", args=[pair.pk]), {"outcome": "not_match"})
    assert response.status_code == 302
    decision = ReviewDecision.objects.get()
    assert (decision.outcome, decision.score_shown, decision.decided_by) == ("not_match", False, users["data-quality-officer"])
    assert AuditEvent.objects.filter(action="match_decision").count() == 1
    assert client.get(reverse("matching:review_pair", args=[pair.pk])).status_code == 404
    run_match()
    assert person_of(a) != person_of(b)
    assert not ClericalPair.objects.exists()


def test_a_restricted_persons_records_stay_out_of_the_queue_unless_named(client_as, users, extract, run_match):
    from apps.people.restriction import record_name_user, record_restrict

    a, _ = extract("bcc-council-tax", [ANNA, ANNA | {"forename": "ANA", "date_of_birth": "1988-09-15", "address": "3 ELM RD"}])
    run_match()
    pair = ClericalPair.objects.get()
    person = Person.objects.get(pk=person_of(a))
    record_restrict(record=person, custodian=users["data-custodian"], reason="Member of staff")
    client = client_as("data-quality-officer")
    assert b"ANNA" not in client.get(reverse("matching:review_queue")).content
    assert client.get(reverse("matching:review_pair", args=[pair.pk])).status_code == 404
    record_name_user(record=person, user=users["data-quality-officer"], custodian=users["data-custodian"])
    assert client.get(reverse("matching:review_pair", args=[pair.pk])).status_code == 200


def test_run_page_shows_figures_and_parameters(client_as, extract, run_match):
    extract("bcc-council-tax", [ANNA])
    run = run_match()
    page = client_as("data-quality-officer").get(reverse("matching:run", args=[run.pk]))
    assert page.status_code == 200
    assert b"Match weights by comparison level" in page.content
    assert run.counts["persons"] == 1 and "predict" in run.timings
    assert run.charts["match_weights"]["data"]["values"]


def test_projection_builds_person_household_and_family(extract, run_match):
    rows = [
        dict(forename="SARA", surname="OKAFOR", sex="F", date_of_birth="1985-05-05"),
        dict(forename="DAVID", surname="OKAFOR", sex="M", date_of_birth="1983-01-20"),
        dict(forename="TOBI", surname="OKAFOR", sex="M", date_of_birth="2015-08-30"),
    ]
    home = dict(postcode="BS5 0AA", address="9 CHURCH ROAD", fact_date=dt.date(2019, 4, 1), fact={"date_to": None})
    records = extract("bcc-council-tax", [r | home for r in rows])
    extract("asc-offenders", [rows[1] | {"forename": "DAVE", "postcode": "BS5 0AA", "address": "9 CHURCH ROAD",
                                         "fact_type": "person-committed-offence", "fact": {"reference": "CR-1"}}])
    run_match()
    dad = Person.objects.get(pk=person_of(records[1]))
    assert (dad.forename, dad.search_surname, dad.surname_phonetic) == ("David", "OKAFOR", "OKFR")
    assert dad.aliases.filter(forename="Dave").exists()
    assert dad.current_address.postcode == "BS5 0AA"
    assert dad.indicators.filter(definition__code="person-committed-offence", notes="CR-1").exists()
    family = Family.objects.get()
    roles = dict(FamilyMembership.objects.filter(family=family).values_list("person__forename", "role"))
    assert roles == {"Sara": "parent", "David": "parent", "Tobi": "child"}
    assert dad.relationships.filter(kind="parent", related_person__forename="Tobi").exists()
    run_match()  # the family keeps its reference across runs
    assert Family.objects.get().reference == family.reference
    assert MatchRun.objects.filter(status="completed").count() == 2


EWA = dict(forename="EWA", surname="KOWALSKA", sex="F", date_of_birth="1979-04-21", postcode="BS7 9QQ", address="8 OAK ROAD")


def test_a_decision_leads_to_the_next_pair_and_a_missing_one_is_an_error_on_the_form(client_as, extract, run_match):
    *_, ewa, eva = extract("bcc-council-tax", [ANNA, ANNA | {"forename": "ANA", "date_of_birth": "1988-09-15", "address": "3 ELM RD"},
                                               EWA, EWA | {"forename": "EVA", "date_of_birth": "1979-04-22", "address": "8 OAK RD"}])
    run = run_match()
    first = ClericalPair.objects.get()
    second = ClericalPair.objects.create(run=run, record_low=ewa, record_high=eva, match_probability=first.match_probability / 2)
    client = client_as("data-quality-officer")
    url = reverse("matching:review_pair", args=[first.pk])
    page = client.get(url).content.decode()
    assert "Pair 1 of 2 to review" in page and reverse("matching:review_pair", args=[second.pk]) in page  # skip link

    missing = client.post(url, {})
    body = missing.content.decode()
    assert missing.status_code == 200 and "govuk-error-summary" in body and 'id="outcome-error"' in body
    assert "Choose whether the two records are the same person" in body and "govuk-notification-banner" not in body
    assert not ReviewDecision.objects.exists()

    decided = client.post(url, {"outcome": "not_match"})
    assert decided.status_code == 302 and decided.url == reverse("matching:review_pair", args=[second.pk])
    following = client.get(decided.url).content.decode()
    assert "Pair 1 of 1 to review" in following and f"Decision on pair {first.pk} recorded" in following

    last = client.post(decided.url, {"outcome": "match"})
    assert last.url == reverse("matching:review_queue")
    assert ReviewDecision.objects.count() == 2
