"""The case-worker pages show what a practitioner needs, only what the role may see, and record every read."""

from datetime import date

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from tests import factories
from tests.normalise import normalise

pytestmark = pytest.mark.django_db

REASON = {"purpose": "Safeguarding enquiry"}


@pytest.fixture
def fam(db):
    return factories.family(reference="F000123")


def test_search_by_misspelt_name_finds_the_person_and_records_the_search(client_as, fam):
    client = client_as("key-worker")
    response = client.get(reverse("caseview:search"), {"q": "Jak Smyth", **REASON})
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("caseview:person", args=[fam["child"].pk]) in body
    assert "F000123" in body
    event = AuditEvent.objects.get(action="search")
    assert event.details["terms"] == "Jak Smyth"
    assert event.purpose == "Safeguarding enquiry"
    assert str(fam["child"].pk) in event.record_ids
    assert event.result_count >= 1


def test_search_needs_a_purpose_and_then_shows_nothing(client_as, fam):
    response = client_as("key-worker").get(reverse("caseview:search"), {"q": "Smith"})
    body = response.content.decode()
    assert "Choose the reason for this search" in body
    assert reverse("caseview:person", args=[fam["child"].pk]) not in body
    assert not AuditEvent.objects.filter(action="search").exists()


def test_first_response_must_give_the_call_reference(client_as, fam):
    client = client_as("first-response")
    assert "Enter the call or referral reference" in client.get(reverse("caseview:search"), {"q": "Smith"}).content.decode()
    response = client.get(reverse("caseview:search"), {"q": "Smith", "reference": "CR-2026-00123"})
    assert reverse("caseview:person", args=[fam["mum"].pk]) in response.content.decode()
    assert AuditEvent.objects.get(action="search").purpose.endswith("CR-2026-00123")


def test_no_results_says_what_was_searched(client_as, fam):
    body = client_as("key-worker").get(reverse("caseview:search"), {"q": "Zebedee 01/01/1950", **REASON}).content.decode()
    assert "No results" in body
    assert "Zebedee" in body and "1 January 1950" in body
    assert AuditEvent.objects.get(action="search").result_count == 0


@pytest.mark.parametrize("query", ["Smith 12/03/2011", "Jack Smith", "Smith Jack", "A123456789012", "F000123", "BS5 6AB", "12 High Street"])
def test_search_understands_what_is_typed(client_as, fam, query):
    body = client_as("key-worker").get(reverse("caseview:search"), {"q": query, **REASON}).content.decode()
    assert reverse("caseview:person", args=[fam["child"].pk]) in body


def test_person_page_shows_identity_indicators_risk_and_provenance(client_as, fam):
    child = fam["child"]
    response = client_as("key-worker").get(reverse("caseview:person", args=[child.pk]))
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
    police = client_as("police-safeguarding").get(reverse("caseview:person", args=[mum.pk])).content.decode()
    assert "Victim of DVA" in police
    assert "Mental Health Concern" not in police and "low mood" not in police
    assert "Out of Work Benefits" not in police and "HEALTH" not in police and "INCOME" not in police


def test_school_page_shows_the_monthly_table_with_totals_and_the_90_percent_line(client_as, fam):
    body = client_as("key-worker").get(reverse("caseview:person_school", args=[fam["child"].pk])).content.decode()
    assert "Notton House Academy" in body and "A123456789012" in body
    assert "Education, health and care plan" in body and "SEMH" in body
    assert "February 2025" in body and "50.0%" in body
    assert ">25<" in body and ">88<" in body and "28.4%" in body  # totals 25 of 88 sessions, to one decimal place
    assert "90% persistent absence line" in body
    assert AuditEvent.objects.get(action="view_attendance").subject_id == str(fam["child"].pk)


