"""Casework pages. Thin: selectors read, services write, ``pages.case_page`` shows and audits one case."""

from __future__ import annotations

from apps.accounts import access as acl

from .pack_views import pack_response
from .pages import case_page
from .progress_selectors import case_progress as progress_of
from .progress_selectors import snapshot_dates


@acl.require_capability(acl.CASE_VIEW)
def case(request, pk: int):
    return case_page(request, pk=pk, template="casework/case.html", tab="case", context_for=lambda viewer, c: {})


@acl.require_capability(acl.CASE_VIEW)
def case_progress(request, pk: int):
    return case_page(request, pk=pk, template="casework/case_progress.html", tab="progress",
                     context_for=lambda viewer, c: {"members": progress_of(viewer=viewer, case=c),
                                                    "dates": snapshot_dates(c)},
                     record_ids=lambda context: [m.person.pk for m in context["members"]])


@acl.require_capability(acl.CASE_VIEW)
def case_pack(request, pk: int):
    """The pre-visit pack, printable: an export, audited as one."""
    return pack_response(request, pk=pk, as_pdf=False)


@acl.require_capability(acl.CASE_VIEW)
def case_pack_pdf(request, pk: int):
    """The pre-visit pack as PDF (WeasyPrint): an export, audited as one."""
    return pack_response(request, pk=pk, as_pdf=True)
