"""The whole-family assessment and outcome plan: data evidence per need as the viewer may see it, confirming
needs (data or practitioner), outcomes and their measures, completing the assessment and agreeing the plan;
refusals (not the lead: 404; wrong state or missing evidence: the error shown)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role
from apps.audit.models import AuditEvent
from apps.casework.models import Case, CaseNeed
from apps.indicators.models import FrameworkNeed
from tests import factories
from tests.casework import outcomes_world as world

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(users):
    fw = world.framework()
    fam, mum, child = world.family()
    c = world.case(fam, fw, state=Case.State.ALLOCATED, lead=users["key-worker"])
    da = factories.indicator(mum, "victim-of-dva", on=date(2025, 11, 2), dataset_code="asc-domestic-abuse")
    health = factories.indicator(mum, "mental-health-concern", on=date(2025, 10, 5), notes="Low mood",
                                 dataset_code="bcc-mental-health")
    needs = {n.code: n for n in FrameworkNeed.objects.filter(headline__framework=fw)}
    return {"case": c, "mum": mum, "child": child, "da": da, "health": health, "needs": needs}


def url(name, c):
    return reverse(name, kwargs={"pk": c.pk})


def test_the_lead_sees_each_headline_and_need_with_its_data_evidence_and_the_read_is_audited(plan, client_as, users):
    response = client_as("key-worker").get(url("casework:case_plan", plan["case"]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Crime", "Domestic abuse", "Victim of DVA", "asc-domestic-abuse", "2025-11-02",
                 "Kerry Oakfield", "Complete the assessment", "Assessment and plan", "Mental Health Concern", "2025-10-05"):
        assert text in body, text
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_CASE).latest("id")
    assert (event.subject_type, event.subject_id) == ("case", str(plan["case"].pk))


def test_evidence_in_a_section_the_viewer_does_not_see_leaves_no_trace(plan, client_as, users):
    Role.objects.get(slug="key-worker").sections.remove(*Role.objects.get(slug="key-worker").sections.filter(code="health"))
    client = client_as("key-worker")
    body = client.get(url("casework:case_plan", plan["case"])).content.decode()
    assert "Mental Health Concern" not in body and "bcc-mental-health" not in body and "2025-10-05" not in body
    need = body[body.index(f'id="need-{plan["needs"]["mental-health"].pk}"'):]
    need = need[:need.index("</h3>")]
    assert "Evidence in the data" not in need  # the framework's need is listed, as unevidenced
    # nor can the need be confirmed from it
    response = client.post(url("casework:plan_need_confirm", plan["case"]), {
        "need": plan["needs"]["mental-health"].pk, "persons": [plan["mum"].pk], "source": "data"})
    assert response.status_code == 400 and "No records evidence this need" in response.content.decode()
    assert not CaseNeed.objects.exists()


def test_a_confirmed_data_need_shows_only_the_records_the_viewer_sees(plan, users, client_as):
    from apps.accounts.access import Viewer
    from apps.casework import assessment

    assessment.need_confirm(case=plan["case"], need=plan["needs"]["mental-health"], viewer=Viewer.for_user(users["key-worker"]),
                            person_ids=[plan["mum"].pk], source="data")
    Role.objects.get(slug="early-help-manager").sections.remove(
        *Role.objects.get(slug="early-help-manager").sections.filter(code="health"))
    body = client_as("early-help-manager").get(url("casework:case_plan", plan["case"])).content.decode()
    assert "2025-10-05" not in body and "bcc-mental-health" not in body and "From the data" not in body


def test_the_lead_confirms_needs_from_the_data_and_by_practitioner_then_completes_and_agrees_the_plan(plan, client_as,
                                                                                                      users):
    client, c = client_as("key-worker"), plan["case"]
    response = client.post(url("casework:plan_need_confirm", c), {
        "need": plan["needs"]["domestic-abuse"].pk, "persons": [plan["mum"].pk], "source": "data",
        "measure": "no-da-incident"})
    assert response.status_code == 302 and response["Location"] == url("casework:case_plan", c)
    da = CaseNeed.objects.get(case=c, need=plan["needs"]["domestic-abuse"])
    assert da.evidence_source == "data" and da.outcome_measure == "no-da-incident" and da.outcome_params == {"months": 6}
    assert [(r["id"], r["indicator"], r["dataset"], r["date"], r["person"]) for r in da.evidence] == [
        (plan["da"].pk, "victim-of-dva", "asc-domestic-abuse", "2025-11-02", plan["mum"].pk)]
    change = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_CHANGE).latest("id")
    assert change.subject_id == str(c.pk) and change.details["need"] == "domestic-abuse"

    client.post(url("casework:plan_need_confirm", c), {
        "need": plan["needs"]["offending"].pk, "persons": [plan["child"].pk], "source": "practitioner",
        "note": "Told us at the first visit", "on": "2025-11-20", "measure": "practitioner"})
    offending = CaseNeed.objects.get(case=c, need=plan["needs"]["offending"])
    assert (offending.evidence_note, offending.evidence_date, offending.outcome_measure) == (
        "Told us at the first visit", date(2025, 11, 20), "practitioner")

    assert client.post(url("casework:plan_assessment_complete", c)).status_code == 302
    c.refresh_from_db()
    assert c.state == Case.State.ASSESSED
    review = timezone.localdate() + timedelta(days=28)
    assert client.post(url("casework:plan_agree", c), {"next_review_on": review.isoformat()}).status_code == 302
    c.refresh_from_db()
    assert (c.state, c.next_review_on) == (Case.State.PLAN_AGREED, review)

    client.post(url("casework:plan_outcome_record", c), {"case_need": offending.pk, "note": "No further incidents",
                                                         "on": timezone.localdate().isoformat()})
    offending.refresh_from_db()
    assert (offending.outcome_note, offending.outcome_date) == ("No further incidents", timezone.localdate())
    # a data-measured outcome is not recorded by hand
    response = client.post(url("casework:plan_outcome_record", c), {"case_need": da.pk, "note": "Fine", "on": "2025-12-01"})
    assert response.status_code == 400 and "measured from the data" in response.content.decode()


@pytest.mark.parametrize("role", ["social-worker", "early-help-manager", "programme-manager", "first-response"])
def test_only_the_lead_practitioner_may_change_the_plan(plan, client_as, role):
    client = client_as(role)
    for name in ("casework:plan_need_confirm", "casework:plan_need_remove", "casework:plan_outcome_record",
                 "casework:plan_assessment_complete", "casework:plan_agree"):
        response = client.post(url(name, plan["case"]), {"need": plan["needs"]["domestic-abuse"].pk,
                                                         "persons": [plan["mum"].pk], "source": "data"})
        assert response.status_code == 404, (role, name)
    assert not CaseNeed.objects.exists()
    assert Case.objects.get(pk=plan["case"].pk).state == Case.State.ALLOCATED


def test_a_step_in_the_wrong_state_is_refused_with_the_reason_shown(plan, client_as):
    client, c = client_as("key-worker"), plan["case"]
    response = client.post(url("casework:plan_assessment_complete", c))
    assert response.status_code == 400 and "Confirm at least one need" in response.content.decode()
    response = client.post(url("casework:plan_agree", c), {"next_review_on": "2099-01-01"})
    assert response.status_code == 400 and "agreeing the plan is not possible now" in response.content.decode()
    Case.objects.filter(pk=c.pk).update(state=Case.State.CLOSED)
    response = client.post(url("casework:plan_need_confirm", c), {
        "need": plan["needs"]["domestic-abuse"].pk, "persons": [plan["mum"].pk], "source": "data"})
    assert response.status_code == 400 and "confirming a need is not possible now" in response.content.decode()
    assert not CaseNeed.objects.exists()


def test_practitioner_evidence_needs_a_note_and_a_past_date_and_members_of_the_family(plan, client_as):
    client, c = client_as("key-worker"), plan["case"]
    need = plan["needs"]["family-relationships"].pk
    stranger = factories.person(forename="Stella", surname="Elsewhere")
    for data, message in (
        ({"persons": [plan["mum"].pk], "source": "practitioner", "on": "2025-11-01"}, "Say what shows the need"),
        ({"persons": [plan["mum"].pk], "source": "practitioner", "note": "Rows"}, "Give the date"),
        ({"persons": [plan["mum"].pk], "source": "practitioner", "note": "Rows",
          "on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "cannot be in the future"),
        ({"persons": [stranger.pk], "source": "practitioner", "note": "Rows", "on": "2025-11-01"}, "current members"),
        ({"source": "practitioner", "note": "Rows", "on": "2025-11-01"}, "Choose the family members"),
    ):
        response = client.post(url("casework:plan_need_confirm", c), {"need": need, **data})
        assert response.status_code == 400 and message in response.content.decode(), message
    assert not CaseNeed.objects.exists()


def test_a_need_is_removed_while_assessing(plan, client_as, users):
    client, c = client_as("key-worker"), plan["case"]
    client.post(url("casework:plan_need_confirm", c), {
        "need": plan["needs"]["domestic-abuse"].pk, "persons": [plan["mum"].pk], "source": "data"})
    cn = CaseNeed.objects.get()
    assert client.post(url("casework:plan_need_remove", c), {"case_need": cn.pk}).status_code == 302
    assert not CaseNeed.objects.exists()
