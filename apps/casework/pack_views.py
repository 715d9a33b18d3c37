"""The case's Progress tab, and the pre-visit pack's two responses (printable page, PDF): one export each, audited in the request's
transaction, never cached (``thinkfamily.middleware.NoStoreMiddleware`` sends ``Cache-Control: no-store`` on
every response); the PDF's file name carries the case reference and no name."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from apps.accounts import access as acl
from apps.accounts.purpose import purpose_in_session
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .pack import case_pack as pack_for_case
from .pack import pack_case_or_404
from .pages import case_page
from .progress_selectors import case_progress as progress_of
from .progress_selectors import snapshot_dates

# A fixed document date: the same pack gives the same bytes, whenever it is asked for (WeasyPrint writes no
# other date, and no file identifier)
PDF_METADATA_DATE = "2000-01-01T00:00:00Z"


def pdf_bytes(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def pack_response(request, *, pk: int, as_pdf: bool):
    viewer = request.viewer
    case = pack_case_or_404(viewer, pk)
    pack = pack_for_case(viewer=viewer, case=case)
    context = {"case": case, "pack": pack, "metadata_date": PDF_METADATA_DATE}
    if as_pdf:
        response = HttpResponse(pdf_bytes(render_to_string("casework/case_pack_pdf.html", context, request=request)),
                                content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="pre-visit-pack-{case.reference}.pdf"'
    else:
        response = render(request, "casework/case_pack.html", context)
    audit_record(action=AuditEvent.Action.EXPORT, request=request, subject_type="case", subject_id=case.pk,
                 record_ids=pack.person_ids, purpose=purpose_in_session(request),
                 details={"export": "pre_visit_pack", "format": "pdf" if as_pdf else "html"})
    return response


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
