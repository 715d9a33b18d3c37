"""Every transition of the case state machine, and its refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.casework.models import Case, CaseTransition
from apps.casework.services import (
    CaseStateError,
    case_agree_plan,
    case_allocate,
    case_assess,
    case_close,
    case_identify,
    case_triage,
    statutory_basis_record,
)
from tests.casework.conftest import adults_of, allocate_with_consent

pytestmark = pytest.mark.django_db


def test_the_whole_journey_is_recorded_with_who_and_why(allocated_case, users):
    key_worker = users["key-worker"]
    case = case_assess(case=allocated_case, by=key_worker)
    case = case_agree_plan(case=case, by=key_worker, next_review_on=timezone.localdate() + dt.timedelta(days=90))
    case = case_close(case=case, reason="outcomes_met", note="All agreed", by=key_worker)
    assert case.state == Case.State.CLOSED and case.closed_on == timezone.localdate() and case.next_review_on is None
    moves = list(CaseTransition.objects.filter(case=case).values_list("from_state", "to_state"))
    assert moves == [("", "identified"), ("identified", "triaged"), ("triaged", "consent"), ("consent", "allocated"),
                     ("allocated", "assessed"), ("assessed", "plan_agreed"), ("plan_agreed", "closed")]
    assert CaseTransition.objects.get(case=case, to_state="closed").reason == "All agreed"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CASE_CHANGE, subject_id=str(case.pk)).count() >= 7


def test_decline_and_not_now_need_a_reason(identified_case, users):
    manager = users["early-help-manager"]
    for decision in ("decline", "defer"):
        with pytest.raises(CaseStateError, match="reason"):
            case_triage(case=identified_case, decision=decision, reason="  ", by=manager)
    case = case_triage(case=identified_case, decision="decline", reason="Already supported by CAMHS", by=manager)
    assert (case.state, case.triage_reason) == (Case.State.DECLINED, "Already supported by CAMHS")


def test_a_declined_case_is_history_and_the_family_can_be_identified_again(identified_case, users, case_family):
    manager = users["early-help-manager"]
    case_triage(case=identified_case, decision="defer", reason="Review after the summer", by=manager)
    again = case_identify(family=case_family["family"], by=manager)
    assert again.pk != identified_case.pk and again.state == Case.State.IDENTIFIED


def test_a_second_open_case_is_refused(identified_case, users, case_family):
    with pytest.raises(CaseStateError, match="already has an open case"):
        case_identify(family=case_family["family"], by=users["early-help-manager"])


def test_allocation_without_consent_is_refused(consent_case, team, users):
    with pytest.raises(CaseStateError, match="Consent is not recorded as given for every adult"):
        case_allocate(case=consent_case, lead=users["key-worker"], team=team, by=users["early-help-manager"])
    consent_case.refresh_from_db()
    assert consent_case.state == Case.State.CONSENT and consent_case.lead_practitioner is None


def test_allocation_with_a_statutory_basis_needs_no_consent(consent_case, team, users):
    manager = users["early-help-manager"]
    statutory_basis_record(case=consent_case, basis="Children Act 1989 s.47 enquiry", by=manager)
    case = case_allocate(case=consent_case, lead=users["key-worker"], team=team, by=manager)
    assert case.state == Case.State.ALLOCATED and case.lead_practitioner == users["key-worker"]


def test_allocation_to_someone_outside_the_team_or_who_does_not_work_cases_is_refused(consent_case, team, users):
    from apps.accounts.models import TeamMembership
    from apps.casework.services import consent_record

    manager = users["early-help-manager"]
    for adult in adults_of(consent_case.family):
        consent_record(case=consent_case, person=adult, status="given", recorded_on=timezone.localdate(), by=manager)
    with pytest.raises(CaseStateError, match="not a member"):
        case_allocate(case=consent_case, lead=users["social-worker"], team=team, by=manager)
    TeamMembership.objects.create(team=team, user=users["analyst"])
    with pytest.raises(CaseStateError, match="no role that works cases"):
        case_allocate(case=consent_case, lead=users["analyst"], team=team, by=manager)


def test_steps_out_of_order_are_refused(identified_case, allocated_case, users):
    manager = users["early-help-manager"]
    with pytest.raises(CaseStateError, match="cannot agree plan"):
        case_agree_plan(case=allocated_case, by=manager, next_review_on=timezone.localdate())
    with pytest.raises(CaseStateError, match="cannot accept"):
        case_triage(case=allocated_case, decision="accept", by=manager)


def test_closing_needs_a_reason_and_an_allocated_case(identified_case, allocated_case, users):
    with pytest.raises(CaseStateError, match="Choose why"):
        case_close(case=allocated_case, reason="", by=users["key-worker"])


def test_an_identified_case_cannot_be_closed(case_family, users):
    case = case_identify(family=case_family["family"], by=users["early-help-manager"])
    with pytest.raises(CaseStateError, match="cannot close"):
        case_close(case=case, reason="other", by=users["early-help-manager"])


def test_allocate_with_consent_helper_reaches_allocated(case_family, team, users):
    case = case_identify(family=case_family["family"], by=users["early-help-manager"])
    case = allocate_with_consent(case=case, lead=users["key-worker"], team=team, by=users["early-help-manager"])
    assert case.state == Case.State.ALLOCATED
