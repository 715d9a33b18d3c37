"""Writes for results claims: submitting a claim, and a manager's discretionary override of a need.

Each takes keyword arguments only, runs in one transaction with the case locked, and records itself
with ``audit_record(action=CLAIM)`` in that transaction: if the audit write fails, nothing changes.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .claim_selectors import evidence_pack, need_state, quarter_of
from .models import Case, CaseNeed, Claim
from .services import CaseStateError, case_claim


class ClaimRefused(CaseStateError):
    """A claim or override that is not allowed: the case is not checked, or a need is not met."""


@transaction.atomic
def claim_submit(*, case: Case, by, request=None, on: dt.date | None = None) -> Claim:
    """Submit (record) the results claim for ``case``: refused unless its outcomes have been checked and every
    identified need is met. Keeps the evidence pack as it is now and moves the case to claimed."""
    case = Case.objects.select_for_update(of=("self",)).select_related("family", "framework").get(pk=case.pk)
    if case.state != Case.State.OUTCOME_CHECKED:
        raise ClaimRefused(f"Case {case.reference} is {case.get_state_display().lower()}: only a case whose "
                           "outcomes have been checked can be claimed")
    needs = list(case.needs.select_related("need"))
    if not needs:
        raise ClaimRefused(f"Case {case.reference} has no identified needs to claim for")
    unmet = [n for n in needs if not n.is_met]
    if unmet:
        raise ClaimRefused(f"Case {case.reference} cannot be claimed: " + "; ".join(
            f"{n.need.name} ({need_state(n).lower()})" for n in unmet))
    on = on or timezone.localdate()
    claim = Claim.objects.create(case=case, quarter=quarter_of(on), submitted_by=by, submitted_at=timezone.now(),
                                 evidence=evidence_pack(case))
    case_claim(case=case, by=by, request=request, on=on, details={"claim": claim.pk, "quarter": claim.quarter})
    audit_record(action=AuditEvent.Action.CLAIM, request=request, user=by, subject_type="case", subject_id=case.pk,
                 record_ids=[case.family_id],
                 details={"claim": claim.pk, "quarter": claim.quarter, "needs": [n.need.code for n in needs],
                          "overridden": [n.need.code for n in needs if n.override_reason]})
    return claim


@transaction.atomic
def need_override(*, case_need: CaseNeed, reason: str, by, request=None) -> CaseNeed:
    """A manager's discretionary override: count a need that is not met as met, with the reason. Only on a case
    whose outcomes have been checked and not yet claimed; the reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ClaimRefused("Give the reason for the override")
    if len(reason) > 2000:
        raise ClaimRefused("Keep the reason to 2,000 characters")
    case = Case.objects.select_for_update().get(pk=case_need.case_id)
    if case.state != Case.State.OUTCOME_CHECKED:
        raise ClaimRefused(f"Case {case.reference} is {case.get_state_display().lower()}: needs are overridden only "
                           "after the outcome check and before the claim")
    case_need = CaseNeed.objects.select_related("need").get(pk=case_need.pk)
    if case_need.is_met:
        raise ClaimRefused(f"{case_need.need.name} is already met")
    before = need_state(case_need)
    case_need.override_reason, case_need.override_by, case_need.override_at = reason, by, timezone.now()
    case_need.save(update_fields=["override_reason", "override_by", "override_at"])
    audit_record(action=AuditEvent.Action.CLAIM, request=request, user=by, subject_type="case", subject_id=case.pk,
                 record_ids=[case.family_id],
                 details={"override": case_need.need.code, "case_need": case_need.pk, "was": before, "reason": reason})
    return case_need
