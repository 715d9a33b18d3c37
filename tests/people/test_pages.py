"""The case-worker pages show what a practitioner needs, only what the role may see, and record every read."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

REASON = {"purpose": "Safeguarding enquiry"}


@pytest.fixture
def fam(db):
    return factories.family(reference="F000123")


def test_search_by_misspelt_name_finds_the_person_and_records_the_search(client_as, fam):
    client = client_as("key-worker")
    response = client.get(reverse("people:search"), {"q": "Jak Smyth", **REASON})
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("people:person", args=[fam["child"].pk]) in body
    assert "F000123" in body
    event = AuditEvent.objects.get(action="search")
    assert event.details["terms"] == "Jak Smyth"
    assert event.purpose == "Safeguarding enquiry"
    assert str(fam["child"].pk) in event.record_ids
    assert event.result_count >= 1


def test_search_needs_a_purpose_and_then_shows_nothing(client_as, fam):
    response = client_as("key-worker").get(reverse("people:search"), {"q": "Smith"})
    body = response.content.decode()
    assert "Choose the reason for this search" in body
    assert reverse("people:person", args=[fam["child"].pk]) not in body
    assert not AuditEvent.objects.filter(action="search").exists()


def test_first_response_must_give_the_call_reference(client_as, fam):
    client = client_as("first-response")
    assert "Enter the call or referral reference" in client.get(reverse("people:search"), {"q": "Smith"}).content.decode()
    response = client.get(reverse("people:search"), {"q": "Smith", "reference": "CR-2026-00123"})
    assert reverse("people:person", args=[fam["mum"].pk]) in response.content.decode()
    assert AuditEvent.objects.get(action="search").purpose.endswith("CR-2026-00123")


def test_no_results_says_what_was_searched(client_as, fam):
    body = client_as("key-worker").get(reverse("people:search"), {"q": "Zebedee 01/01/1950", **REASON}).content.decode()
    assert "No results" in body
    assert "Zebedee" in body and "1 January 1950" in body
    assert AuditEvent.objects.get(action="search").result_count == 0


@pytest.mark.parametrize("query", ["Smith 12/03/2011", "Jack Smith", "Smith Jack", "A123456789012", "F000123", "BS5 6AB", "12 High Street"])
def test_search_understands_what_is_typed(client_as, fam, query):
    body = client_as("key-worker").get(reverse("people:search"), {"q": query, **REASON}).content.decode()
    assert reverse("people:person", args=[fam["child"].pk]) in body


def test_person_page_shows_identity_indicators_risk_and_provenance(client_as, fam):
    child = fam["child"]
    response = client_as("key-worker").get(reverse("people:person", args=[child.pk]))
    body = response.content.decode()
    assert "Jack" in body and "12 March 2011" in body
    assert "Child Persistently Absent" in body
    assert "Risk of NEET" in body and "meet 3 risk factors" in body
    assert "F000123" in body
    assert "XVault" in body and "Not validated" in body
    event = AuditEvent.objects.get(action="view_person")
    assert event.subject_id == str(child.pk) and event.username == "key_worker"


def test_hidden_sections_are_not_rendered(client_as, fam):
    """Police safeguarding may not see health or financial data: not rendered, not hinted at."""
    mum = fam["mum"]
    police = client_as("police-safeguarding").get(reverse("people:person", args=[mum.pk])).content.decode()
    assert "Victim of DVA" in police
    assert "Mental Health Concern" not in police and "low mood" not in police
    assert "Out of Work Benefits" not in police and "HEALTH" not in police and "INCOME" not in police


def test_school_page_shows_the_monthly_table_with_totals_and_the_90_percent_line(client_as, fam):
    body = client_as("key-worker").get(reverse("people:person_school", args=[fam["child"].pk])).content.decode()
    assert "Notton House Academy" in body and "A123456789012" in body
    assert "Education, health and care plan" in body and "SEMH" in body
    assert "February 2025" in body and "50.0%" in body
    assert ">25<" in body and ">88<" in body and "28.4%" in body  # totals 25 of 88 sessions, to one decimal place
    assert "90% persistent absence line" in body
    assert AuditEvent.objects.get(action="view_attendance").subject_id == str(fam["child"].pk)


def test_family_page_shows_members_badges_problems_and_addresses(client_as, fam):
    body = client_as("key-worker").get(reverse("people:family", args=[fam["family"].pk])).content.decode()
    assert "Claire Mackey" in body
    for name in ("Kerry", "Jack", "Lily"):
        assert name in body
    assert "Eligible" in body and "Domestic violence and abuse" in body
    assert "71, Brighton Crescent" in body or "71 Brighton Crescent" in body
    assert "(South)" in body
    assert AuditEvent.objects.get(action="view_family").subject_id == str(fam["family"].pk)


def test_address_history_marks_overlapping_spells(client_as, fam):
    body = client_as("key-worker").get(reverse("people:person_addresses", args=[fam["mum"].pk])).content.decode()
    assert "Brighton Crescent" in body and "High Street" in body
    assert "Overlaps" in body
    assert AuditEvent.objects.get(action="view_addresses").subject_type == "person"


def test_restricted_person_is_absent_from_search_and_404_for_others(client_as, fam):
    child = fam["child"]
    child.is_restricted = True
    child.save()
    police = client_as("police-safeguarding")
    body = police.get(reverse("people:search"), {"q": "Jack Smith", **REASON}).content.decode()
    assert reverse("people:person", args=[child.pk]) not in body
    assert police.get(reverse("people:person", args=[child.pk])).status_code == 404


def test_key_worker_is_offered_break_glass_for_a_restricted_person(client_as, fam):
    child = fam["child"]
    child.is_restricted = True
    child.save()
    response = client_as("key-worker").get(reverse("people:person", args=[child.pk]))
    assert response.status_code == 302
    assert response.url == reverse("accounts:break_glass", kwargs={"kind": "person", "pk": child.pk})


@pytest.mark.parametrize("role", ["analyst", "data-custodian", "audit-reviewer", None])
def test_roles_without_case_access_get_404(client_as, fam, role):
    client = client_as(role)
    assert client.get(reverse("people:person", args=[fam["child"].pk])).status_code == 404
    assert client.get(reverse("people:search")).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="view").exists()


def test_pages_issue_a_fixed_number_of_queries(client_as, fam, django_assert_max_num_queries):
    client = client_as("key-worker")
    client.get(reverse("people:person", args=[fam["child"].pk]))  # warm caches (session, content types)
    with django_assert_max_num_queries(40):
        client.get(reverse("people:family", args=[fam["family"].pk]))


def test_family_eligibility_and_priority_only_for_readers_of_every_section(client_as, fam):
    url = reverse("people:family", args=[fam["family"].pk])
    key_worker = client_as("key-worker").get(url).content.decode()
    assert "Eligible" in key_worker and "Priority: <strong>1</strong>" in key_worker
    assert "Family indicators" in key_worker and "Mental Health Concern" in key_worker
    police = client_as("police-safeguarding").get(url).content.decode()
    assert "Eligible" not in police and "Priority" not in police
    assert "decided over every section" in police
    assert "Mental Health Concern" not in police and "HEALTH" not in police
