"""The pre-visit pack: printable page and PDF, for the lead practitioner and their manager only, audited as
an export, showing only what the reader may see, with a lone-worker safety section from police data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.casework.safety import safety_warnings
from apps.people.models import FamilyMembership
from apps.people.restriction import record_name_user
from tests import factories
from tests.casework.pack_world import allocated_case, close, role_without, user_in

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def world(users):
    case, made = allocated_case(lead=users["key-worker"], manager=users["early-help-manager"])
    factories.indicator(made["mum"], "perpetrator-of-dva", on=date(2025, 1, 5), dataset_code="asc-domestic-abuse")
    factories.indicator(made["mum"], "drugs-and-alcohol-incident", on=date(2024, 11, 5), dataset_code="asc-drugs-alcohol")
    factories.indicator(made["mum"], "child-in-need", on=date(2024, 10, 1), dataset_code="bcc-children-in-need")
    return {"case": case, **made}


def _get(client, user, case, name="casework:case_pack"):
    client.force_login(user, backend=BACKEND)
    return client.get(reverse(name, kwargs={"pk": case.pk}))


def _exports():
    return AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)


def test_the_printable_pack_shows_members_involvement_needs_and_safety(world, client, users):
    response = _get(client, users["key-worker"], world["case"])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    for text in ("Kerry Smith", "1 June 1988", "Jack Smith", "Lily Smith",  # members
                 "Child in Need",  # involvement
                 "Perpetrator of DVA", "Violence or risk of violence", "Drugs or alcohol", "Domestic abuse at the address",
                 "no weapons marker", "casework-print.css"):
        assert text in body, text
    event = _exports().get()
    assert (event.subject_type, event.subject_id) == ("case", str(world["case"].pk))
    assert set(event.record_ids) == {str(world[k].pk) for k in ("mum", "child", "baby")}
    assert event.details["format"] == "html"


def test_the_pdf_is_a_pdf_named_by_case_reference_and_audited_once(world, client, users):
    response = _get(client, users["key-worker"], world["case"], "casework:case_pack_pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert world["case"].reference in disposition and "Smith" not in disposition and "Kerry" not in disposition
    event = _exports().get()
    assert (event.subject_type, event.subject_id, event.details["format"]) == ("case", str(world["case"].pk), "pdf")
    assert set(event.record_ids) == {str(world[k].pk) for k in ("mum", "child", "baby")}


def test_the_same_pack_gives_the_same_pdf_bytes(world, client, users):
    """No time of the request in the file: the non-interference test compares PDFs byte for byte."""
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), tick=False):
        first = _get(client, users["key-worker"], world["case"], "casework:case_pack_pdf").content
    with time_machine.travel(datetime(2026, 6, 1, 9, 4, 59, tzinfo=UTC), tick=False):
        second = _get(client, users["key-worker"], world["case"], "casework:case_pack_pdf").content
    assert first == second


def test_the_manager_of_the_team_may_have_it(world, client, users):
    assert _get(client, users["early-help-manager"], world["case"]).status_code == 200


@pytest.mark.parametrize("name", ["casework:case_pack", "casework:case_pack_pdf"])
def test_anyone_but_the_lead_and_their_manager_gets_a_404(world, client, users, make_user, name):
    other_worker = make_user("key-worker", username="other_key_worker")
    other_manager = make_user("early-help-manager", username="other_manager")
    close(world["case"], by=users["key-worker"])  # past closure: the programme manager reads the case, not the pack
    for user in (other_worker, other_manager, users["programme-manager"], users["police-safeguarding"]):
        assert _get(client, user, world["case"], name).status_code == 404, user
    assert not _exports().exists()
    assert _get(client, users["programme-manager"], world["case"], "casework:case").status_code == 200


def test_a_hidden_section_leaves_no_trace_in_the_pack(client, users):
    lead = user_in(role_without("domestic-abuse"), "kw_no_da")
    case, made = allocated_case(lead=lead, manager=users["early-help-manager"], reference="F000781")
    factories.indicator(made["mum"], "perpetrator-of-dva", on=date(2025, 1, 5), dataset_code="asc-domestic-abuse")
    html = _get(client, lead, case).content.decode()
    assert "Kerry Smith" in html
    for hidden in ("DVA", "Domestic abuse at the address", "Violence or risk of violence"):
        assert hidden not in html, hidden
    full = _get(client, users["early-help-manager"], case).content.decode()
    assert "Perpetrator of DVA" in full and "Violence or risk of violence" in full  # control


def test_a_restricted_member_is_absent_from_the_pack(world, client, users):
    hidden = factories.person(forename="Quentin", surname="Smith", dob=date(2013, 2, 14), is_restricted=True)
    FamilyMembership.objects.create(family=world["family"], person=hidden, role="child", date_from=date(2019, 1, 1))
    factories.indicator(hidden, "person-committed-offence", dataset_code="asc-offenders")
    html = _get(client, users["key-worker"], world["case"]).content.decode()
    assert "Quentin" not in html and "Person Committed Offence" not in html
    assert str(hidden.pk) not in _exports().latest("id").record_ids
    record_name_user(record=hidden, user=users["key-worker"], custodian=users["data-custodian"])
    assert "Quentin" in _get(client, users["key-worker"], world["case"]).content.decode()  # control


def test_safety_warnings_map_police_events_to_lone_worker_headings(world, users):
    from apps.accounts.access import Viewer

    viewer = Viewer.for_user(users["key-worker"])
    warnings = safety_warnings(viewer=viewer, family=world["family"], on=date(2025, 3, 1))
    assert [(w.kind, w.indicator, w.person.forename) for w in warnings] == [
        ("violence", "Perpetrator of DVA", "Kerry"),
        ("domestic-abuse", "Victim of DVA", "Kerry"),
        ("drugs", "Drugs and Alcohol Incident", "Kerry"),
    ]
    # an event after the day asked about is not yet known
    assert [w.kind for w in safety_warnings(viewer=viewer, family=world["family"], on=date(2024, 12, 1))] == ["drugs"]
