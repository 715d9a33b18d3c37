"""Writes to cases: every transition of the state machine and every consent, one service each.

Each service takes keyword arguments only, runs in one transaction, checks that the move is allowed
from the case's current state (``CaseStateError`` otherwise, naming both), writes a
``CaseTransition`` and records it with ``audit_record`` (``case_change``) in the same transaction:
if the audit write fails, nothing changes.

    identified --triage accept--> triaged --consent sought--> consent --allocate--> allocated
      --assess--> assessed --agree plan--> plan_agreed --close--> closed
      --outcome check (refresh)--> outcome_checked --claim--> claimed
    identified --decline (reason)--> declined      identified --not now (reason)--> deferred

Allocation is refused until every adult member has consent recorded as given, unless a statutory
duty to share without consent is recorded with its basis (seed 003).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import Case, CaseTransition, Consent

S = Case.State


class CaseStateError(ValueError):
    """A transition that is not allowed from the case's state, or whose conditions are not met."""


# from-state(s) of each transition
ALLOWED = {
    "accept": (S.IDENTIFIED,),
    "decline": (S.IDENTIFIED,),
    "defer": (S.IDENTIFIED,),
    "seek_consent": (S.TRIAGED,),
    "allocate": (S.CONSENT,),
    "assess": (S.ALLOCATED,),
    "agree_plan": (S.ASSESSED,),
    "close": (S.ALLOCATED, S.ASSESSED, S.PLAN_AGREED),
    "check_outcome": (S.CLOSED,),
    "claim": (S.OUTCOME_CHECKED,),
}
TARGET = {
    "accept": S.TRIAGED, "decline": S.DECLINED, "defer": S.DEFERRED, "seek_consent": S.CONSENT,
    "allocate": S.ALLOCATED, "assess": S.ASSESSED, "agree_plan": S.PLAN_AGREED, "close": S.CLOSED,
    "check_outcome": S.OUTCOME_CHECKED, "claim": S.CLAIMED,
}


def _today() -> dt.date:
    return timezone.localdate()


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _move(*, case: Case, transition: str, by, request=None, reason: str = "", details: dict | None = None,
          fields: dict | None = None) -> Case:
    """Check, move, record and audit one transition of a locked ``case``."""
    if case.state not in ALLOWED[transition]:
        raise CaseStateError(
            f"Case {case.reference} is {case.get_state_display().lower()}: it cannot {transition.replace('_', ' ')} now")
    from_state, case.state = case.state, TARGET[transition]
    for name, value in (fields or {}).items():
        setattr(case, name, value)
    case.save()
    CaseTransition.objects.create(case=case, from_state=from_state, to_state=case.state, at=timezone.now(), by=by,
                                  reason=reason)
    audit_record(action=AuditEvent.Action.CASE_CHANGE, request=request, user=by, subject_type="case",
                 subject_id=case.pk, record_ids=[case.family_id],
                 details={"transition": transition, "from": from_state, "to": case.state, **(details or {})})
    return case


def _next_reference() -> str:
    last = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return f"C{last + 1:06d}"


@transaction.atomic
def case_identify(*, family, by, request=None, on: dt.date | None = None) -> Case:
    """Open a case for ``family`` (identified). Refused if the family already has an open case."""
    from apps.indicators.models import Framework

    if Case.objects.filter(family=family, state__in=Case.OPEN_STATES).exists():
        raise CaseStateError(f"Family {family.reference} already has an open case")
    try:
        with transaction.atomic():
            case = Case.objects.create(reference=_next_reference(), family=family, opened_on=on or _today(),
                                       framework=Framework.objects.filter(is_active=True).first())
    except IntegrityError as exc:  # a concurrent identify of the same family
        raise CaseStateError(f"Family {family.reference} already has an open case") from exc
    CaseTransition.objects.create(case=case, from_state="", to_state=case.state, at=timezone.now(), by=by)
    audit_record(action=AuditEvent.Action.CASE_CHANGE, request=request, user=by, subject_type="case",
                 subject_id=case.pk, record_ids=[family.pk], details={"transition": "identify", "to": case.state})
    return case


@transaction.atomic
def case_triage(*, case: Case, decision: str, by, reason: str = "", request=None) -> Case:
    """A manager's triage: ``accept``, ``decline`` (reason required) or ``defer`` (not now; reason required)."""
    if decision not in ("accept", "decline", "defer"):
        raise CaseStateError(f"Unknown triage decision {decision!r}")
    if decision != "accept" and not reason.strip():
        raise CaseStateError("Give a reason for declining or deferring")
    case = _locked(case)
    fields = {"triage_reason": reason.strip()} if decision != "accept" else {}
    return _move(case=case, transition=decision, by=by, request=request, reason=reason.strip(), fields=fields)


