"""The family chronology: every agency's dated records about the members, newest first, as the reader may see them."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.access import Viewer
from apps.audit.models import AuditEvent
from apps.caseview.chronology import family_chronology
from apps.caseview.involvement import family_involvement
from apps.people.models import FamilyMembership
from tests import factories
from tests.caseview.chronology_world import family_with_agencies

pytestmark = pytest.mark.django_db


@pytest.fixture
def fam(users):
    return family_with_agencies(users)


def _chronology(user, family, **kwargs):
    return family_chronology(viewer=Viewer.for_user(user), family=family, **kwargs)


def _titles(chronology) -> set[tuple]:
    return {(e.on, e.title, e.person.forename) for e in chronology.entries}


def test_entries_are_dated_grouped_by_day_and_newest_first(users, fam):
    chronology = _chronology(users["key-worker"], fam["family"])
    days = [day for day, _entries in chronology.days]
    assert days == sorted(days, reverse=True) and len(days) == len(set(days))
    assert all(e.on == day for day, entries in chronology.days for e in entries)
    seen = _titles(chronology)
    assert (date(2025, 2, 24), "Victim of DVA", "Kerry") in seen
    assert (date(2025, 1, 15), "Fixed-term (suspension) exclusion from Notton House Academy", "Jack") in seen
    assert (date(2024, 12, 1), "Child in Need", "Jack") in seen
    assert (date(2018, 9, 1), "Enrolled at Notton House Academy", "Jack") in seen
    assert any(on == date(2015, 5, 1) and title.startswith("Moved to 71 Brighton Crescent") and who == "Kerry"
               for on, title, who in seen)
    # one move, named once, with every source that recorded it
    moves = [e for e in chronology.entries if e.on == date(2019, 1, 1) and e.person == fam["mum"] and e.kind == "address"]
    assert len(moves) == 1 and "Council tax" in moves[0].source and "housing tenancies" in moves[0].source.lower()
    # derived indicators and risk scores are the refresh's, not an agency's record
    assert not any("Persistently Absent" in e.title or "Risk of NEET" in e.title for e in chronology.entries)


def test_a_restricted_members_records_are_absent_for_a_reader_not_named_on_them(users, fam):
    hidden = fam["hidden"]
    not_named = _chronology(users["key-worker"], fam["family"])
    named = _chronology(users["social-worker"], fam["family"])
    assert not any(e.person.pk == hidden.pk for e in not_named.entries)
    assert (date(2025, 2, 20), "Person Committed Offence", "Quentin") in _titles(named)
    # what the reader gets is what they would get if the restricted member did not exist
    kept = _titles(not_named)
    assert kept == {t for t in _titles(named) if t[2] != "Quentin"}


def test_a_section_outside_the_role_is_absent(users, fam):
    key_worker = {title for _on, title, _who in _titles(_chronology(users["key-worker"], fam["family"]))}
    first_response = {title for _on, title, _who in _titles(_chronology(users["first-response"], fam["family"]))}
    for hidden_from_first_response in ("Accessed Drug or Alcohol Support", "Mental Health Concern"):
        assert hidden_from_first_response in key_worker
        assert hidden_from_first_response not in first_response
    assert "Victim of DVA" in first_response


def test_pages_end_on_a_day_and_show_older_continues_without_gaps_or_repeats(users, fam):
    everything = _chronology(users["key-worker"], fam["family"], limit=None)
    assert everything.older is None
    pages, before = [], None
    while True:
        page = _chronology(users["key-worker"], fam["family"], limit=3, before=before)
        pages.append(page)
        if page.older is None:
            break
        assert all(e.on >= page.older for e in page.entries)
        before = page.older
    assert len(pages) > 2
    shown = [(e.on, e.kind, e.title, e.person.pk) for page in pages for e in page.entries]
    assert shown == [(e.on, e.kind, e.title, e.person.pk) for e in everything.entries]
    days = [day for page in pages for day, _entries in page.days]
    assert len(days) == len(set(days)), "a day is split between two pages"


def test_since_bounds_the_dates(users, fam):
    recent = _chronology(users["key-worker"], fam["family"], since=date(2025, 1, 1), limit=None)
    assert recent.entries and all(e.on >= date(2025, 1, 1) for e in recent.entries)


def test_the_chronology_tab_shows_the_timeline_and_is_audited(client_as, users, fam):
    family = fam["family"]
    url = reverse("caseview:family_chronology", args=[family.pk])
    body = client_as("key-worker").get(url).content.decode()
    assert 'class="moj-timeline' in body and 'aria-current="page">Chronology' in body
    assert "Victim of DVA" in body and "24 February 2025" in body
    assert "Theft from a shop" not in body and "Quentin" not in body
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_FAMILY)
    assert event.subject_type == "family" and event.subject_id == str(family.pk)
    assert str(fam["hidden"].pk) not in event.record_ids and str(fam["child"].pk) in event.record_ids


def test_show_older_link_pages_the_tab(client_as, fam):
    url = reverse("caseview:family_chronology", args=[fam["family"].pk])
    body = client_as("key-worker").get(url, {"before": "2019-01-02"}).content.decode()
    assert "Moved to 12 High Street" in body and "Victim of DVA" not in body
    assert client_as("key-worker").get(url, {"before": "not-a-date"}).status_code == 200


def test_a_restricted_family_is_not_found(client_as, fam):
    family = fam["family"]
    family.is_restricted = True
    family.save(update_fields=["is_restricted"])
    assert client_as("first-response").get(reverse("caseview:family_chronology", args=[family.pk])).status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_family(users, fam):
    """The chronology and the involvement ask the same number of queries for a family of four or of ten."""
    viewer = Viewer.for_user(users["key-worker"])
    with CaptureQueriesContext(connection) as small:
        family_chronology(viewer=viewer, family=fam["family"])
        family_involvement(viewer=viewer, family=fam["family"])
    for n in range(6):
        extra = factories.person(forename=f"Extra{n}", surname="Smith", dob=date(2010, 1, 1 + n))
        factories.source_record(extra, "bcc-housing-tenancies")
        FamilyMembership.objects.create(family=fam["family"], person=extra, role="child", date_from=date(2019, 1, 1))
        factories.indicator(extra, "person-reported-missing", on=date(2024, 6, 1 + n), dataset_code="asc-missing-persons")
    viewer = Viewer.for_user(users["key-worker"])
    with CaptureQueriesContext(connection) as big:
        chronology = family_chronology(viewer=viewer, family=fam["family"])
        family_involvement(viewer=viewer, family=fam["family"])
    assert sum(e.person.forename.startswith("Extra") for e in chronology.entries) == 6
    assert len(big) == len(small)
    print(f"family_chronology and family_involvement: {len(big)} queries")
