"""Writes of the whole-family assessment and outcome plan: confirm or remove a need, record a practitioner's
outcome, complete the assessment, agree the plan.

Each service takes keyword arguments only, runs in one transaction on the locked case, checks the case's
state (``CaseStateError`` otherwise) and records what it did with ``audit_record`` (``case_change``).
``viewer`` is the lead practitioner's view: the members and the data evidence a need is confirmed with
are what they may see (``assessment_selectors``), never more.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from . import services
from .assessment_selectors import ASSESSING, RECORDING, current_members, data_evidence
from .measures import PRACTITIONER, is_data_measure
from .models import Case, CaseNeed
from .services import CaseStateError


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _in(case: Case, states, doing: str) -> None:
    if case.state not in states:
        raise CaseStateError(f"Case {case.reference} is {case.get_state_display().lower()}: {doing} is not possible now")


def _audit(*, case: Case, by, request, details: dict, record_ids=()) -> None:
    audit_record(action=AuditEvent.Action.CASE_CHANGE, request=request, user=by, subject_type="case",
                 subject_id=case.pk, record_ids=[case.family_id, *record_ids], details=details)


NOTE_MAX = 2000  # as the casework forms' free text


def _note(text: str) -> str:
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise CaseStateError(f"Keep the note to {NOTE_MAX:,} characters")
    return text


def _date(value: dt.date | None, what: str) -> dt.date:
    if value is None:
        raise CaseStateError(f"Give the date of {what}")
    if value > timezone.localdate():
        raise CaseStateError(f"The date of {what} cannot be in the future")
    return value


@transaction.atomic
def need_confirm(*, case: Case, need, viewer, person_ids, source: str, measure: str = "", note: str = "",
                 on: dt.date | None = None, request=None) -> CaseNeed:
    """Confirm ``need`` (of the case's framework) for the members ``person_ids``, evidenced from the data (the
    records the lead sees now are kept) or by the practitioner (a note and a date). ``measure`` is the need's
    own measure (default) or ``practitioner``. Confirming a need again replaces its evidence and measure."""
    case = _locked(case)
    _in(case, ASSESSING, "confirming a need")
    if need.headline.framework_id != case.framework_id:
        raise CaseStateError("That need is not in the case's framework")
    members = {p.pk for p in current_members(viewer, case)}
    chosen = {int(p) for p in person_ids}
    if not chosen:
        raise CaseStateError("Choose the family members the need concerns")
    if not chosen <= members:
        raise CaseStateError("Choose current members of the family")
    fields = {"evidence": [], "evidence_note": "", "evidence_date": None}
    if source == CaseNeed.EvidenceSource.DATA:
        records = data_evidence(viewer, case, chosen, [need])[need.pk]
        if not records:
            raise CaseStateError("No records evidence this need for those members: evidence it yourself, with a note and a date")
        fields["evidence"] = [{k: v for k, v in r.items() if k != "indicator_name"} for r in records]
    elif source == CaseNeed.EvidenceSource.PRACTITIONER:
        note = _note(note)
        if not note:
            raise CaseStateError("Say what shows the need")
        fields |= {"evidence_note": note.strip(), "evidence_date": _date(on, "the practitioner's evidence")}
    else:
        raise CaseStateError("Choose how the need is evidenced")
    measure = measure or need.outcome_measure
    if measure not in (need.outcome_measure, PRACTITIONER):
        raise CaseStateError("Measure the outcome by the need's measure or by the practitioner")
    params = need.outcome_params if measure == need.outcome_measure else {}
    case_need, created = CaseNeed.objects.update_or_create(
        case=case, need=need, defaults={
            **fields, "evidence_source": source, "confirmed_by": viewer.user, "confirmed_at": timezone.now(),
            "outcome_measure": measure, "outcome_params": params, "outcome_text": need.outcome_text,
        })
    case_need.persons.set(sorted(chosen))
    _audit(case=case, by=viewer.user, request=request, record_ids=sorted(chosen), details={
        "need": need.code, "confirmed": "new" if created else "again", "evidence": source,
        "records": [r["id"] for r in fields["evidence"]], "measure": measure})
    return case_need


@transaction.atomic
def need_remove(*, case: Case, case_need: CaseNeed, by, request=None) -> None:
    case = _locked(case)
    _in(case, ASSESSING, "removing a need")
    if case_need.case_id != case.pk:
        raise CaseStateError("That need is not on this case")
    code = case_need.need.code
    case_need.delete()
    _audit(case=case, by=by, request=request, details={"need": code, "removed": True})


@transaction.atomic
def outcome_record(*, case: Case, case_need: CaseNeed, by, note: str, on: dt.date | None, request=None) -> CaseNeed:
    """The practitioner's evidence that a practitioner-measured outcome is met: a note and its date."""
    case = _locked(case)
    _in(case, RECORDING, "recording an outcome")
    if case_need.case_id != case.pk:
        raise CaseStateError("That need is not on this case")
    if case_need.outcome_measure != PRACTITIONER:
        raise CaseStateError("This outcome is measured from the data by the nightly check")
    note = _note(note)
    if not note:
        raise CaseStateError("Say what shows the outcome met")
    case_need.outcome_note, case_need.outcome_date = note.strip(), _date(on, "the outcome")
    case_need.save(update_fields=["outcome_note", "outcome_date"])
    _audit(case=case, by=by, request=request, details={"need": case_need.need.code, "outcome": "practitioner",
                                                        "outcome_date": case_need.outcome_date.isoformat()})
    return case_need


@transaction.atomic
def assessment_complete(*, case: Case, by, request=None) -> Case:
    """The assessment is complete: at least one need confirmed. The case moves to assessed."""
    case = _locked(case)
    _in(case, (Case.State.ALLOCATED,), "completing the assessment")
    if not case.needs.exists():
        raise CaseStateError("Confirm at least one need before completing the assessment")
    return services.case_assess(case=case, by=by, request=request)


@transaction.atomic
def plan_agree(*, case: Case, by, next_review_on: dt.date | None, request=None, on: dt.date | None = None) -> Case:
    """The family agreed the outcome plan (``on``, default today): every confirmed need has an outcome and a
    measure; a review is booked."""
    case = _locked(case)
    _in(case, (Case.State.ASSESSED,), "agreeing the plan")
    if next_review_on is None or next_review_on <= timezone.localdate():
        raise CaseStateError("Give a next review date after today")
    needs = list(case.needs.all())
    if not needs:
        raise CaseStateError("The plan has no needs")
    unmeasured = [n for n in needs if n.outcome_measure != PRACTITIONER and not is_data_measure(n.outcome_measure)]
    if unmeasured:
        raise CaseStateError(f"{len(unmeasured)} outcome(s) have no known measure")
    return services.case_agree_plan(case=case, by=by, next_review_on=next_review_on, request=request, on=on)
