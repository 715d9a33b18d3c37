"""Results claims and the quarterly return (programme manager), and the discretionary override (manager).

Thin: ``claim_selectors`` read (already filtered for ``request.viewer``), ``claim_services`` write;
every page and export records one audit event in the request's transaction.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import access as acl
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.common.csv_export import csv_safe

from . import claim_selectors as selectors
from .claim_services import ClaimRefused, claim_submit, need_override
from .pages import case_page, visible_case_or_404


def _csv_response(header, rows, filename: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([csv_safe(v) for v in row] for row in rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@acl.require_capability(acl.CASE_CLAIMS)
def claims(request):
    claimable, not_claimable = selectors.claim_list(request.viewer)
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="claims",
                 record_ids=[r.case.family_id for r in claimable + not_claimable],
                 details={"page": "claim_list", "claimable": len(claimable)},
                 result_count=len(claimable) + len(not_claimable))
    return render(request, "casework/claims.html", {
        "claimable": claimable, "not_claimable": not_claimable, "quarters": selectors.claim_quarters(request.viewer),
    })


@require_GET
@acl.require_capability(acl.CASE_CLAIMS)
def claim_evidence(request, pk: int):
    return case_page(request, pk=pk, template="casework/claim_evidence.html", tab="claim",
                     context_for=selectors.evidence_for_page)


@require_POST
@acl.require_capability(acl.CASE_CLAIMS)
def claim_submit_view(request, pk: int):
    case = visible_case_or_404(request.viewer, pk)
    try:
        claim = claim_submit(case=case, by=request.user, request=request)
    except ClaimRefused as exc:
        messages.error(request, str(exc))
        return redirect("casework:claim_evidence", pk=case.pk)
    messages.success(request, f"Claim for case {case.reference} submitted in {claim.quarter}.")
    return redirect("casework:claims")


@require_GET
@acl.require_capability(acl.CASE_CLAIMS)
def claims_csv(request):
    quarter = request.GET.get("quarter") or selectors.current_quarter()
    if not selectors.quarter_valid(quarter):
        raise Http404("Page not found")
    rows = selectors.claims_in_quarter(request.viewer, quarter)
    audit_record(action=AuditEvent.Action.EXPORT, request=request, subject_type="claims",
                 record_ids=selectors.claim_family_ids(request.viewer, quarter),
                 details={"format": "csv", "of": "results_claims", "quarter": quarter,
                          "columns": list(selectors.CLAIM_CSV_COLUMNS)},
                 result_count=len(rows))
    return _csv_response(selectors.CLAIM_CSV_COLUMNS, rows, f"results-claims-{quarter}.csv")


@require_GET
@acl.require_capability(acl.CASE_CLAIMS)
def quarterly_return(request):
    rows = selectors.quarterly_return(request.viewer)
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="quarterly_return",
                 details={"page": "quarterly_return"}, result_count=len(rows))
    return render(request, "casework/quarterly_return.html", {"rows": rows, "columns": selectors.RETURN_COLUMNS})


@require_GET
@acl.require_capability(acl.CASE_CLAIMS)
def quarterly_return_csv(request):
    rows = selectors.quarterly_return(request.viewer)
    audit_record(action=AuditEvent.Action.EXPORT, request=request, subject_type="quarterly_return",
                 details={"format": "csv", "of": "quarterly_return"}, result_count=len(rows))
    header = ["quarter", *(c for c, _label in selectors.RETURN_COLUMNS)]
    stamp = timezone.localtime().strftime("%Y%m%d")
    return _csv_response(header, ([r[c] for c in header] for r in rows), f"quarterly-return-{stamp}.csv")


@require_GET
@acl.require_capability(acl.CASE_TRIAGE)
def overrides(request):
    return _overrides_page(request)


def _overrides_page(request, *, errors: dict | None = None, status: int = 200):
    rows = selectors.override_list(request.viewer)
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="overrides",
                 record_ids=[r.case.family_id for r in rows], details={"page": "override_list"},
                 result_count=len(rows))
    return render(request, "casework/overrides.html", {"rows": rows, "errors": errors or {}}, status=status)


@require_POST
@acl.require_capability(acl.CASE_TRIAGE)
def need_override_view(request, pk: int):
    case_need = selectors.overridable_need(request.viewer, pk)
    if case_need is None:
        raise Http404("Page not found")
    try:
        need_override(case_need=case_need, reason=request.POST.get("reason", ""), by=request.user, request=request)
    except ClaimRefused as exc:
        return _overrides_page(request, errors={case_need.pk: str(exc)}, status=400)
    messages.success(request, f"{case_need.need.name} on case {case_need.case.reference} is overridden as met.")
    return redirect("casework:overrides")
