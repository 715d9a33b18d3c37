"""Test data for results claims: a framework with needs, and cases whose outcomes have been checked, made directly
with the models (the state machine's own tests walk the services)."""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import count

from django.utils import timezone

from apps.casework.models import Case, CaseNeed, CaseTransition
from apps.indicators.models import Framework, FrameworkHeadline, FrameworkNeed

_refs = count(1)

NEEDS = (
    ("education", "Getting a good education", "attendance", "Attendance below 90%", "attendance-three-terms",
     {"threshold": 90, "terms": 3}, "Attends at least 90% across the last three full terms"),
    ("crime", "Crime prevention and tackling crime", "offending", "Offending in the last 12 months", "no-offence",
     {"months": 6}, "No police-recorded offence or ASB for six months"),
    ("da", "Safe from domestic abuse", "da-incident", "Domestic abuse incident", "no-da-incident", {"months": 6},
     "No domestic abuse incident for six months"),
)


def framework() -> Framework:
    fw, _ = Framework.objects.get_or_create(code="claims-test", defaults={
        "name": "Claims test framework", "count_of": "needs", "eligible_min": 3})
    for order, (h_code, h_name, code, name, measure, params, text) in enumerate(NEEDS):
        headline, _ = FrameworkHeadline.objects.get_or_create(framework=fw, code=h_code,
                                                              defaults={"name": h_name, "order": order})
        FrameworkNeed.objects.get_or_create(headline=headline, code=code, defaults={
            "name": name, "outcome_measure": measure, "outcome_params": params, "outcome_text": text, "order": 0})
    return fw


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def _evidence(need, outcome, closed_on: date, records) -> dict:
    """``outcome_evidence`` as the nightly outcome check writes it (``apps.casework.outcomes``)."""
    def verdict(achieved, window, found):
        return {"measure": need.outcome_measure, "achieved": achieved, "rule": need.outcome_text, "window": window,
                "records": list(found), "figures": [], "reason": ""}

    after = {"from": str(closed_on), "to": str(date(closed_on.year + 1, 1, 1))}
    return {"checked_on": str(closed_on), "kind": "sustained", "sustain_months": 6, "closed_on": str(closed_on),
            "achieved": verdict(outcome != "not_met", {"from": "2025-01-01", "to": str(closed_on)}, ()),
            "sustained": verdict(outcome == "met", after, records), "sustained_rule": "The measure met over the sustain period"}


def checked_case(family, *, by, outcomes=("met", "met", "met"), persons=(), team=None, lead=None,
                 opened_on=date(2025, 1, 10), allocated_on=date(2025, 2, 3), closed_on=date(2025, 6, 30),
                 checked_on=date(2026, 1, 5), state=Case.State.OUTCOME_CHECKED, entry_records=(), outcome_records=()):
    """A case of ``family`` past its outcome check, one ``CaseNeed`` per entry of ``outcomes``: ``met`` (achieved and
    sustained), ``not_sustained`` (achieved, not sustained) or ``not_met``."""
    fw = framework()
    case = Case.objects.create(
        reference=f"CL{next(_refs):05d}", family=family, framework=fw, state=state, team=team, lead_practitioner=lead,
        opened_on=opened_on, allocated_on=allocated_on, plan_agreed_on=allocated_on, closed_on=closed_on,
        close_reason=Case.CloseReason.OUTCOMES_MET, outcome_checked_on=checked_on)
    for from_state, to_state, day in (("", "identified", opened_on), ("consent", "allocated", allocated_on),
                                      ("plan_agreed", "closed", closed_on), ("closed", "outcome_checked", checked_on)):
        CaseTransition.objects.create(case=case, from_state=from_state, to_state=to_state, at=at(day), by=by)
    needs = list(FrameworkNeed.objects.filter(headline__framework=fw).order_by("headline__order"))
    for need, outcome in zip(needs, outcomes, strict=False):
        status = CaseNeed.Outcome.NOT_MET if outcome == "not_met" else CaseNeed.Outcome.ACHIEVED
        case_need = CaseNeed.objects.create(
            case=case, need=need, evidence_source=CaseNeed.EvidenceSource.DATA, evidence=list(entry_records),
            confirmed_by=by, confirmed_at=at(allocated_on), outcome_measure=need.outcome_measure,
            outcome_params=need.outcome_params, outcome_text=need.outcome_text, outcome_status=status,
            outcome_checked_at=at(checked_on), sustained={"met": True, "not_sustained": False}.get(outcome),
            outcome_evidence=_evidence(need, outcome, closed_on, outcome_records))
        case_need.persons.set(persons)
    return case
