"""The record page: the one way any app shows a person's or a family's record.

``record_page(request, kind=..., pk=..., template=..., action=..., context_for=...)``:

1. the record must be visible to ``request.viewer`` (``apps.people.visibility``); otherwise the
   response is the same 404 a missing id gets, which for roles that may break the glass links to
   the break-glass form (for any id, so it says nothing about the record);
2. ``context_for(viewer)`` builds the page's context from selectors (already filtered);
3. the page is rendered, then the read is recorded with ``audit_record`` in the request's
   transaction: if the audit write fails, the rendered page is discarded and no data leaves.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from apps.accounts.access import CASE_BREAK_GLASS
from apps.accounts.purpose import purpose_in_session
from apps.audit.services import audit_record

from .restriction import restrictable_model


def record_not_found(request, *, kind: str, pk: int):
    """A record the viewer may not see: the same 404 whether it is restricted or does not exist."""
    if not request.viewer.can(CASE_BREAK_GLASS):
        raise Http404("Page not found")
    return render(request, "people/not_found.html", {
        "break_glass_url": reverse("people:break_glass", kwargs={"kind": kind, "pk": pk}), "kind": kind,
    }, status=404)


def record_page(
    request, *, kind: str, pk: int, template: str, action, context_for: Callable[[object], dict],
    record_ids: Callable[[dict], list[int]] = lambda context: [],
):
    """Show record ``kind``/``pk`` to ``request.viewer``: visible, else break-glass 404; then render and audit."""
    if not restrictable_model(kind).objects.visible_to(request.viewer).filter(pk=pk).exists():
        return record_not_found(request, kind=kind, pk=pk)
    context = context_for(request.viewer)
    response = render(request, template, context)
    audit_record(action=action, request=request, subject_type=kind, subject_id=pk, record_ids=record_ids(context),
                 purpose=purpose_in_session(request))
    return response
