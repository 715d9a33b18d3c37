"""The case page: the one way any casework page shows one case.

``case_page(request, pk=..., template=..., tab=..., context_for=...)``: the case must be visible to
``request.viewer`` (``Case.objects.visible_to``: the family visible by the one rule, and the viewer's
part in the case), otherwise the same 404 a missing id gets; ``context_for(viewer, case)`` builds the
context from selectors; the page is rendered, then the read is recorded (``view_case``) in the
request's transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404
from django.shortcuts import render

from apps.accounts.purpose import purpose_in_session
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import Case
from .tabs import CASE_TABS


def visible_case_or_404(viewer, pk: int) -> Case:
    case = Case.objects.visible_to(viewer).select_related("family", "lead_practitioner", "team", "framework").filter(
        pk=pk).first()
    if case is None:
        raise Http404("Page not found")
    return case


def case_page(request, *, pk: int, template: str, tab: str, context_for: Callable[[object, Case], dict],
              record_ids: Callable[[dict], list] = lambda context: []):
    viewer = request.viewer
    case = visible_case_or_404(viewer, pk)
    context = {"case": case, "tab": tab, "case_tabs": CASE_TABS} | context_for(viewer, case)
    response = render(request, template, context)
    audit_record(action=AuditEvent.Action.VIEW_CASE, request=request, subject_type="case", subject_id=case.pk,
                 record_ids=[case.family_id, *record_ids(context)], purpose=purpose_in_session(request))
    return response