def test_family_page_shows_members_badges_problems_and_addresses(client_as, fam):
    body = client_as("key-worker").get(reverse("caseview:family", args=[fam["family"].pk])).content.decode()
    assert "Claire Mackey" in body
    for name in ("Kerry", "Jack", "Lily"):
        assert name in body
    assert "Eligible" in body and "Domestic violence and abuse" in body
    assert "71, Brighton Crescent" in body or "71 Brighton Crescent" in body
    assert "(South)" in body
    assert AuditEvent.objects.get(action="view_family").subject_id == str(fam["family"].pk)


def test_address_history_marks_overlapping_spells(client_as, fam):
    body = client_as("key-worker").get(reverse("caseview:person_addresses", args=[fam["mum"].pk])).content.decode()
    assert "Brighton Crescent" in body and "High Street" in body
    assert "Overlaps" in body
    assert AuditEvent.objects.get(action="view_addresses").subject_type == "person"


def test_restricted_person_is_absent_from_search_and_404_for_others(client_as, fam):
    child = fam["child"]
    child.is_restricted = True
    child.save()
    police = client_as("police-safeguarding")
    body = police.get(reverse("caseview:search"), {"q": "Jack Smith", **REASON}).content.decode()
    assert reverse("caseview:person", args=[child.pk]) not in body
    assert police.get(reverse("caseview:person", args=[child.pk])).status_code == 404


def test_key_worker_gets_the_same_404_for_a_restricted_person_as_for_no_one(client_as, fam):
    """The 404 offers break-glass to roles that have it, for any id: it says nothing about the record."""
    child = fam["child"]
    child.is_restricted = True
    child.save()
    client = client_as("key-worker")
    restricted = client.get(reverse("caseview:person", args=[child.pk]))
    missing = client.get(reverse("caseview:person", args=[987654]))
    assert restricted.status_code == missing.status_code == 404
    assert normalise(restricted.content, ids={str(child.pk): "ID"}) == normalise(missing.content, ids={"987654": "ID"})
    assert reverse("people:break_glass", kwargs={"kind": "person", "pk": child.pk}) in restricted.content.decode()


@pytest.mark.parametrize("role", ["analyst", "data-custodian", "audit-reviewer", None])
def test_roles_without_case_access_get_404(client_as, fam, role):
    client = client_as(role)
    assert client.get(reverse("caseview:person", args=[fam["child"].pk])).status_code == 404
    assert client.get(reverse("caseview:search")).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="view").exists()


def test_pages_issue_a_fixed_number_of_queries(client_as, fam, django_assert_max_num_queries):
    client = client_as("key-worker")
    client.get(reverse("caseview:person", args=[fam["child"].pk]))  # warm caches (session, content types)
    # ~10 of them compute the criteria from what the reader may see, 3 who is involved
    with django_assert_max_num_queries(53):
        client.get(reverse("caseview:family", args=[fam["family"].pk]))


def test_family_eligibility_only_for_readers_of_every_section(client_as, fam):
    url = reverse("caseview:family", args=[fam["family"].pk])
    key_worker = client_as("key-worker").get(url).content.decode()
    assert "Eligible" in key_worker
    assert "Family indicators" in key_worker and "Mental Health Concern" in key_worker
    police = client_as("police-safeguarding").get(url).content.decode()
    assert "Eligible" not in police
    assert "decided over every section" in police
    assert "Mental Health Concern" not in police and "HEALTH" not in police


# --- the search form under htmx, its errors, and the history cache (issue 11: 5, 6) ---------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_htmx_search_answers_the_form_and_results_and_varies_by_hx_request(client_as, fam):
    client = client_as("key-worker")
    fragment = client.get(reverse("caseview:search"), {"q": "Jack Smith", **REASON}, **HTMX)
    body = fragment.content.decode()
    assert "<html" not in body and 'id="search"' in body and "SMITH, Jack" in body
    full = client.get(reverse("caseview:search"), {"q": "Jack Smith", **REASON})
    assert "<html" in full.content.decode() and "SMITH, Jack" in full.content.decode()
    for response in (fragment, full):
        assert {"HX-Request", "HX-History-Restore-Request"} <= {h.strip() for h in response["Vary"].split(",")}


