"""Import pages for users whose role has ``imports.manage`` (custodian, analyst). Thin: services and selectors do the work."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.access import ACCESS_MANAGE, IMPORTS_MANAGE, MATCHING_REVIEW, access_for, require_capability
from thinkfamily.orchestration import upload_load_task

from . import selectors, services
from .forms import ExtractUploadForm
from .models import ImportBatch
from .quarantine import selectors as quarantine_selectors
from .validation import QUALITY_COLUMNS


@require_capability(IMPORTS_MANAGE)
def batches(request):
    dataset_code = request.GET.get("dataset") or None
    return render(
        request,
        "sources/batches.html",
        {"batches": selectors.import_batch_list(dataset_code=dataset_code), "dataset_code": dataset_code},
    )


@require_capability(IMPORTS_MANAGE)
def upload(request):
    form = ExtractUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        batch = services.import_batch_create(
            dataset=form.cleaned_data["dataset"], filename=upload_file.name, uploaded_by=request.user
        )
        services.UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
        path = services.upload_path(batch)
        with path.open("wb") as out:
            for chunk in upload_file.chunks():
                out.write(chunk)
        # The request's transaction (ATOMIC_REQUESTS) must commit the batch before a worker looks for it.
        transaction.on_commit(lambda: upload_load_task.delay(batch.pk, str(path)))
        return redirect("sources:batch", pk=batch.pk)
    return render(request, "sources/upload.html", {"form": form})


def _batch_or_404(pk: int) -> ImportBatch:
    try:
        return selectors.import_batch_get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404("Page not found") from None


def _may_make_current(request) -> bool:
    """Making an earlier extract current again is the data custodian's decision (imports and access management)."""
    return access_for(request.user, request).can(ACCESS_MANAGE)


@require_capability(IMPORTS_MANAGE)
def batch(request, pk: int):
    found = _batch_or_404(pk)
    return render(
        request,
        "sources/batch.html",
        {
            "batch": found,
            "progress": selectors.import_batch_progress(batch=found),
            "missing": selectors.missing_identifiers(found),
            "known": selectors.known_extract(batch=found),
            "may_make_current": _may_make_current(request),
            "quarantined": quarantine_selectors.batch_counts(batch_id=found.pk) if found.rows_quarantined else None,
        },
    )


@require_POST
@require_capability(IMPORTS_MANAGE)
def batch_make_current(request, pk: int):
    """POST only: load a duplicate's kept file again so that it becomes the dataset's current extract."""
    duplicate = _batch_or_404(pk)
    if not _may_make_current(request):
        raise Http404("Page not found")
    try:
        batch, path = services.import_batch_make_current(duplicate=duplicate, user=request.user, request=request)
    except services.ImportActionError as exc:
        messages.error(request, str(exc))
        return redirect("sources:batch", pk=duplicate.pk)
    transaction.on_commit(lambda: upload_load_task.delay(batch.pk, str(path), make_current_again=True))
    return redirect("sources:batch", pk=batch.pk)


@require_capability(IMPORTS_MANAGE)
def batch_progress(request, pk: int):
    """The progress fragment the batch page polls (htmx) while the load runs."""
    found = _batch_or_404(pk)
    progress = selectors.import_batch_progress(batch=found)
    response = render(request, "sources/_progress.html", {"batch": found, "progress": progress})
    if not progress["in_progress"] and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # finished: reload the page to show the outcome and any problems
    return response


@require_capability(IMPORTS_MANAGE)
def quality(request):
    """Per dataset figures, and the quarantined rows waiting for a decision (row, column, reason: no values)."""
    return render(request, "sources/quality.html", {
        "rows": selectors.dataset_quality_list(), "quality_columns": QUALITY_COLUMNS,
        "quarantine": quarantine_selectors.open_rows(), "may_open_rows": request.viewer.can(MATCHING_REVIEW),
    })
