"""The datasets page (``datasets.manage``: the custodian and the data quality officer): list, define, change,
upload and download a dataset's definition. Thin: forms collect, ``dataset_services`` checks and writes."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.access import DATASETS_MANAGE, require_capability

from . import dataset_selectors as selectors
from . import dataset_services as services
from .catalogue import DATE_FORMAT_LABELS
from .dataset_forms import (
    BAD_ROWS_LABELS,
    TYPE_LABELS,
    ColumnFormSet,
    DatasetForm,
    DescriptorUploadForm,
    EventTypeFormSet,
    descriptor_from_forms,
    forms_initial,
)
from .descriptors import DescriptorError, base_identity_fields, descriptor_dumps, descriptor_parse
from .models import Dataset


def _dataset_or_404(code: str) -> Dataset:
    try:
        return selectors.dataset_get(code=code)
    except Dataset.DoesNotExist:
        raise Http404("Page not found") from None


@require_capability(DATASETS_MANAGE)
def datasets(request):
    return render(request, "sources/datasets.html", {"datasets": selectors.dataset_list(),
                                                     "bad_rows_labels": BAD_ROWS_LABELS})


@require_capability(DATASETS_MANAGE)
def dataset(request, code: str):
    found = _dataset_or_404(code)
    return render(request, "sources/dataset.html", {
        "dataset": found, "descriptor": found.descriptor, "history": selectors.dataset_history(dataset=found),
        "type_labels": TYPE_LABELS, "date_format_label": DATE_FORMAT_LABELS.get(found.descriptor.get("date_format")),
        "bad_rows_label": BAD_ROWS_LABELS.get(found.descriptor.get("bad_rows", "reject")),
        "gateways": found.gateways.all(),
    })


def _forms(request, *, initial=(None, None, None), editing=False):
    data = request.POST if request.method == "POST" else None
    dataset_initial, columns_initial, events_initial = initial
    return (DatasetForm(data, initial=dataset_initial, editing=editing),
            ColumnFormSet(data, initial=columns_initial, prefix="col"),
            EventTypeFormSet(data, initial=events_initial, prefix="evt"))


def _posted_descriptor(form, columns, events, version: int) -> dict | None:
    """The descriptor the forms describe; None while a form has errors of its own (shown beside its fields)."""
    if not (form.is_valid() and columns.is_valid() and events.is_valid()):
        return None
    return descriptor_from_forms(form.cleaned_data, [c for c in columns.cleaned_data if c],
                                 [e for e in events.cleaned_data if e], version=version)


@require_http_methods(["GET", "POST"])
@require_capability(DATASETS_MANAGE)
def dataset_new(request):
    base = {"fact_kind": "event", "date_format": "%Y-%m-%d", "bad_rows": "reject", "cadence": "monthly",
            "trust_rank": 50, "retention_days": 6 * 365, "validated": True}
    _, columns_initial, _ = forms_initial({"schema": {"fields": base_identity_fields()}, **base})
    form, columns, events = _forms(request, initial=(base, columns_initial, []))
    problems: list[str] = []
    if request.method == "POST":
        descriptor = _posted_descriptor(form, columns, events, 1)
        if descriptor is not None:
            try:
                created = services.dataset_create(descriptor=descriptor, user=request.user, request=request)
            except DescriptorError as exc:
                problems = exc.errors
            else:
                messages.success(request, f"Dataset {created.code} defined")
                return redirect("sources:dataset", code=created.code)
    return render(request, "sources/dataset_form.html", {
        "form": form, "columns": columns, "events": events, "problems": problems, "dataset": None})


@require_http_methods(["GET", "POST"])
@require_capability(DATASETS_MANAGE)
def dataset_edit(request, code: str):
    found = _dataset_or_404(code)
    form, columns, events = _forms(request, initial=forms_initial(found.descriptor), editing=True)
    problems: list[str] = []
    if request.method == "POST":
        descriptor = _posted_descriptor(form, columns, events, found.descriptor.get("version", 0) + 1)
        if descriptor is not None:
            try:
                changes = services.dataset_update(dataset=found, descriptor=descriptor, user=request.user,
                                                  request=request)
            except DescriptorError as exc:
                problems = exc.errors
            else:
                messages.success(request, f"Dataset {found.code} changed: version {found.descriptor['version'] + 1}"
                                 if changes else "Nothing was changed")
                return redirect("sources:dataset", code=found.code)
    return render(request, "sources/dataset_form.html", {
        "form": form, "columns": columns, "events": events, "problems": problems, "dataset": found})


@require_capability(DATASETS_MANAGE)
def dataset_descriptor(request, code: str):
    """The definition as a descriptor file: an export, recorded in the audit log."""
    found = _dataset_or_404(code)
    services.dataset_export_audit(dataset=found, request=request)
    response = HttpResponse(descriptor_dumps(found.descriptor), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.code}.json"'
    return response


@require_http_methods(["GET", "POST"])
@require_capability(DATASETS_MANAGE)
def dataset_upload(request):
    """A descriptor file defines a new dataset, or is the next version of the dataset whose code it has."""
    form = DescriptorUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            descriptor = descriptor_parse(upload.read(), source=upload.name)
            existing = Dataset.objects.filter(code=descriptor["code"]).first()
            if existing is None:
                done = services.dataset_create(descriptor=descriptor, user=request.user, request=request)
                messages.success(request, f"Dataset {done.code} defined from {upload.name}")
            else:
                changes = services.dataset_update(dataset=existing, descriptor=descriptor, user=request.user,
                                                  request=request)
                done = existing
                messages.success(request, f"Dataset {done.code} changed from {upload.name}" if changes
                                 else f"{upload.name} is the definition {done.code} has already: nothing changed")
        except DescriptorError as exc:
            problems = exc.errors
        else:
            return redirect("sources:dataset", code=done.code)
    return render(request, "sources/dataset_upload.html", {"form": form, "problems": problems})
