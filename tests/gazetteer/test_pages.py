"""The data quality officer's address queue: who may open it, what a decision does, and that it is audited."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.gazetteer.models import AddressResolution, GazetteerVersion
from apps.sources.models import Dataset, ImportBatch, SourceRecord
from tests.conftest import ROLE_SLUGS

from .conftest import HEADER

KEY = "15|||MURPHY AVENUE|BS5 6AB"


@pytest.fixture
def waiting(gazetteer):
    batch = ImportBatch.objects.create(dataset=Dataset.objects.get(code="bcc-council-tax"), filename="ct.csv",
                                       checksum="3" * 64)
    SourceRecord.objects.create(dataset=batch.dataset, batch=batch, source_key="CT1", row_number=1, address_key=KEY)
    return AddressResolution.objects.create(address_key=KEY, address_line="15 Murphy Avenue", postcode="BS5 6AB",
                                            uprn="110", score=0.62, method="fuzzy", status="review",
                                            candidates=[{"uprn": "110", "score": 0.7}, {"uprn": "111", "score": 0.6}],
                                            version=gazetteer)


@pytest.mark.parametrize("slug", [*ROLE_SLUGS, None])
def test_only_roles_that_review_matches_open_the_queue_and_an_address(client_as, waiting, slug):
    client = client_as(slug)
    may = slug == "data-quality-officer"
    for url in (reverse("gazetteer:queue"), reverse("gazetteer:resolution", kwargs={"pk": waiting.pk})):
        response = client.get(url)
        assert (response.status_code == 200) == may, (slug, url, response.status_code)
    response = client.post(reverse("gazetteer:resolution", kwargs={"pk": waiting.pk}), {"decision": "accept"})
    waiting.refresh_from_db()
    assert (waiting.status == AddressResolution.Status.ACCEPTED) == may


def test_the_queue_lists_the_address_and_its_candidates_and_audits_each_view(client_as, waiting):
    client = client_as("data-quality-officer")
    assert "15 Murphy Avenue" in client.get(reverse("gazetteer:queue")).content.decode()
    page = client.get(reverse("gazetteer:resolution", kwargs={"pk": waiting.pk})).content.decode()
    assert "12 Murphy Avenue, Easton, Bristol, BS5 6AB" in page and "21 Murphy Avenue" in page
    assert list(AuditEvent.objects.filter(subject_type__in=["address_queue", "address"]).values_list("action", flat=True)) \
        == [AuditEvent.Action.VIEW_RECORD] * 2


@pytest.mark.parametrize("form, status, uprn", [
    ({"decision": "accept"}, AddressResolution.Status.ACCEPTED, "110"),
    ({"decision": "choose", "uprn": "111"}, AddressResolution.Status.CORRECTED, "111"),
    ({"decision": "unresolvable"}, AddressResolution.Status.UNRESOLVABLE, ""),
])
def test_a_decision_is_recorded_and_audited(client_as, users, waiting, form, status, uprn):
    response = client_as("data-quality-officer").post(reverse("gazetteer:resolution", kwargs={"pk": waiting.pk}), form)
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.uprn, waiting.decided_by) == (status, uprn, users["data-quality-officer"])
    event = AuditEvent.objects.get(action=AuditEvent.Action.MATCH_DECISION)
    assert (event.subject_type, event.subject_id, event.details["decision"]) == ("address", str(waiting.pk), form["decision"])


@pytest.mark.parametrize("form, message", [
    ({}, "Choose what to do with this address."),
    ({"decision": "choose"}, "Enter the UPRN of the property"),
    ({"decision": "choose", "uprn": "999"}, "That UPRN is not in the gazetteer."),
])
def test_a_decision_that_cannot_be_made_is_an_error_on_the_form(client_as, waiting, form, message):
    response = client_as("data-quality-officer").post(reverse("gazetteer:resolution", kwargs={"pk": waiting.pk}), form)
    assert response.status_code == 200 and message in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == AddressResolution.Status.REVIEW
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MATCH_DECISION).exists()


def test_the_gazetteer_page_refuses_a_bad_file_with_its_rows_and_imports_a_good_one(client_as, gazetteer):
    client = client_as("data-custodian")
    bad = io.BytesIO((HEADER + "1,,,,1,High Street,,,BS1 1AA,,\n").encode())
    bad.name = "bad.csv"
    page = client.post(reverse("gazetteer:gazetteer"), {"file": bad}).content.decode()
    assert "Nothing was imported" in page and "required and empty" in page
    assert list(GazetteerVersion.objects.filter(is_current=True)) == [gazetteer]
    good = io.BytesIO((HEADER + "1,,,,1,High Street,,Bristol,BS1 1AA,,\n").encode())
    good.name = "good.csv"
    assert client.post(reverse("gazetteer:gazetteer"), {"file": good}).status_code == 302
    assert GazetteerVersion.objects.get(is_current=True).filename == "good.csv"


def _queue_as_officer(client_as) -> str:
    return client_as("data-quality-officer").get(reverse("gazetteer:queue")).content.decode()


def test_an_address_only_a_restricted_person_sends_is_not_in_the_queue(client_as, waiting):
    from tests.factories import person

    hidden = person(forename="Ruth", surname="Kane", is_restricted=True, restriction_reason="Member of staff")
    SourceRecord.objects.filter(source_key="CT1").update(person=hidden)
    assert "15 Murphy Avenue" not in _queue_as_officer(client_as)
    response = client_as("data-quality-officer").get(reverse("gazetteer:resolution", kwargs={"pk": waiting.pk}))
    assert response.status_code == 404


def test_an_address_someone_else_also_sends_is_shown_as_if_the_restricted_person_did_not_exist(client_as, waiting):
    from tests.factories import person

    before = _queue_as_officer(client_as)
    record = SourceRecord.objects.get(source_key="CT1")
    hidden = person(forename="Ruth", surname="Kane", is_restricted=True, restriction_reason="Member of staff")
    SourceRecord.objects.create(dataset=record.dataset, batch=record.batch, source_key="CT2", row_number=2,
                                address_key=KEY, person=hidden)
    after = _queue_as_officer(client_as)
    assert "15 Murphy Avenue" in after
    assert after.count("15 Murphy Avenue") == before.count("15 Murphy Avenue")
    assert client_as("data-quality-officer").get(
        reverse("gazetteer:resolution", kwargs={"pk": waiting.pk})).status_code == 200
