"""Casework pages. Thin: selectors read, services write, ``pages.case_page`` shows and audits one case.

Every case page first finds the case through ``Case.objects.visible_to(viewer)`` (404 otherwise) and,
for a page that acts, checks the viewer's part in it (``selectors.may_work`` / ``may_triage``): a role
with the capability still gets a 404 for a case that is not theirs. Every POST goes through a service;
a ``CaseStateError`` is shown in the page's error summary.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts import access as acl
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.people.models import Family
from apps.people.visibility import get_visible_or_404

from . import selectors, services
from .forms import (
    AllocateForm,
    CloseForm,
    ConfirmForm,
    ConsentForm,
    EligibleFilterForm,
    StatutoryBasisForm,
    TeamMemberForm,
    TriageForm,
)
from .notification_selectors import notifications_for
from .pages import case_page, visible_case_or_404

FILTERS = ("area", "badge", "problems", "has_case", "reference")


# --- lists ------------------------------------------------------------------------------------


@acl.require_capability(acl.CASE_TRIAGE)
def eligible(request):
    """Families eligible under the current criteria, by priority, with filters; audited as a search (its count)."""
    viewer = request.viewer
    form = EligibleFilterForm(request.GET or None, badges=selectors.badge_choices(viewer))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {"page": 1, "problems": None}
    result = selectors.eligible_families(
        viewer=viewer, area=data.get("area", ""), badge=data.get("badge", ""), problems=data.get("problems"),
        has_case=data.get("has_case", ""), reference=data.get("reference", ""), page=data["page"])
    query = request.GET.copy()
    query.pop("page", None)
    response = render(request, "casework/eligible.html", {
        "form": form, "result": result, "query": query.urlencode(), "badge_names": selectors.badge_names()})
    audit_record(action=AuditEvent.Action.SEARCH, request=request, subject_type="eligible_families",
                 record_ids=result.family_ids, result_count=result.total,
                 details={"filters": {name: str(data.get(name) or "") for name in FILTERS}, "page": result.page})
    return response


CASELOAD_PAGE_SIZE = 50


def _caseload_page(request, *, template: str, rows, subject_type: str, extra: dict | None = None,
                   person_ids: tuple = ()):
    """One page of a caseload (50 cases), in the caseload's order; audited with the whole count."""
    value = request.GET.get("page", "")
    pages = max(1, -(-len(rows) // CASELOAD_PAGE_SIZE))
    page = min(int(value) if value.isdigit() and int(value) > 0 else 1, pages)
    shown = rows[(page - 1) * CASELOAD_PAGE_SIZE: page * CASELOAD_PAGE_SIZE]
    response = render(request, template, {"rows": shown, "total": len(rows), "page": page, "pages": pages,
                                          **(extra or {})})
    audit_record(action=AuditEvent.Action.VIEW_CASE, request=request, subject_type=subject_type,
                 record_ids=[row.case.family_id for row in shown] + sorted(person_ids), result_count=len(rows),
                 details={"page": page})
    return response


@acl.require_capability(acl.CASEWORK)
def my_families(request):
    """The practitioner's caseload: cases they lead, open first, with what needs doing next, and the new records
    about their families' members since the refreshes (notifications, as the practitioner may see them now)."""
    found = notifications_for(viewer=request.viewer)
    return _caseload_page(request, template="casework/my_families.html", subject_type="caseload",
                          rows=selectors.my_caseload(viewer=request.viewer), extra={"my_notifications": found},
                          person_ids={n.person_id for n in found.items})


@acl.require_capability(acl.CASE_TRIAGE)
def team_cases(request):
    """A manager's open cases: their teams' and those not yet allocated."""
    viewer = request.viewer
    return _caseload_page(request, template="casework/team_cases.html", subject_type="team_cases",
                          rows=selectors.team_cases(viewer=viewer), extra={"teams": selectors.managed_teams(viewer)})


@require_POST
@acl.require_capability(acl.CASE_TRIAGE)
def case_open(request, family_pk: int):
    """Open a case (identified) for a family on the eligible list."""
    family = get_visible_or_404(Family.objects.visible_to(request.viewer), pk=family_pk)
    try:
        case = services.case_identify(family=family, by=request.user, request=request)
    except services.CaseStateError:
        return redirect(f"{reverse('casework:eligible')}?reference={family.reference}")
    return redirect("casework:case_triage", pk=case.pk)


# --- one case ---------------------------------------------------------------------------------


@acl.require_capability(acl.CASE_VIEW)
def case(request, pk: int):
    return case_page(request, pk=pk, template="casework/case.html", tab="case", context_for=lambda viewer, c: {
        "summary": selectors.case_summary(viewer=viewer, case=c), "may_triage": selectors.may_triage(viewer, c),
        "may_work": selectors.may_work(viewer, c), "closable": services.ALLOWED["close"]})


def _acting_case(request, pk: int, may):
    """The case, if visible and the viewer has a part in it that allows this step; else 404."""
    found = visible_case_or_404(request.viewer, pk)
    if not may(request.viewer, found):
        raise Http404("Page not found")
    return found


def _step(request, pk: int, *, may, template: str, tab: str, forms: dict, act, context=None):
    """One step of the journey: GET shows the forms; POST (``action`` names the form) runs ``act`` through a
    service and redirects to the case, or shows the form again with its errors."""
    the_case = _acting_case(request, pk, may)
    bound = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in forms:
            raise Http404("Page not found")
        form = forms[action](request.POST)
        bound[action] = form
        if form.is_valid():
            try:
                act(action, the_case, form.cleaned_data)
            except services.CaseStateError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("casework:case", pk=the_case.pk)
    def context_for(viewer, c):
        built = {name: bound.get(name) or make(None) for name, make in forms.items()}
        return {"forms": built, "closable": services.ALLOWED["close"], **(context(viewer, c) if context else {})}
    return case_page(request, pk=the_case.pk, template=template, tab=tab, context_for=context_for)


@acl.require_capability(acl.CASE_TRIAGE)
def case_triage(request, pk: int):
    def act(_action, c, data):
        services.case_triage(case=c, decision=data["decision"], reason=data.get("reason", ""), by=request.user,
                             request=request)

    return _step(request, pk, may=selectors.may_triage, template="casework/triage.html", tab="case",
                 forms={"triage": lambda d: TriageForm(d)}, act=act)


@acl.require_capability(acl.CASE_VIEW)
def case_consent(request, pk: int):
    """Consent per member, in force and history (anyone who may see the case); seeking consent, recording a
    member's consent and a statutory basis are for the lead or a manager of the team."""
    viewer = request.viewer
    the_case = visible_case_or_404(viewer, pk)
    if request.method == "POST" and not selectors.may_work(viewer, the_case):
        raise Http404("Page not found")
    members = selectors.visible_members(viewer, the_case)

    def act(action, c, data):
        if action == "seek":
            services.case_seek_consent(case=c, by=request.user, request=request)
        elif action == "consent":
            person = next((m.person for m in members if m.person.pk == data["person"]), None)
            if person is None:
                raise Http404("Page not found")
            services.consent_record(case=c, person=person, status=data["status"], recorded_on=data["recorded_on"],
                                    by=request.user, partners=data["partners"], note=data.get("note", ""),
                                    request=request)
        else:
            services.statutory_basis_record(case=c, basis=data["basis"], by=request.user, request=request)

    return _step(request, pk, may=lambda v, c: True, template="casework/consent.html", tab="consent", act=act,
                 forms={"seek": lambda d: ConfirmForm(d),
                        "consent": lambda d: ConsentForm(d, members=members),
                        "statutory": lambda d: StatutoryBasisForm(d)},
                 context=lambda v, c: {"summary": selectors.case_summary(viewer=v, case=c),
                                       "may_act": selectors.may_work(v, c)})


@acl.require_capability(acl.CASE_TRIAGE)
def case_allocate(request, pk: int):
    viewer = request.viewer
    practitioners = selectors.allocatable_practitioners(viewer)

    def act(_action, c, data):
        team, lead = data["lead"]
        services.case_allocate(case=c, lead=lead, team=team, by=request.user, request=request)

    return _step(request, pk, may=selectors.may_triage, template="casework/allocate.html", tab="case", act=act,
                 forms={"allocate": lambda d: AllocateForm(d, practitioners=practitioners)},
                 context=lambda v, c: {"summary": selectors.case_summary(viewer=v, case=c)})


@acl.require_capability(acl.CASE_VIEW)
def case_close(request, pk: int):
    def act(_action, c, data):
        services.case_close(case=c, reason=data["reason"], note=data.get("note", ""), by=request.user,
                            request=request)

    return _step(request, pk, may=selectors.may_work, template="casework/close.html", tab="case", act=act,
                 forms={"close": lambda d: CloseForm(d)})


@acl.require_capability(acl.CASE_VIEW)
def case_team(request, pk: int):
    """The team around the family: people added by hand (anyone who may see the case reads it; the lead or a
    manager of the team adds to it). The involvement derived from the data (``apps.caseview.involvement``) is
    the chronology helper's, shown beside it once merged."""
    viewer = request.viewer
    the_case = visible_case_or_404(viewer, pk)
    may_add = selectors.may_work(viewer, the_case)
    if request.method == "POST" and not may_add:
        raise Http404("Page not found")

    def act(_action, c, data):
        services.team_member_add(case=c, by=request.user, request=request, **data)

    def context(v, c):
        current, past = selectors.case_team_members(case=c)
        return {"current": current, "past": past, "may_add": may_add}

    return _step(request, pk, may=lambda v, c: True, template="casework/team.html", tab="team", act=act,
                 forms={"member": lambda d: TeamMemberForm(d)}, context=context)

