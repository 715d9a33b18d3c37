"""Import pages for users whose role has ``imports.manage`` (custodian, analyst). Thin: services and selectors do the work."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render

from apps.accounts.access import IMPORTS_MANAGE, require_capability

from . import selectors, services
from .forms import ExtractUploadForm
from .models import ImportBatch
from .tasks import import_batch_load_task
from .validation import QUALITY_COLUMNS

UPLOAD_DIR = Path(settings.VAR_DIR) / "uploads"


@require_capability(IMPORTS_MANAGE)
def batches(request):
    services.import_batches_interrupted_mark()
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
        UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
        path = UPLOAD_DIR / f"{uuid.uuid4().hex}.csv"
        with path.open("wb") as out:
            for chunk in upload_file.chunks():
                out.write(chunk)
        # The request's transaction (ATOMIC_REQUESTS) must commit the batch before a worker looks for it.
        transaction.on_commit(lambda: import_batch_load_task.delay(batch.pk, str(path)))
        return redirect("sources:batch", pk=batch.pk)
    return render(request, "sources/upload.html", {"form": form})


def _batch_or_404(pk: int) -> ImportBatch:
    try:
        return selectors.import_batch_get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404("Page not found") from None


@require_capability(IMPORTS_MANAGE)
def batch(request, pk: int):
    services.import_batches_interrupted_mark()
    found = _batch_or_404(pk)
    return render(
        request,
        "sources/batch.html",
        {
            "batch": found,
            "progress": selectors.import_batch_progress(batch=found),
            "missing": selectors.missing_identifiers(found),
        },
    )


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
    return render(request, "sources/quality.html", {"rows": selectors.dataset_quality_list(), "quality_columns": QUALITY_COLUMNS})