def test_a_history_restore_request_gets_the_whole_page(client_as, fam):
    response = client_as("key-worker").get(
        reverse("caseview:search"), {"q": "Jack Smith", **REASON}, **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith("<!DOCTYPE html>") and "<header" in body and "SMITH, Jack" in body


def test_pages_turn_off_the_htmx_history_cache(client_as, fam):
    body = client_as("key-worker").get(reverse("caseview:person", args=[fam["child"].pk])).content.decode()
    assert '"historyCacheSize": 0' in body and 'hx-history="false"' in body


@pytest.mark.parametrize("role, params, field, message", [
    ("key-worker", {"q": "Jack Smith"}, "purpose", "Choose the reason for this search"),
    ("key-worker", {"q": "", **REASON}, "q", "Enter a name, date of birth"),
    ("key-worker", {"q": "   ", **REASON}, "q", "Enter a name, date of birth"),
    ("first-response", {"q": "Smith"}, "reference", "Enter the call or referral reference"),
    ("key-worker", {"q": "Smith", "area": "atlantis", **REASON}, "area", "Choose an area from the list"),
])
def test_search_errors_are_shown_with_and_without_htmx(client_as, fam, role, params, field, message):
    client = client_as(role)
    for headers in ({}, HTMX):
        body = client.get(reverse("caseview:search"), params, **headers).content.decode()
        assert "govuk-error-summary" in body and f'href="#{field}"' in body and message in body
        assert f'id="{field}-error"' in body
        assert "found</h2>" not in body
    assert not AuditEvent.objects.filter(action="search").exists()


def test_the_first_visit_shows_no_errors(client_as, fam):
    body = client_as("key-worker").get(reverse("caseview:search")).content.decode()
    assert "govuk-error-summary" not in body and 'id="q"' in body


# --- search: a year narrows, another name says so, the way back keeps the search, the reason shows (11) ---

def test_a_year_with_a_name_leaves_out_known_dates_of_birth_in_other_years(client_as, fam):
    unknown = factories.person(forename="Jo", surname="Smith", dob=None)
    body = client_as("key-worker").get(reverse("caseview:search"), {"q": "smith 2011", **REASON}).content.decode()
    assert reverse("caseview:person", args=[fam["child"].pk]) in body  # born 2011
    assert reverse("caseview:person", args=[fam["mum"].pk]) not in body  # born 1988
    assert reverse("caseview:person", args=[fam["baby"].pk]) not in body  # born 2019
    assert body.index(reverse("caseview:person", args=[fam["child"].pk])) < body.index(reverse("caseview:person", args=[unknown.pk]))


def test_a_result_found_through_another_name_says_so_only_from_datasets_the_reader_sees(client_as, fam):
    from apps.people.models import PersonAlias
    from apps.sources.models import Dataset

    PersonAlias.objects.create(person=fam["mum"], forename="Kerry", surname="Harwood",
                               dataset=Dataset.objects.get(code="bcc-mental-health"))  # health: police may not see it
    url = reverse("caseview:person", args=[fam["mum"].pk])
    key_worker = client_as("key-worker").get(reverse("caseview:search"), {"q": "Kerry Harwood", **REASON}).content.decode()
    assert url in key_worker and "Found under another name: Kerry Harwood" in key_worker
    police = client_as("police-safeguarding").get(reverse("caseview:search"), {"q": "Kerry Harwood", **REASON}).content.decode()
    assert url not in police and "Harwood" not in police.replace('value="Kerry Harwood"', "").replace("“Kerry Harwood”", "")


def test_the_breadcrumb_back_to_search_keeps_the_query_and_page(client_as, fam):
    client = client_as("key-worker")
    client.get(reverse("caseview:search"), {"q": "Smith", **REASON, "page": "1"})
    for name in ("caseview:person", "caseview:person_school", "caseview:person_addresses"):
        body = client.get(reverse(name, args=[fam["child"].pk])).content.decode()
        assert 'href="/people/?q=Smith&amp;purpose=Safeguarding+enquiry&amp;page=1"' in body
    assert "q=Smith" in client.get(reverse("caseview:family", args=[fam["family"].pk])).content.decode()


def test_the_remembered_reason_is_shown_as_such(client_as, fam):
    client = client_as("key-worker")
    assert "Kept from your last search" not in client.get(reverse("caseview:search")).content.decode()
    client.get(reverse("caseview:search"), {"q": "Smith", **REASON})
    body = client.get(reverse("caseview:search")).content.decode()
    assert '<option value="Safeguarding enquiry" selected>' in body
    assert 'id="purpose-hint"' in body and "Kept from your last search" in body


# --- what the role does not show, and the School tab (12) ---------------------------------------------------

def test_the_person_and_family_pages_say_which_sections_the_role_does_not_show(client_as, fam):
    for url in (reverse("caseview:person", args=[fam["mum"].pk]), reverse("caseview:person_addresses", args=[fam["mum"].pk]),
                reverse("caseview:family", args=[fam["family"].pk])):
        police = client_as("police-safeguarding").get(url).content.decode()
        assert police.count('id="sections-not-shown"') == 1
        notice = police.split('id="sections-not-shown">')[1].split("</div>")[0]
        assert "Health" in notice and "School Attendance and Exclusion" in notice and "Crime" not in notice
        assert 'id="sections-not-shown"' not in client_as("key-worker").get(url).content.decode()


def test_the_notice_depends_on_the_role_only(client_as, fam):
    """The same words whatever the person: it reveals nothing about them."""
    client = client_as("police-safeguarding")

    def notice(pk):
        return client.get(reverse("caseview:person", args=[pk])).content.decode().split('id="sections-not-shown">')[1].split("</div>")[0]

    assert notice(fam["mum"].pk) == notice(fam["child"].pk) == notice(fam["baby"].pk)


def test_the_school_tab_shows_only_to_roles_with_the_section_and_for_a_child_or_a_school_record(client_as, fam):
    from apps.schools.models import SENStatus
    from apps.sources.models import Dataset

    school_link = 'href="{}"'.format
    key_worker = client_as("key-worker")
    child, mum = fam["child"], fam["mum"]
    assert school_link(reverse("caseview:person_school", args=[child.pk])) in key_worker.get(reverse("caseview:person", args=[child.pk])).content.decode()
    assert school_link(reverse("caseview:person_school", args=[mum.pk])) not in key_worker.get(reverse("caseview:person", args=[mum.pk])).content.decode()
    SENStatus.objects.create(person=mum, status="K", recorded_on=date(2006, 1, 1), dataset=Dataset.objects.get(code="dfe-sen"))
    assert school_link(reverse("caseview:person_school", args=[mum.pk])) in key_worker.get(reverse("caseview:person", args=[mum.pk])).content.decode()
    police = client_as("police-safeguarding").get(reverse("caseview:person", args=[child.pk])).content.decode()
    assert school_link(reverse("caseview:person_school", args=[child.pk])) not in police
    assert client_as("police-safeguarding").get(reverse("caseview:person_school", args=[child.pk])).status_code == 404


# --- numbers and dates as people read them (10) ----------------------------------------------------------------

def test_numbers_and_dates_are_formatted(client_as, fam):
    from apps.indicators.models import PersonIndicator

    PersonIndicator.objects.filter(person=fam["child"], definition__code="risk-of-neet").update(value="80.22")
    client = client_as("key-worker")
    person = client.get(reverse("caseview:person", args=[fam["child"].pk])).content.decode()
    assert "12 March 2011" in person and ">80<" in person and "80.22" not in person
    assert "99.9%" in person  # match probability 0.999 of the attendance record
    school = client.get(reverse("caseview:person_school", args=[fam["child"].pk])).content.decode()
    assert "score 80," in school and "28.4%" in school and "1 September 2018" in school
