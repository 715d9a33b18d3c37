"""Case-worker pages: search, person, school and attendance, family, address history.

Thin: the search asks ``selectors.person_search`` and records the search; every record page
goes through ``pages.record_page`` (visible to ``request.viewer`` or the same 404 as a missing
id; rendered; the read audited in the same transaction).
"""

from __future__ import annotations

from datetime import date

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from apps.accounts import access as acl
from apps.accounts.models import Section
from apps.accounts.purpose import PURPOSES, purpose_in_session, purpose_remember
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.indicators.selectors import risk_scores_for, visible_badges
from apps.people.models import Family, Person
from apps.people.pages import record_page
from apps.people.visibility import persons_as_seen, visible_dataset_ids
from apps.schools.selectors import has_school_record, school_detail

from . import selectors
from .chronology import family_chronology, family_members_seen
from .forms import FILTERS, SearchForm
from .involvement import family_involvement
from .search import person_search

LAST_SEARCH_SESSION_KEY = "tf_last_search"
ADULT_AGE = 18


@vary_on_headers("HX-Request", "HX-History-Restore-Request")
@acl.require_capability(acl.CASE_SEARCH)
def search(request):
    """One box, a reason and filters. Under htmx only the form and results are sent back (errors included);
    a history-restore request, like any other, gets the whole page."""
    viewer = request.viewer
    submitted = any(name in request.GET for name in ("q", *FILTERS))
    form = SearchForm(request.GET if submitted else None, access=viewer.access, badges=list(visible_badges(viewer)))
    remembered = _reason_of(request)
    context = {
        "form": form, "purposes": PURPOSES, "remembered_purpose": remembered,
        "purpose": request.GET.get("purpose", "") if submitted else remembered, "today": date.today(),
    }
    if form.is_valid():
        data = form.cleaned_data
        result = person_search(
            viewer=viewer, query=data["query"], area=data["area"], age_band=data["age_band"], badge=data["badge"],
            page=data["page"],
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
    return reverse("caseview:search") + (f"?{last}" if last else "")


def _reason_of(request) -> str:
    remembered = purpose_in_session(request)
    return remembered if remembered in PURPOSES else ""


def _sections_not_shown(viewer) -> list[str]:
    """Names of the sections the role in use does not show. It depends on the role only, never on the record."""
    return list(Section.objects.exclude(code__in=viewer.sections).order_by("name").values_list("name", flat=True))


def _shows_school_tab(viewer, person: Person, today: date) -> bool:
    """The School tab: for roles that see the school section, on a child's record or one with a school record.

    Decided from school-section data only, which only such roles may see anyway.
    """
    if not viewer.sees("school"):
        return False
    age = person.age_on(today)
    return age is None or age < ADULT_AGE or has_school_record(person_id=person.pk, dataset_ids=visible_dataset_ids(viewer))


def _person_page(request, pk: int, *, template: str, tab: str, action, context_for):
    """One person page: its context from a selector, and what every person page shows around it."""
    def full_context(viewer):
        today = date.today()
        context = context_for(viewer) | {"today": today, "tab": tab, "search_url": _search_url(request),
                                         "sections_not_shown": _sections_not_shown(viewer)}
        context["school_tab"] = tab == "school" or _shows_school_tab(viewer, context["p"], today)
        return context

    return record_page(request, kind="person", pk=pk, template=template, action=action, context_for=full_context)


@acl.require_capability(acl.CASE_VIEW)
def person(request, pk: int):
    def context_for(viewer):
        detail = selectors.person_detail(viewer=viewer, pk=pk)
        return {"d": detail, "p": detail.person}

    return _person_page(request, pk, template="people/person.html", tab="person",
                        action=AuditEvent.Action.VIEW_PERSON, context_for=context_for)


@acl.require_capability(acl.CASE_VIEW)
def person_school(request, pk: int):
    def context_for(viewer):
        detail = school_detail(viewer=viewer, pk=pk)
        neet = [s for s in risk_scores_for(viewer=viewer, person_ids=[pk]) if s.definition.code == "risk-of-neet"]
        return {"d": detail, "p": detail.person, "risk_of_neet": neet[0] if neet else None}

    return _person_page(request, pk, template="people/school.html", tab="school",
                        action=AuditEvent.Action.VIEW_ATTENDANCE, context_for=context_for)


@acl.require_capability(acl.CASE_VIEW)
def person_addresses(request, pk: int):
    def context_for(viewer):
        [person_obj] = persons_as_seen(viewer, [Person.objects.visible_to(viewer).select_related("current_address").get(pk=pk)])
        spells = selectors.person_address_history(viewer=viewer, person=person_obj)
        return {"p": person_obj, "timeline": selectors.address_timeline(spells)}

    return _person_page(request, pk, template="people/addresses.html", tab="addresses",
                        action=AuditEvent.Action.VIEW_ADDRESSES, context_for=context_for)


def _family_page(request, pk: int, *, template: str, tab: str, action):
    def context_for(viewer):
        detail = selectors.family_detail(viewer=viewer, pk=pk)
        context = {"d": detail, "f": detail.family, "today": date.today(), "tab": tab,
                   "search_url": _search_url(request), "sections_not_shown": _sections_not_shown(viewer)}
        if tab == "family_addresses":
            context["timeline"] = selectors.address_timeline(detail.addresses)
        if tab == "family":
            context["involvement"] = family_involvement(viewer=viewer, family=detail.family)
            from apps.casework.selectors import case_at_a_glance

            context["glance"] = case_at_a_glance(viewer=viewer, family=detail.family)
        return context

    return record_page(request, kind="family", pk=pk, template=template, action=action, context_for=context_for,
                       record_ids=lambda context: [m.membership.person_id for m in context["d"].members])


@acl.require_capability(acl.CASE_VIEW)
def family(request, pk: int):
    return _family_page(request, pk, template="people/family.html", tab="family", action=AuditEvent.Action.VIEW_FAMILY)


@acl.require_capability(acl.CASE_VIEW)
def family_addresses(request, pk: int):
    return _family_page(request, pk, template="people/family_addresses.html", tab="family_addresses",
                        action=AuditEvent.Action.VIEW_ADDRESSES)


def _date_param(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@acl.require_capability(acl.CASE_VIEW)
def family_chronology_page(request, pk: int):
    """The family's chronology: what every agency recorded about its members, newest first, a page at a time."""
    before = _date_param(request.GET.get("before"))

    def context_for(viewer):
        family_obj = Family.objects.visible_to(viewer).get(pk=pk)
        members = family_members_seen(viewer=viewer, family=family_obj)
        return {
            "f": family_obj, "d": {"other_families": selectors.other_families(viewer=viewer, family=family_obj, person_ids=list(members))},
            "members": members, "chronology": family_chronology(viewer=viewer, family=family_obj, before=before),
            "before": before, "tab": "family_chronology", "search_url": _search_url(request),
            "sections_not_shown": _sections_not_shown(viewer),
        }

    return record_page(request, kind="family", pk=pk, template="people/family_chronology.html",
                       action=AuditEvent.Action.VIEW_FAMILY, context_for=context_for,
                       record_ids=lambda context: list(context["members"]))
