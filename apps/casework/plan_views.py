"""The "Assessment and plan" case tab: thin views over ``assessment_selectors`` (reads) and ``assessment``
(writes). GET shows it through ``pages.case_page``; each POST is for the case's lead practitioner only
(any one else: the same 404 as a missing case), writes through one service and redirects back, or shows
the tab again with the refusal."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.accounts import access as acl

from . import assessment
from .assessment_selectors import case_plan as case_plan_read
from .models import Case, CaseNeed
from .pages import case_page
from .services import CaseStateError

TEMPLATE = "casework/case_plan.html"


def _show(request, pk: int, *, error: str = "", status: int = 200):
    response = case_page(request, pk=pk, template=TEMPLATE, tab="plan",
                         context_for=lambda viewer, case: case_plan_read(viewer, case) | {"error": error})
    response.status_code = status
    return response


@acl.require_capability(acl.CASE_VIEW)
def case_plan(request, pk: int):
    return _show(request, pk)


def _lead_case_or_404(request, pk: int) -> Case:
    case = Case.objects.visible_to(request.viewer).filter(pk=pk, lead_practitioner=request.user).first()
    if case is None:
        raise Http404("Page not found")
    return case


def _case_need_or_404(case: Case, value) -> CaseNeed:
    try:
        return CaseNeed.objects.select_related("need").get(case=case, pk=int(value))
    except (TypeError, ValueError, CaseNeed.DoesNotExist) as exc:
        raise Http404("Page not found") from exc


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        return None


def _act(request, pk: int, action):
    case = _lead_case_or_404(request, pk)
    try:
        action(case)
    except CaseStateError as error:
        return _show(request, pk, error=str(error), status=400)
    return redirect("casework:case_plan", pk=pk)


@acl.require_capability(acl.CASEWORK)
@require_POST
def need_confirm(request, pk: int):
    from apps.indicators.models import FrameworkNeed

    def act(case):
        need = FrameworkNeed.objects.select_related("headline").filter(
            pk=request.POST.get("need") if str(request.POST.get("need", "")).isdigit() else None,
            headline__framework_id=case.framework_id).first()
        if need is None:
            raise CaseStateError("Choose a need of the case's framework")
        assessment.need_confirm(
            case=case, need=need, viewer=request.viewer, person_ids=[p for p in request.POST.getlist("persons") if p.isdigit()],
            source=request.POST.get("source", ""), measure=request.POST.get("measure", ""),
            note=request.POST.get("note", ""), on=_date(request.POST.get("on", "")), request=request)

    return _act(request, pk, act)


@acl.require_capability(acl.CASEWORK)
@require_POST
def need_remove(request, pk: int):
    return _act(request, pk, lambda case: assessment.need_remove(
        case=case, case_need=_case_need_or_404(case, request.POST.get("case_need")), by=request.user, request=request))


@acl.require_capability(acl.CASEWORK)
@require_POST
def outcome_record(request, pk: int):
    return _act(request, pk, lambda case: assessment.outcome_record(
        case=case, case_need=_case_need_or_404(case, request.POST.get("case_need")), by=request.user,
        note=request.POST.get("note", ""), on=_date(request.POST.get("on", "")), request=request))


@acl.require_capability(acl.CASEWORK)
@require_POST
def assessment_complete(request, pk: int):
    return _act(request, pk, lambda case: assessment.assessment_complete(case=case, by=request.user, request=request))


@acl.require_capability(acl.CASEWORK)
@require_POST
def plan_agree(request, pk: int):
    return _act(request, pk, lambda case: assessment.plan_agree(
        case=case, by=request.user, next_review_on=_date(request.POST.get("next_review_on", "")), request=request))
