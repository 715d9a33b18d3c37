"""Case-worker pages: search, person, school and attendance, family, address history.

Thin: each view asks ``selectors`` for what the user may see, records the read
with ``audit_record`` in the same transaction, and renders. A restricted record
the user is not named on is the same 404 as a record that does not exist; for
roles that may break the glass, that 404 says they may ask to open a restricted
record with a reason (whatever the id).
"""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from apps.accounts import access as acl
from apps.accounts.purpose import PURPOSES, purpose_from, purpose_in_session, purpose_remember
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.indicators.models import Badge

from . import selectors
from .models import Area, Family, Person
from .query import parse_query

AGE_BANDS = (("0-4", "0 to 4"), ("5-10", "5 to 10"), ("11-15", "11 to 15"), ("16-17", "16 to 17"),
             ("18-24", "18 to 24"), ("25-120", "25 and over"))


def _break_glass_or_404(request, *, kind: str, pk: int):
    """A record the user may not see: the same 404 whether it is restricted or does not exist.

    Roles that may break the glass are told, on every such 404, that they can ask to open a
    restricted record with a reason; the page depends on their role only, never on the record.
    """
    if not acl.access_for(request.user, request).can(acl.CASE_BREAK_GLASS):
        raise Http404("Page not found")
    return render(request, "people/not_found.html", {
        "break_glass_url": reverse("accounts:break_glass", kwargs={"kind": kind, "pk": pk}), "kind": kind,
    }, status=404)


def _visible_person_or_redirect(request, pk: int):
    if not acl.visible_persons(request.user, request).filter(pk=pk).exists():
        return _break_glass_or_404(request, kind="person", pk=pk)
    return None


@acl.require_capability(acl.CASE_SEARCH)
def search(request):
    user_access = acl.access_for(request.user, request)
    params = request.GET
    raw = params.get("q", "").strip()
    area, age_band, badge = params.get("area", ""), params.get("age_band", ""), params.get("badge", "")
    visible_badges = list(Badge.objects.filter(categories__section__code__in=user_access.sections).distinct())
    context = {
        "q": raw, "area": area, "age_band": age_band, "badge": badge, "areas": Area.choices, "age_bands": AGE_BANDS,
        "badges": visible_badges, "purposes": PURPOSES, "purpose": params.get("purpose", "") or _reason_of(request),
        "reference": params.get("reference", ""), "needs_reference": bool(user_access.active_role and user_access.active_role.purpose_requires_reference),
        "today": date.today(),
    }
    searched = bool(raw or area or age_band or badge)
    if searched:
        purpose, error = purpose_from(params, user_access)
        query = parse_query(raw)
        if error:
            context["purpose_error"] = error
        elif query.is_empty and not (area or age_band or badge):
            context["query_error"] = "Enter a name, date of birth, postcode, address or reference."
        else:
            try:
                page = int(params.get("page", "1"))
            except ValueError:
                page = 1
            if area and area not in Area.values:
                area = ""
            if age_band and age_band not in dict(AGE_BANDS):
                age_band = ""
            result = selectors.person_search(
                user=request.user, request=request, access=user_access, query=query, area=area, age_band=age_band,
                badge=badge, page=page,
            )
            purpose_remember(request, purpose)
            context["result"], context["search_purpose"] = result, purpose
    template = "people/_results.html" if request.headers.get("HX-Request") and searched else "people/search.html"
    response = render(request, template, context)
    if "result" in context:
        # Recorded last, inside the request's transaction: the chain lock is held only until the commit,
        # and if the write fails the rendered page is discarded and the user gets an error.
        result = context["result"]
        audit_record(
            action=AuditEvent.Action.SEARCH, request=request, subject_type="search", record_ids=result.person_ids,
            purpose=context["search_purpose"], result_count=result.total,
            details={"terms": raw, "understood": result.query.describe(), "page": result.page,
                     "filters": {"area": area, "age_band": age_band, "badge": badge}},
        )
    return response


def _reason_of(request) -> str:
    remembered = purpose_in_session(request)
    return remembered if remembered in PURPOSES else ""


def _render_audited(request, template, context, *, action, subject_type, pk, record_ids=()):
    """Render, then record the view in the same transaction (the chain lock is held only until the commit).

    If the audit write fails the exception discards the rendered page: no record, no data.
    """
    response = render(request, template, context)
    audit_record(action=action, request=request, subject_type=subject_type, subject_id=pk, record_ids=record_ids,
                 purpose=purpose_in_session(request))
    return response


def _person_page(request, pk: int, *, template: str, tab: str, action: str, context_for):
    """One person page: visible (or break-glass), its context from a selector, rendered and audited."""
    if (response := _visible_person_or_redirect(request, pk)) is not None:
        return response
    context = context_for(acl.access_for(request.user, request)) | {"today": date.today(), "tab": tab}
    return _render_audited(request, template, context, action=action, subject_type="person", pk=pk)


@acl.require_capability(acl.CASE_VIEW)
def person(request, pk: int):
    def context_for(access):
        detail = selectors.person_detail(user=request.user, request=request, access=access, pk=pk)
        return {"d": detail, "p": detail.person}

    return _person_page(request, pk, template="people/person.html", tab="person",
                        action=AuditEvent.Action.VIEW_PERSON, context_for=context_for)


@acl.require_capability(acl.CASE_VIEW)
def person_school(request, pk: int):
    def context_for(access):
        detail = selectors.school_detail(user=request.user, request=request, access=access, pk=pk)
        return {"d": detail, "p": detail.person}

    return _person_page(request, pk, template="people/school.html", tab="school",
                        action=AuditEvent.Action.VIEW_ATTENDANCE, context_for=context_for)


@acl.require_capability(acl.CASE_VIEW)
def person_addresses(request, pk: int):
    def context_for(access):
        person_obj = acl.visible_persons(request.user, request).get(pk=pk)
        spells = selectors.person_address_history(user=request.user, request=request, access=access, person=person_obj)
        return {"p": person_obj, "timeline": selectors.address_timeline(spells)}

    return _person_page(request, pk, template="people/addresses.html", tab="addresses",
                        action=AuditEvent.Action.VIEW_ADDRESSES, context_for=context_for)


def _family_page(request, pk: int, *, template: str, tab: str, action: str):
    if not acl.visible_families(request.user, request).filter(pk=pk).exists():
        return _break_glass_or_404(request, kind="family", pk=pk)
    user_access = acl.access_for(request.user, request)
    detail = selectors.family_detail(user=request.user, request=request, access=user_access, pk=pk)
    context = {"d": detail, "f": detail.family, "today": date.today(), "tab": tab}
    if tab == "family_addresses":
        context["timeline"] = selectors.address_timeline(detail.addresses)
    return _render_audited(request, template, context, action=action, subject_type="family", pk=pk,
                           record_ids=[m.membership.person_id for m in detail.members])


@acl.require_capability(acl.CASE_VIEW)
def family(request, pk: int):
    return _family_page(request, pk, template="people/family.html", tab="family", action=AuditEvent.Action.VIEW_FAMILY)


@acl.require_capability(acl.CASE_VIEW)
def family_addresses(request, pk: int):
    return _family_page(request, pk, template="people/family_addresses.html", tab="family_addresses",
                        action=AuditEvent.Action.VIEW_ADDRESSES)
