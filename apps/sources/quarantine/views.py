"""The quarantined row's page: the row as received, its problems, and the officer's decision (correct or discard).

It shows personal data, so it needs ``matching.review`` (the data quality officer, who reviews identity
fields already) rather than ``imports.manage`` alone (analysts and the custodian do not read rows), and every
view is audited. A correction that loads starts the incremental match of the dataset once the request
commits (``thinkfamily.orchestration.extract_link_task``).
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.accounts.access import MATCHING_REVIEW, require_capability
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.common.dates import date_format_label
from thinkfamily.orchestration import extract_link_task

from ..catalogue import ISO_DATE
from ..specs import dataset_spec
from . import selectors, services
from .models import QuarantinedRow

REASON_MAX = 500


@require_capability(MATCHING_REVIEW)
def quarantined_row(request, pk: int):
    try:
        row = selectors.row_get(pk=pk)
    except QuarantinedRow.DoesNotExist:
        raise Http404("Page not found") from None
    columns = list(row.columns)
    values = dict(zip(columns, services.row_values(row), strict=True))
    errors: dict[str, str] = {}  # field -> message
    summary: list[tuple[str, str]] = []  # (anchor, message) for the error summary
    discard_reason = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "correct":
                values = {c: request.POST.get(f"value-{c}", "") for c in columns}
                services.quarantined_row_correct(row=row, values=values, user=request.user, request=request)
                dataset_id = row.dataset_id
                transaction.on_commit(lambda: extract_link_task.delay(dataset_id))
                messages.success(request, f"Row {row.row_number} of batch {row.batch_id} was corrected and loaded; "
                                          "it is linked by the dataset's next match.")
                return redirect(f"{_quality_url()}#quarantine")
            if action == "discard":
                discard_reason = request.POST.get("reason", "")[:REASON_MAX]
                services.quarantined_row_discard(row=row, reason=discard_reason, user=request.user, request=request)
                messages.success(request, f"Row {row.row_number} of batch {row.batch_id} was discarded.")
                return redirect(f"{_quality_url()}#quarantine")
            summary.append(("correct-heading", "Choose to correct the row or to discard it"))
        except services.CorrectionProblems as refused:
            for column, reason in refused.problems:
                anchor = f"value-{column}" if column in columns else "correct-heading"
                errors.setdefault(column, reason)
                summary.append((anchor, f"{column or 'Row'}: {reason}"))
        except services.QuarantineError as exc:
            anchor = "reason" if action == "discard" else "correct-heading"
            errors["reason" if action == "discard" else ""] = str(exc)
            summary.append((anchor, str(exc)))
        row.refresh_from_db()
    audit_record(
        action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="quarantined_row", subject_id=row.pk,
        details={"dataset": row.dataset.code, "batch": row.batch_id, "row": row.row_number},
    )
    fields = [{"name": c, "value": values.get(c, ""), "error": errors.get(c, "")} for c in columns]
    return render(request, "sources/quarantined_row.html", {
        "row": row, "fields": fields, "summary": summary, "errors": errors, "form_error": errors.get("", ""),
        "discard_reason": discard_reason, "date_label": date_format_label(_spec_date_format(row)),
        "raw_text": row.raw_bytes.decode("utf-8", "replace"),
        "may_correct": row.status == QuarantinedRow.Status.OPEN and row.batch.is_current,
    })


def _spec_date_format(row: QuarantinedRow) -> str:
    spec = dataset_spec(row.dataset.code)
    return spec.date_format if spec else ISO_DATE


def _quality_url() -> str:
    return reverse("sources:quality")
