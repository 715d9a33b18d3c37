"""Casework pages. Thin: selectors read, services write, ``pages.case_page`` shows and audits one case."""

from __future__ import annotations

from apps.accounts import access as acl

from .pages import case_page


@acl.require_capability(acl.CASE_VIEW)
def case(request, pk: int):
    return case_page(request, pk=pk, template="casework/case.html", tab="case", context_for=lambda viewer, c: {})
