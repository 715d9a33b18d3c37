"""Family progress data: snapshots at allocation and closure, shown side by side to those who may see them."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.casework.models import ProgressSnapshot
from apps.people.models import FamilyMembership
from apps.people.restriction import record_name_user
from tests import factories
from tests.casework.pack_world import allocated_case, close, role_without, time_passes, user_in

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def world(users):
    case, made = allocated_case(lead=users["key-worker"], manager=users["early-help-manager"])
    return {"case": case, **made}


def _page(client, user, case):
    client.force_login(user, backend=BACKEND)
    return client.get(reverse("casework:case_progress", kwargs={"pk": case.pk}))


def test_allocation_takes_a_snapshot_of_every_member(world):
    snaps = {s.person_id: s for s in ProgressSnapshot.objects.filter(case=world["case"])}
    assert set(snaps) == {world["mum"].pk, world["child"].pk, world["baby"].pk}
    assert {s.stage for s in snaps.values()} == {"start"}
    assert {s.taken_on for s in snaps.values()} == {date(2025, 3, 1)}
    mum, child = snaps[world["mum"].pk].data, snaps[world["child"].pk].data
    assert {(i["code"], i["section"]) for i in mum["indicators"]} >= {
        ("victim-of-dva", "domestic-abuse"), ("mental-health-concern", "health"), ("out-of-work-benefits", "financial-exclusion")}
    assert mum["attendance"] is None
    assert child["attendance"] == {"section": "school", "term": "Autumn term 2024/25", "sessions_attended": 3,
                                   "sessions_possible": 30, "percent": 10.0}
    assert [r["code"] for r in child["risk_scores"]] == ["risk-of-neet"]
    assert "domestic-abuse" in {s for p in mum["problems"] for s in p["sections"]}


def test_closure_takes_the_second_snapshot_and_the_tab_shows_what_changed(world, client, users):
    time_passes(world)
    close(world["case"], by=users["key-worker"])
    assert ProgressSnapshot.objects.filter(case=world["case"], stage="close").count() == 3
    closing = ProgressSnapshot.objects.get(case=world["case"], stage="close", person=world["child"])
    assert closing.data["attendance"]["term"] == "Spring term 2024/25"
    assert closing.data["attendance"]["percent"] == round(100 * 52 / 88, 1)
    body = _page(client, users["key-worker"], world["case"]).content.decode()
    assert "10.0% (Autumn term 2024/25)" in body and "59.1% (Spring term 2024/25)" in body
    assert "Up 49.1 points" in body
    assert "Person Committed Offence" in body and "New since the start" in body


def test_a_failed_allocation_leaves_no_snapshot(users):
    from apps.casework import services

    made = factories.family(reference="F000778")
    case = services.case_identify(family=made["family"], by=users["early-help-manager"])
    case = services.case_triage(case=case, decision="accept", by=users["early-help-manager"])
    case = services.case_seek_consent(case=case, by=users["early-help-manager"])
    from apps.accounts.models import Team, TeamMembership

    team = Team.objects.create(code="t", name="T")
    TeamMembership.objects.create(team=team, user=users["key-worker"])
    with pytest.raises(services.CaseStateError):  # no consent, no statutory basis
        services.case_allocate(case=case, lead=users["key-worker"], team=team, by=users["early-help-manager"])
    assert not ProgressSnapshot.objects.filter(case=case).exists()


def test_the_tab_is_audited_with_the_members_shown(world, client, users):
    response = _page(client, users["key-worker"], world["case"])
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_CASE).latest("id")
    assert event.subject_id == str(world["case"].pk)
    assert set(event.record_ids) == {str(o.pk) for o in (world["family"], world["mum"], world["child"], world["baby"])}


def test_a_hidden_section_leaves_no_trace_on_the_progress_tab(client, users, make_user):
    lead = user_in(role_without("domestic-abuse"), "kw_no_da")
    case, made = allocated_case(lead=lead, manager=users["early-help-manager"], reference="F000779")
    body = _page(client, lead, case).content.decode()
    assert "Kerry" in body and "Mental Health Concern" in body
    assert "Victim of DVA" not in body and "Domestic" not in body
    # the manager's role sees domestic abuse: the facts are there to hide
    assert "Victim of DVA" in _page(client, users["early-help-manager"], case).content.decode()


def test_a_restricted_member_is_absent(client, users):
    case, made = allocated_case(lead=users["key-worker"], manager=users["early-help-manager"], reference="F000780")
    hidden = factories.person(forename="Quentin", surname="Smith", dob=date(2013, 2, 14), is_restricted=True)
    FamilyMembership.objects.create(family=made["family"], person=hidden, role="child", date_from=date(2019, 1, 1))
    factories.indicator(hidden, "person-reported-missing", dataset_code="asc-missing-persons")
    time_passes(made)
    close(case, by=users["key-worker"])
    assert ProgressSnapshot.objects.filter(case=case, person=hidden).count() == 1  # taken at closure
    body = _page(client, users["key-worker"], case).content.decode()
    assert "Quentin" not in body and "Person Reported Missing" not in body
    assert str(hidden.pk) not in AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_CASE).latest("id").record_ids
    record_name_user(record=hidden, user=users["key-worker"], custodian=users["data-custodian"])
    assert "Quentin" in _page(client, users["key-worker"], case).content.decode()  # control: it was there to hide


def test_a_risk_score_drawing_on_a_hidden_member_is_not_shown():
    from types import SimpleNamespace

    from apps.casework.progress_selectors import snapshot_as_seen

    data = {"risk_scores": [{"code": "risk-missing-person", "name": "Risk", "value": "71.00",
                             "sections": ["missing", "service-involvement"], "family_evidence": [5, 6]}]}
    viewer = SimpleNamespace(sections={"missing", "service-involvement"})
    assert snapshot_as_seen(data, viewer=viewer, visible_ids={5, 6})["risk_scores"]
    assert not snapshot_as_seen(data, viewer=viewer, visible_ids={5})["risk_scores"]
    assert not snapshot_as_seen(data, viewer=SimpleNamespace(sections={"missing"}), visible_ids={5, 6})["risk_scores"]


def test_someone_else_s_case_is_a_404(world, client, make_user):
    other = make_user("key-worker", username="other_key_worker")
    assert _page(client, other, world["case"]).status_code == 404
