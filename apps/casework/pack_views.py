"""The pre-visit pack's two responses (printable page, PDF): one export each, audited in the request's
transaction, never cached (``thinkfamily.middleware.NoStoreMiddleware`` sends ``Cache-Control: no-store`` on
every response); the PDF's file name carries the case reference and no name."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from apps.accounts.purpose import purpose_in_session
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .pack import case_pack, pack_case_or_404

# A fixed document date: the same pack gives the same bytes, whenever it is asked for (WeasyPrint writes no
# other date, and no file identifier)
PDF_METADATA_DATE = "2000-01-01T00:00:00Z"


def pdf_bytes(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def pack_response(request, *, pk: int, as_pdf: bool):
    viewer = request.viewer
    case = pack_case_or_404(viewer, pk)
    pack = case_pack(viewer=viewer, case=case)
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
