"""Who is involved with a family, derived from the data: now and in the past, as the reader may see it."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from apps.accounts.access import Viewer
from apps.caseview.involvement import family_involvement, involvement_by_code
from apps.schools.models import Enrolment, School
from apps.sources.models import Dataset
from tests.caseview.chronology_world import family_with_agencies

pytestmark = pytest.mark.django_db
ON = date(2025, 3, 1)


@pytest.fixture
def fam(users):
    return family_with_agencies(users)


def _by_code(user, family, on=ON):
    return involvement_by_code(family_involvement(viewer=Viewer.for_user(user), family=family, on=on))


def test_involved_now_and_in_the_past_with_dates_and_evidence(users, fam):
    result = family_involvement(viewer=Viewer.for_user(users["key-worker"]), family=fam["family"], on=ON)
    now = {i.code: i for i in result.now}
    past = {i.code: i for i in result.past}
    social_care = now["social-care"]
    assert social_care.since == social_care.last == date(2024, 12, 1)
    assert [(e.on, e.what, e.person.forename) for e in social_care.evidence] == [(date(2024, 12, 1), "Child in Need", "Jack")]
    assert "Children in need" in social_care.evidence[0].source
    assert past["youth-offending"].last == date(2023, 5, 1)  # over a year before: the past
    assert now["drug-alcohol"].members == [fam["mum"]]
    assert now["early-help"].contact == "Claire Mackey"
    [school] = [i for i in result.now if i.code == "school"]
    assert school.name == "Notton House Academy" and school.since == date(2018, 9, 1) and school.last is None


def test_what_is_involved_depends_on_the_day_asked_about(users, fam):
    later = _by_code(users["key-worker"], fam["family"], on=date(2026, 6, 1))
    assert not later["social-care"][0].now  # the child-in-need record is now over a year old
    before = _by_code(users["key-worker"], fam["family"], on=date(2024, 1, 1))
    assert before["youth-offending"][0].now
    assert "social-care" not in before  # recorded after that day: not known then


def test_a_school_left_is_in_the_past(users, fam):
    old_school = School.objects.create(urn="100001", name="St Anne's Primary")
    Enrolment.objects.create(person=fam["child"], school=old_school, upn="A123456789012", date_from=date(2015, 9, 1),
                             date_to=date(2018, 7, 20), dataset=Dataset.objects.get(code="dfe-school-census"))
    schools = {i.name: i for i in _by_code(users["key-worker"], fam["family"])["school"]}
    assert schools["Notton House Academy"].now
    assert not schools["St Anne's Primary"].now and schools["St Anne's Primary"].last == date(2018, 7, 20)


def test_a_restricted_members_involvement_is_absent_for_a_reader_not_named_on_them(users, fam):
    assert "housing-support" not in _by_code(users["key-worker"], fam["family"])
    housing = _by_code(users["social-worker"], fam["family"])["housing-support"][0]
    assert housing.now and housing.members == [fam["hidden"]]


def test_a_section_outside_the_role_is_absent(users, fam):
    assert "drug-alcohol" in _by_code(users["key-worker"], fam["family"])
    first_response = _by_code(users["first-response"], fam["family"])
    assert "drug-alcohol" not in first_response  # substance misuse is not a first-response section
    assert "social-care" in first_response


def test_the_family_page_shows_who_is_involved(client_as, fam):
    body = client_as("first-response").get(reverse("caseview:family", args=[fam["family"].pk])).content.decode()
    assert "Who is involved" in body and "Children&#x27;s social care" in body and "Notton House Academy" in body
    assert "Drug and alcohol support" not in body and "Weekly sessions" not in body