@transaction.atomic
def case_seek_consent(*, case: Case, by, request=None) -> Case:
    return _move(case=_locked(case), transition="seek_consent", by=by, request=request)


def adult_members(case: Case, *, on: dt.date | None = None) -> list:
    """The family's current adult members (consent is sought from them)."""
    from apps.indicators.selectors import current_on_q
    from apps.people.models import FamilyMembership

    memberships = (FamilyMembership.objects.filter(current_on_q(on or _today()), family_id=case.family_id)
                   .exclude(role=FamilyMembership.Role.CHILD).select_related("person").order_by("person_id"))
    return [m.person for m in memberships]


def consent_in_force(case: Case) -> dict[int, Consent]:
    """Each member's newest consent record on this case, by person id."""
    current: dict[int, Consent] = {}
    for consent in case.consents.order_by("recorded_at", "id").prefetch_related("partners"):
        current[consent.person_id] = consent
    return current


def consent_missing(case: Case) -> list:
    """Adults without consent given (none missing when a statutory basis is recorded)."""
    if case.statutory_basis:
        return []
    current = consent_in_force(case)
    return [p for p in adult_members(case)
            if p.pk not in current or current[p.pk].status != Consent.Status.GIVEN]


@transaction.atomic
def consent_record(*, case: Case, person, status: str, recorded_on: dt.date, by, partners=(), note: str = "",
                   request=None) -> Consent:
    """Record one member's consent (given, refused or withdrawn) with its scope. Withdrawal takes effect at once:
    sharing with partners stops (the newest row is what every sharing check reads)."""
    from apps.people.models import FamilyMembership

    case = _locked(case)
    if not case.is_open:
        raise CaseStateError(f"Case {case.reference} is {case.get_state_display().lower()}: consent is recorded on open cases")
    if status not in Consent.Status.values:
        raise CaseStateError(f"Unknown consent status {status!r}")
    if not FamilyMembership.objects.filter(family_id=case.family_id, person=person).exists():
        raise CaseStateError("Consent is recorded for members of the case's family")
    if recorded_on > _today():
        raise CaseStateError("The date consent was given, refused or withdrawn cannot be in the future")
    consent = Consent.objects.create(case=case, person=person, status=status, recorded_on=recorded_on, recorded_by=by,
                                     recorded_at=timezone.now(), note=note.strip())
    partners = list(partners) if status == Consent.Status.GIVEN else []
    consent.partners.set(partners)
    audit_record(action=AuditEvent.Action.CASE_CHANGE, request=request, user=by, subject_type="case",
                 subject_id=case.pk, record_ids=[person.pk],
                 details={"consent": status, "partners": sorted(p.code for p in partners)})
    from . import signals

    signals.consent_changed.send(sender=Consent, case=case, consent=consent)
    return consent


@transaction.atomic
def statutory_basis_record(*, case: Case, basis: str, by, request=None) -> Case:
    """Record a statutory duty to share without consent, with its legal basis."""
    if not basis.strip():
        raise CaseStateError("Give the statutory basis for sharing without consent")
    case = _locked(case)
    if not case.is_open:
        raise CaseStateError(
            f"Case {case.reference} is {case.get_state_display().lower()}: a statutory basis is recorded on open cases")
    case.statutory_basis, case.statutory_recorded_by, case.statutory_recorded_at = basis.strip(), by, timezone.now()
    case.save(update_fields=["statutory_basis", "statutory_recorded_by", "statutory_recorded_at", "updated_at"])
    audit_record(action=AuditEvent.Action.CASE_CHANGE, request=request, user=by, subject_type="case",
                 subject_id=case.pk, record_ids=[case.family_id], details={"statutory_basis": True})
    return case


@transaction.atomic
def case_allocate(*, case: Case, lead, team, by, request=None, on: dt.date | None = None) -> Case:
    """Allocate a lead practitioner (a user who may work cases) in ``team``. Refused while an adult's consent
    is missing and no statutory basis is recorded."""
    from apps.accounts.access import CASEWORK, Viewer

    case = _locked(case)
    if consent_missing(case):
        # no count and no names: the adults counted here include any the reader may not see (non-interference)
        raise CaseStateError("Consent is not recorded as given for every adult in the family, and no statutory "
                             "basis to share without consent is recorded")
    if not any(CASEWORK in r.capabilities for r in Viewer.for_user(lead).access.roles):
        raise CaseStateError(f"{lead.get_username()} has no role that works cases")
    if not team.memberships.filter(user=lead).exists():
        raise CaseStateError(f"{lead.get_username()} is not a member of {team.name}")
    case = _move(case=case, transition="allocate", by=by, request=request, details={"lead": lead.pk, "team": team.pk},
                 fields={"lead_practitioner": lead, "team": team, "allocated_on": on or _today()})
    from . import signals

    signals.case_allocated.send(sender=Case, case=case)
    return case


