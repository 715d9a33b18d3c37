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
from django.views.decorators.vary import vary_on_headers

from apps.accounts import access as acl
from apps.accounts.models import Section
from apps.accounts.purpose import PURPOSES, purpose_in_session, purpose_remember
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.indicators.models import Badge
from apps.schools.selectors import has_school_record

from . import selectors
from .forms import FILTERS, SearchForm
from .models import Family, Person

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


LAST_SEARCH_SESSION_KEY = "tf_last_search"
ADULT_AGE = 18


@vary_on_headers("HX-Request", "HX-History-Restore-Request")
@acl.require_capability(acl.CASE_SEARCH)
def search(request):
    """One box, a reason and filters. Under htmx only the form and results are sent back (errors included);
    a history-restore request, like any other, gets the whole page."""
    user_access = acl.access_for(request.user, request)
    visible_badges = list(Badge.objects.filter(categories__section__code__in=user_access.sections).distinct())
    submitted = any(name in request.GET for name in ("q", *FILTERS))
    form = SearchForm(request.GET if submitted else None, access=user_access, badges=visible_badges)
    remembered = _reason_of(request)
    context = {
        "form": form, "purposes": PURPOSES, "remembered_purpose": remembered,
        "purpose": request.GET.get("purpose", "") if submitted else remembered, "today": date.today(),
    }
    if form.is_valid():
        data = form.cleaned_data
        result = selectors.person_search(
            user=request.user, request=request, access=user_access, query=data["query"], area=data["area"],
            age_band=data["age_band"], badge=data["badge"], page=data["page"],
        )
        purpose_remember(request, data["purpose_text"])
        request.session[LAST_SEARCH_SESSION_KEY] = _search_querystring(request.GET, page=result.page)
        context["result"] = result
    fragment = request.htmx and not request.htmx.history_restore_request
    response = render(request, "people/_search.html" if fragment else "people/search.html", context)
    if "result" in context:
        # Recorded last, inside the request's transaction: the chain lock is held only until the commit,
        # and if the write fails the rendered page is discarded and the user gets an error.
        result, data = context["result"], form.cleaned_data
        audit_record(
            action=AuditEvent.Action.SEARCH, request=request, subject_type="search", record_ids=result.person_ids,
            purpose=data["purpose_text"], result_count=result.total,
            details={"terms": data["q"], "understood": result.query.describe(), "page": result.page,
                     "filters": {name: data[name] for name in FILTERS}},
        )
    return response


def _search_querystring(params, *, page: int) -> str:
    """The search as a query string (what was typed, the reason, the filters and the page), for links back to it."""
    query = params.copy()
    query["page"] = str(page)
    return query.urlencode()


def _search_url(request) -> str:
    """The last search this session ran, with its page, or the empty search page."""
    last = request.session.get(LAST_SEARCH_SESSION_KEY, "")
    return reverse("people:search") + (f"?{last}" if last else "")


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


def _sections_not_shown(access) -> list[str]:
    """Names of the sections the role in use does not show. It depends on the role only, never on the record."""
    return list(Section.objects.exclude(code__in=access.sections).order_by("name").values_list("name", flat=True))


def _shows_school_tab(access, person: Person, today: date) -> bool:
    """The School tab: for roles that see the school section, on a child's record or one with a school record.

    Decided from school-section data only, which only such roles may see anyway.
    """
    if not access.sees("school"):
        return False
    age = person.age_on(today)
    return age is None or age < ADULT_AGE or has_school_record(person_id=person.pk, dataset_ids=selectors.visible_dataset_ids(access))


def _person_page(request, pk: int, *, template: str, tab: str, action: str, context_for):
    """One person page: visible (or break-glass), its context from a selector, rendered and audited."""
    if (response := _visible_person_or_redirect(request, pk)) is not None:
        return response
    access, today = acl.access_for(request.user, request), date.today()
    context = context_for(access) | {"today": today, "tab": tab, "search_url": _search_url(request),
                                     "sections_not_shown": _sections_not_shown(access)}
    context["school_tab"] = tab == "school" or _shows_school_tab(access, context["p"], today)
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
    context = {"d": detail, "f": detail.family, "today": date.today(), "tab": tab, "search_url": _search_url(request),
               "sections_not_shown": _sections_not_shown(user_access)}
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
