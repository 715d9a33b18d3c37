"""Restricted records: the custodian restricts and names users; others cannot see them; break-glass."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.access import Viewer
from apps.audit.models import Alert, AuditEvent
from apps.audit.templatetags.audit_tags import alert_lines
from apps.people.models import BreakGlass, Family, Person
from apps.people.restriction import record_name_user
from tests.normalise import normalise

pytestmark = pytest.mark.django_db


def test_the_custodian_restricts_a_person_seeing_only_id_and_name(client_as, person, users):
    client = client_as("data-custodian")
    page = client.get(reverse("people:restriction", args=["person", person.pk])).content.decode()
    assert "Mariella Quennington" in page
    assert person.nhs_number not in page and "1984" not in page
    response = client.post(reverse("people:restriction", args=["person", person.pk]),
                           {"action": "restrict", "reason": "Member of staff"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_restricted and person.restriction_reason == "Member of staff"
    change = AuditEvent.objects.get(action="restriction_change", subject_type="person")
    assert change.details == {"change": "restrict", "reason": "Member of staff"}
    assert not Person.objects.visible_to(Viewer.for_user(users["key-worker"])).filter(pk=person.pk).exists()


def test_restricting_needs_a_reason(client_as, person):
    client = client_as("data-custodian")
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    response = client.post(reverse("people:restriction", args=["person", person.pk]), {"action": "restrict", "reason": ""})
    assert response.status_code == 200 and "Mariella Quennington" in response.content.decode()
    person.refresh_from_db()
    assert not person.is_restricted
    # the page shown again names the person: its viewing is recorded like any showing of the page
    [shown] = AuditEvent.objects.exclude(pk__in=before)
    assert (shown.action, shown.subject_type, shown.subject_id) == (AuditEvent.Action.VIEW_RECORD, "person", str(person.pk))


def test_a_change_that_redirects_records_the_change_not_a_view(client_as, person):
    client = client_as("data-custodian")
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    client.post(reverse("people:restriction", args=["person", person.pk]), {"action": "restrict", "reason": "Staff"})
    assert list(AuditEvent.objects.exclude(pk__in=before).values_list("action", flat=True)) == ["restriction_change"]


def test_the_restricted_list_shows_ids_not_names(client_as, restricted_person, restricted_family):
    page = client_as("data-custodian").get(reverse("people:restrictions")).content.decode()
    assert str(restricted_person.pk) in page and "F000777" in page
    assert "Brackenbury" not in page and "Ottoline" not in page


def test_the_lookup_form_opens_a_record_by_id(client_as, restricted_family):
    client = client_as("data-custodian")
    response = client.get(reverse("people:restrictions"), {"kind": "family", "record_id": restricted_family.pk})
    assert response["Location"] == reverse("people:restriction", args=["family", restricted_family.pk])
    assert client.get(reverse("people:restriction", args=["family", 999999])).status_code == 404
    assert client.get(reverse("people:restriction", args=["household", restricted_family.pk])).status_code == 404


def test_named_users_see_the_record_and_others_do_not(client_as, users, restricted_person, restricted_family):
    client = client_as("data-custodian")
    url = reverse("people:restriction", args=["person", restricted_person.pk])
    assert client.post(url, {"action": "name", "username": "nobody"}).status_code == 200
    assert client.post(url, {"action": "name", "username": "social_worker"}).status_code == 302
    assert Person.objects.visible_to(Viewer.for_user(users["social-worker"])).filter(pk=restricted_person.pk).exists()
    assert not Person.objects.visible_to(Viewer.for_user(users["key-worker"])).filter(pk=restricted_person.pk).exists()
    assert not Family.objects.visible_to(Viewer.for_user(users["social-worker"])).filter(pk=restricted_family.pk).exists()
    # the custodian, who named them, still reads no case data
    assert not Person.objects.visible_to(Viewer.for_user(users["data-custodian"])).exists()

    assert client.post(url, {"action": "unname", "username": "social_worker"}).status_code == 302
    assert not Person.objects.visible_to(Viewer.for_user(users["social-worker"])).filter(pk=restricted_person.pk).exists()
    changes = AuditEvent.objects.filter(action="restriction_change").values_list("details__change", flat=True)
    assert sorted(changes) == ["name_user", "unname_user"]


def test_a_restricted_person_is_absent_from_search(users, person, restricted_person):
    results = Person.objects.visible_to(Viewer.for_user(users["key-worker"])).filter(surname__in=[person.surname, restricted_person.surname])
    assert list(results) == [person]


def test_lifting_the_restriction_opens_the_record_to_case_roles(client_as, users, restricted_person):
    client_as("data-custodian").post(reverse("people:restriction", args=["person", restricted_person.pk]),
                                     {"action": "unrestrict", "reason": "Staff member has left"})
    assert Person.objects.visible_to(Viewer.for_user(users["key-worker"])).filter(pk=restricted_person.pk).exists()


# --- break-glass -----------------------------------------------------------------------
def test_break_glass_page_reveals_nothing_about_the_record(client_as, restricted_person):
    response = client_as("key-worker").get(reverse("people:break_glass", args=["person", restricted_person.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Open a restricted record" in page
    for detail in ("Ottoline", "Brackenbury", "1979", restricted_person.nhs_number, "Member of staff"):
        assert detail not in page


def test_break_glass_needs_a_reason(client_as, restricted_person):
    url = reverse("people:break_glass", args=["person", restricted_person.pk])
    for reason in ("", "because"):
        response = client_as("key-worker").post(url, {"reason": reason})
        assert response.status_code == 200
        assert "Say why you need to open this record" in response.content.decode()
    assert not BreakGlass.objects.exists()
    assert not AuditEvent.objects.filter(action="break_glass").exists()


def test_break_glass_opens_the_record_for_a_while_and_is_audited(client_as, users, restricted_family):
    client = client_as("key-worker")
    url = reverse("people:break_glass", args=["family", restricted_family.pk])
    response = client.post(url, {"reason": "Referral CR-2026-0042 names this family"})
    assert response.status_code == 302
    assert response["Location"] == reverse("caseview:family", kwargs={"pk": restricted_family.pk})
    assert Family.objects.visible_to(Viewer.for_user(users["key-worker"])).filter(pk=restricted_family.pk).exists()
    event = AuditEvent.objects.get(action="break_glass")
    assert (event.subject_type, event.subject_id, event.username) == ("family", str(restricted_family.pk), "key_worker")
    assert event.details["reason"] == "Referral CR-2026-0042 names this family"
    # once open, the page sends the user straight to the record
    assert client.get(url)["Location"] == reverse("caseview:family", kwargs={"pk": restricted_family.pk})
    # and it closes again when the break-glass lapses
    BreakGlass.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not Family.objects.visible_to(Viewer.for_user(users["key-worker"])).filter(pk=restricted_family.pk).exists()


@pytest.mark.parametrize("role", ["first-response", "police-safeguarding", "analyst", "data-custodian", "audit-reviewer", None])
def test_roles_without_break_glass_get_a_404(client_as, role, restricted_person):
    response = client_as(role).get(reverse("people:break_glass", args=["person", restricted_person.pk]))
    assert response.status_code == 404


def test_no_existence_oracle_for_missing_or_restricted_records(client_as, users, restricted_person):
    """The page and the answer to a reason are the same for a restricted record and for no record."""
    client = client_as("social-worker")
    restricted_url = reverse("people:break_glass", args=["person", restricted_person.pk])
    missing_url = reverse("people:break_glass", args=["person", 987654])
    restricted_page, missing_page = client.get(restricted_url), client.get(missing_url)
    assert restricted_page.status_code == missing_page.status_code == 200
    assert normalise(restricted_page.content, ids={str(restricted_person.pk): "ID"}) == normalise(
        missing_page.content, ids={"987654": "ID"})
    assert client.get(reverse("people:break_glass", args=["elephant", restricted_person.pk])).status_code == 404
    # a reason for an id with nothing restricted behind it is recorded as an attempt, opens nothing, and
    # is answered like a real break-glass: on to the record's page (here, a 404)
    response = client.post(missing_url, {"reason": "Referral CR-2026-0042 names this person"})
    assert response.status_code == 302 and response["Location"] == reverse("caseview:person", args=[987654])
    attempt = AuditEvent.objects.get(action="break_glass")
    assert (attempt.subject_id, attempt.details["opened"]) == ("987654", False)
    assert not BreakGlass.objects.exists()
    # the reviewers are told at once, and told that nothing was opened
    alert = Alert.objects.get(kind=Alert.Kind.BREAK_GLASS)
    assert alert_lines(alert) == ["Tried to break the glass on person 987654, where there was no restricted record "
                                  "to open: reason 'Referral CR-2026-0042 names this person'"]


def test_an_unrestricted_record_sends_the_user_to_it(client_as, person):
    response = client_as("social-worker").get(reverse("people:break_glass", args=["person", person.pk]))
    assert response["Location"] == reverse("caseview:person", kwargs={"pk": person.pk})


def test_a_named_user_goes_straight_to_the_record(client_as, users, restricted_person):
    record_name_user(record=restricted_person, user=users["social-worker"], custodian=users["data-custodian"])
    response = client_as("social-worker").get(reverse("people:break_glass", args=["person", restricted_person.pk]))
    assert response["Location"] == reverse("caseview:person", kwargs={"pk": restricted_person.pk})
    assert not BreakGlass.objects.exists()