@transaction.atomic
def case_assess(*, case: Case, by, request=None) -> Case:
    return _move(case=_locked(case), transition="assess", by=by, request=request)


@transaction.atomic
def case_agree_plan(*, case: Case, by, next_review_on: dt.date, request=None, on: dt.date | None = None) -> Case:
    return _move(case=_locked(case), transition="agree_plan", by=by, request=request,
                 fields={"plan_agreed_on": on or _today(), "next_review_on": next_review_on})


@transaction.atomic
def case_close(*, case: Case, reason: str, by, request=None, on: dt.date | None = None, note: str = "") -> Case:
    if reason not in Case.CloseReason.values:
        raise CaseStateError("Choose why the case is closing")
    case = _move(case=_locked(case), transition="close", by=by, request=request, reason=note.strip(),
                 details={"reason": reason}, fields={"close_reason": reason, "closed_on": on or _today(),
                                                     "next_review_on": None})
    from . import signals

    signals.case_closed.send(sender=Case, case=case)
    return case


@transaction.atomic
def case_outcome_checked(*, case: Case, on: dt.date, by=None, request=None, details: dict | None = None) -> Case:
    """The refresh (or a programme manager) has decided every need's sustained outcome."""
    return _move(case=_locked(case), transition="check_outcome", by=by, request=request, details=details,
                 fields={"outcome_checked_on": on})


@transaction.atomic
def cases_outcome_checked(*, cases, on: dt.date, by=None, request=None, details: dict | None = None) -> int:
    """The nightly check's form of ``case_outcome_checked`` for many closed cases at once: the same checks and
    transitions (one ``CaseTransition`` each), in bulk, recorded as ONE ``case_change`` event naming every case
    (``record_ids``), since thousands of chained audit writes would not fit the refresh's time. Returns the count."""
    ids = sorted(c.pk for c in cases)
    locked = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    wrong = [c for c in locked if c.state not in ALLOWED["check_outcome"]]
    if wrong or len(locked) != len(ids):
        raise CaseStateError(f"{len(wrong) or len(ids) - len(locked)} case(s) are not closed: no outcome can be checked")
    now = timezone.now()
    Case.objects.filter(pk__in=ids).update(state=S.OUTCOME_CHECKED, outcome_checked_on=on, updated_at=now)
    CaseTransition.objects.bulk_create(
        [CaseTransition(case_id=pk, from_state=S.CLOSED, to_state=S.OUTCOME_CHECKED, at=now, by=by) for pk in ids],
        batch_size=2000)
    if ids:
        audit_record(action=AuditEvent.Action.CASE_CHANGE, request=request, user=by, subject_type="case",
                     subject_id=ids[0] if len(ids) == 1 else "", record_ids=ids,
                     details={"transition": "check_outcome", "from": S.CLOSED, "to": S.OUTCOME_CHECKED,
                              "cases": len(ids), **(details or {})})
    return len(ids)


@transaction.atomic
def case_claim(*, case: Case, by, request=None, on: dt.date | None = None, details: dict | None = None) -> Case:
    return _move(case=_locked(case), transition="claim", by=by, request=request, details=details,
                 fields={"claimed_on": on or _today()})


@transaction.atomic
def team_member_add(*, case: Case, by, name: str, agency: str, role: str, date_from: dt.date, organisation=None,
                    email: str = "", phone: str = "", date_to: dt.date | None = None, request=None):
    """Add a professional to the case's team around the family (by hand), with how to reach them."""
    from .models import TeamMember

    if date_from > _today():
        raise CaseStateError("The date they started working with the family cannot be in the future")
    if date_to is not None and date_to < date_from:
        raise CaseStateError("The end date must be on or after the start date")
    member = TeamMember.objects.create(case=case, name=name.strip(), agency=agency.strip(), role=role.strip(),
                                       organisation=organisation, email=email.strip(), phone=phone.strip(),
                                       date_from=date_from, date_to=date_to, added_by=by, added_at=timezone.now())
    audit_record(action=AuditEvent.Action.CASE_CHANGE, request=request, user=by, subject_type="case",
                 subject_id=case.pk, record_ids=[case.family_id], details={"team_member_added": member.pk})
    return member
