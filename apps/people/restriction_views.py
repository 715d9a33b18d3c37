"""Restricted records: the custodian's pages, and break-glass for case roles.

Thin views over ``apps.people.restriction`` (the services, each audited). The custodian sees
which records are restricted (id, and the name or reference needed to confirm it), never
their case data. The break-glass page is the same for any id (see ``break_glass``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from apps.accounts.access import ACCESS_MANAGE, CASE_BREAK_GLASS, require_capability
from apps.accounts.forms import ReasonForm, add_service_errors
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from . import restriction as restricted
from .forms import BreakGlassForm, NameUserForm, RestrictionLookupForm
from .models import Family, Person


def _restrictable_or_404(kind: str, pk: int):
    try:
        model = restricted.restrictable_model(kind)
    except LookupError as exc:
        raise Http404("Page not found") from exc
    return get_object_or_404(model, pk=pk)


@require_capability(ACCESS_MANAGE)
def restrictions(request):
    """Restricted records by id (families also by reference) and a form to open one by id."""
    form = RestrictionLookupForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("people:restriction", kind=form.cleaned_data["kind"], pk=form.cleaned_data["record_id"])
    persons = list(Person.objects.filter(is_restricted=True).annotate(named=Count("named_users")).order_by("pk")
                   .values("pk", "named", "restriction_reason"))
    families = list(Family.objects.filter(is_restricted=True).annotate(named=Count("named_users")).order_by("pk")
                    .values("pk", "reference", "named", "restriction_reason"))
    shown = [f"person:{p['pk']}" for p in persons] + [f"family:{f['pk']}" for f in families]
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="restriction", record_ids=shown,
                 details={"page": "restrictions"}, result_count=len(shown))
    return render(request, "people/restrictions.html", {"form": form, "persons": persons, "families": families})


@require_capability(ACCESS_MANAGE)
def restriction(request, kind: str, pk: int):
    """One record's restriction: only the id and the name or reference needed to confirm it."""
    record = _restrictable_or_404(kind, pk)
    action = request.POST.get("action", "")
    reason_form = ReasonForm(request.POST if action in {"restrict", "unrestrict"} else None)
    name_form = NameUserForm(request.POST if action == "name" else None)
    if request.method == "POST":
        try:
            if action in {"restrict", "unrestrict"} and reason_form.is_valid():
                change = restricted.record_restrict if action == "restrict" else restricted.record_unrestrict
                change(record=record, custodian=request.user, reason=reason_form.cleaned_data["reason"], request=request)
                messages.success(request, f"{kind.title()} {pk} is {'now' if action == 'restrict' else 'no longer'} restricted.")
                return redirect("people:restriction", kind=kind, pk=pk)
            if action == "name" and name_form.is_valid():
                user = get_user_model().objects.filter(username=name_form.cleaned_data["username"]).first()
                if user is None:
                    name_form.add_error("username", "There is no account with that username.")
                else:
                    restricted.record_name_user(record=record, user=user, custodian=request.user, request=request)
                    messages.success(request, f"{user.get_username()} is named on {kind} {pk}.")
                    return redirect("people:restriction", kind=kind, pk=pk)
            if action == "unname":
                user = get_object_or_404(get_user_model(), username=request.POST.get("username", ""))
                restricted.record_unname_user(record=record, user=user, custodian=request.user, request=request)
                messages.success(request, f"{user.get_username()} is no longer named on {kind} {pk}.")
                return redirect("people:restriction", kind=kind, pk=pk)
        except ValidationError as error:
            add_service_errors(name_form if action == "name" else reason_form, error)
    # whenever the page is shown (a GET, or a POST shown again with its errors): it names the record
    audit_record(
        action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type=kind, subject_id=pk,
        details={"page": "restriction"},
    )
    label = record.reference if kind == "family" else f"{record.forename} {record.surname}"
    return render(request, "people/restriction.html", {
        "kind": kind, "record_id": pk, "label": label, "is_restricted": record.is_restricted,
        "restriction_reason": record.restriction_reason, "named_users": restricted.named_users(record),
        "reason_form": reason_form, "name_form": name_form,
        "reason_hint": "Why the restriction is lifted" if record.is_restricted
        else "Why it is restricted: for example member of staff, relative of staff, high-profile case",
    })


# --- break-glass (case roles) ------------------------------------------------------------
_RECORD_URL = {"person": "caseview:person", "family": "caseview:family"}


@require_capability(CASE_BREAK_GLASS)
def break_glass(request, kind: str, pk: int):
    """Open a restricted record the user is not named on, giving a reason.

    The page is the same for any id, whether it is a restricted record, no record at all, or
    one the user could see anyway (which it simply redirects to): it must not tell a user who
    may not see a record that it exists. Only submitting a reason (audited, and alerting the
    reviewers) opens a restricted record; a reason given for an id with nothing restricted
    behind it is recorded as an attempt, and the user is sent on to the record's page (a 404).
    """
    if kind not in _RECORD_URL:
        raise Http404("Page not found")
    record_url = reverse(_RECORD_URL[kind], kwargs={"pk": pk})
    if restricted.restrictable_model(kind).objects.visible_to(request.viewer).filter(pk=pk).exists():
        return redirect(record_url)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = restricted.restrictable_model(kind).objects.filter(pk=pk, is_restricted=True).first()
        try:
            if record is None:
                restricted.break_glass_attempt(user=request.user, kind=kind, pk=pk,
                                               reason=form.cleaned_data["reason"], request=request)
            else:
                restricted.break_glass(user=request.user, record=record, reason=form.cleaned_data["reason"],
                                       request=request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(record_url)
    return render(request, "people/break_glass.html", {
        "form": form, "hours": restricted.BREAK_GLASS_HOURS, "kind": kind,
    })
