"""The nightly outcome check: progress of open plans, the sustained decision six months (configurable) after
closure, at its boundary, practitioner outcomes, and a full refresh that moves a closed case to outcome checked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from apps.audit.models import AuditEvent
from apps.casework.models import Case, CaseNeed, CaseTransition
from apps.casework.outcomes import outcomes_check
from apps.indicators.services import indicators_refresh
from tests import factories
from tests.casework import outcomes_world as world

pytestmark = pytest.mark.django_db

CLOSED = date(2025, 3, 31)  # six months later: 30 September 2025 (day 183 after closure)
DUE = date(2025, 9, 30)


@pytest.fixture
def closed(users):
    fw = world.framework()
    fam, mum, child = world.family()
    c = world.case(fam, fw, state=Case.State.CLOSED, closed_on=CLOSED, lead=users["key-worker"])
    offending = world.need(c, "offending", [mum, child], users["key-worker"])
    return {"case": c, "mum": mum, "child": child, "offending": offending, "by": users["key-worker"]}


def test_a_closed_case_is_not_checked_before_its_sustain_period_ends(closed):
    assert outcomes_check(as_of=DUE - timedelta(days=1)) == {"outcome_needs_measured": 0, "outcome_cases_checked": 0}
    closed["case"].refresh_from_db()
    assert closed["case"].state == Case.State.CLOSED


def test_no_offence_after_closure_up_to_day_184_is_achieved_and_sustained(closed):
    factories.indicator(closed["mum"], "person-committed-offence", on=CLOSED + timedelta(days=184),
                        dataset_code="asc-offenders")
    factories.indicator(closed["child"], "person-committed-asb", on=CLOSED - timedelta(days=200),
                        dataset_code="asc-asb-incidents")  # before the six months up to closure
    assert outcomes_check(as_of=DUE + timedelta(days=5))["outcome_cases_checked"] == 1
    need = CaseNeed.objects.get(pk=closed["offending"].pk)
    assert need.outcome_status == CaseNeed.Outcome.ACHIEVED and need.sustained is True and need.is_met
    evidence = need.outcome_evidence
    assert evidence["closed_on"] == "2025-03-31" and evidence["sustain_months"] == 6
    assert evidence["sustained"]["window"] == {"from": "2025-04-01", "to": "2025-09-30"}
    assert evidence["achieved"]["window"] == {"from": "2024-10-01", "to": "2025-03-31"}
    assert evidence["sustained"]["records"] == [] and "person-committed-offence" in evidence["sustained"]["rule"]
    c = Case.objects.get(pk=closed["case"].pk)
    assert c.state == Case.State.OUTCOME_CHECKED and c.outcome_checked_on == DUE + timedelta(days=5)
    assert CaseTransition.objects.filter(case=c, to_state=Case.State.OUTCOME_CHECKED).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CASE_CHANGE, subject_type="case", subject_id=str(c.pk),
                                     details__transition="check_outcome").exists()


def test_an_offence_on_day_182_after_closure_is_not_sustained_with_the_record_as_evidence(closed):
    offence = factories.indicator(closed["mum"], "person-committed-offence", on=CLOSED + timedelta(days=182),
                                  dataset_code="asc-offenders")
    outcomes_check(as_of=DUE)
    need = CaseNeed.objects.get(pk=closed["offending"].pk)
    assert need.outcome_status == CaseNeed.Outcome.ACHIEVED and need.sustained is False and not need.is_met
    [record] = need.outcome_evidence["sustained"]["records"]
    assert record["id"] == offence.pk and record["date"] == "2025-09-29" and record["dataset"] == "asc-offenders"
    assert Case.objects.get(pk=closed["case"].pk).state == Case.State.OUTCOME_CHECKED


def test_the_sustain_period_is_configurable(closed, settings):
    settings.CASEWORK_SUSTAIN_MONTHS = 12
    assert outcomes_check(as_of=DUE)["outcome_cases_checked"] == 0
    assert outcomes_check(as_of=date(2026, 3, 31))["outcome_cases_checked"] == 1
    evidence = CaseNeed.objects.get(pk=closed["offending"].pk).outcome_evidence
    assert evidence["sustained"]["window"] == {"from": "2025-04-01", "to": "2026-03-31"}


def test_a_practitioner_outcome_is_achieved_with_note_and_date_and_sustained_unless_the_data_contradicts_it(closed):
    c, by, mum = closed["case"], closed["by"], closed["mum"]
    relationships = world.need(c, "family-relationships", [mum], by, note="Parents attend the course together",
                               noted_on=date(2025, 3, 1))
    # the practitioner evidences a need the framework measures from police data: that data may contradict them
    switched = world.need(c, "domestic-abuse", [mum], by, measure="practitioner", params={},
                          note="Safety plan in place", noted_on=date(2025, 3, 10))
    unrecorded = world.need(c, "missing", [mum], by, measure="practitioner", params={})
    factories.indicator(mum, "victim-of-dva", on=date(2025, 6, 1), dataset_code="asc-domestic-abuse")
    outcomes_check(as_of=DUE)
    relationships.refresh_from_db(), switched.refresh_from_db(), unrecorded.refresh_from_db()
    assert relationships.outcome_status == "achieved" and relationships.sustained is True
    assert relationships.outcome_evidence["achieved"]["records"][0]["note"] == "Parents attend the course together"
    assert switched.outcome_status == "achieved" and switched.sustained is False
    assert switched.outcome_evidence["sustained"]["records"][0]["indicator"] == "victim-of-dva"
    assert unrecorded.outcome_status == "not_met" and unrecorded.sustained is False
    assert unrecorded.outcome_evidence["achieved"]["reason"] == "No practitioner note and date recorded"


def test_open_plans_are_measured_over_the_window_ending_as_of(users):
    fw = world.framework()
    fam, mum, child = world.family()
    c = world.case(fam, fw, state=Case.State.PLAN_AGREED, lead=users["key-worker"])
    da = world.need(c, "domestic-abuse", [mum], users["key-worker"])
    benefits = world.need(c, "worklessness", [mum], users["key-worker"])
    attendance = world.need(c, "school-attendance", [child], users["key-worker"])
    factories.indicator(mum, "out-of-work-benefits", on=date(2025, 5, 1), dataset_code="dwp-out-of-work-benefits")
    factories.indicator(mum, "victim-of-dva", on=date(2024, 12, 1), dataset_code="asc-domestic-abuse")
    assert outcomes_check(as_of=date(2025, 6, 15)) == {"outcome_needs_measured": 3, "outcome_cases_checked": 0}
    da.refresh_from_db(), benefits.refresh_from_db(), attendance.refresh_from_db()
    assert da.outcome_status == "progressing" and da.outcome_evidence["progress"]["window"]["from"] == "2024-12-16"
    assert benefits.outcome_status == "not_met"
    assert attendance.outcome_status == "pending" and "No attendance recorded" in attendance.outcome_evidence["progress"]["reason"]
    assert Case.objects.get(pk=c.pk).state == Case.State.PLAN_AGREED


def test_a_full_refresh_moves_a_closed_case_to_outcome_checked_with_the_evidence_and_shows_progress(closed):
    factories.indicator(closed["mum"], "person-committed-offence", on=CLOSED + timedelta(days=100),
                        dataset_code="asc-offenders")
    stages = []
    run = indicators_refresh(as_of=DUE, progress=lambda stage, **figures: stages.append((stage, figures)))
    assert run.counts["outcome_cases_checked"] == 1
    assert ("outcomes", {"closed_cases_checked": 1}) in stages
    need = CaseNeed.objects.get(pk=closed["offending"].pk)
    assert need.sustained is False and need.outcome_evidence["sustained"]["records"][0]["date"] == "2025-07-09"
    assert Case.objects.get(pk=closed["case"].pk).state == Case.State.OUTCOME_CHECKED


def test_a_one_family_refresh_leaves_outcomes_to_the_full_refresh(closed):
    run = indicators_refresh(family_reference=closed["case"].family.reference, as_of=DUE)
    assert "outcome_cases_checked" not in run.counts
    assert Case.objects.get(pk=closed["case"].pk).state == Case.State.CLOSED


def test_many_due_cases_move_together_with_a_transition_each_and_one_audit_event_naming_them(closed, users):
    fw = closed["case"].framework
    fam2, mum2, _ = world.family(reference="F070002")
    other = world.case(fam2, fw, state=Case.State.CLOSED, closed_on=CLOSED - timedelta(days=30), reference="C070002")
    world.need(other, "domestic-abuse", [mum2], users["key-worker"])
    before = AuditEvent.objects.count()
    assert outcomes_check(as_of=DUE)["outcome_cases_checked"] == 2
    assert set(Case.objects.values_list("state", flat=True)) == {Case.State.OUTCOME_CHECKED}
    assert CaseTransition.objects.filter(to_state=Case.State.OUTCOME_CHECKED).count() == 2
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_CHANGE).order_by("-id")[:AuditEvent.objects.count() - before]
    assert sorted(event.record_ids) == sorted([str(closed["case"].pk), str(other.pk)])
    assert event.details["cases"] == 2 and event.details["needs"] == 2


def test_the_bulk_transition_refuses_a_case_that_is_not_closed(closed):
    from apps.casework.services import CaseStateError, cases_outcome_checked

    Case.objects.filter(pk=closed["case"].pk).update(state=Case.State.PLAN_AGREED)
    with pytest.raises(CaseStateError):
        cases_outcome_checked(cases=[closed["case"]], on=DUE)
    assert not CaseTransition.objects.exists()
