"""The data quality officer's address queue (``matching.review``) and the gazetteer page (``imports.manage``). Thin."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from apps.accounts import access as acl
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from . import selectors, services
from .forms import GazetteerUploadForm, ResolutionDecisionForm


@acl.require_capability(acl.MATCHING_REVIEW)
def queue(request):
    """Addresses whose best UPRN scored below the threshold, lowest first (one page): they show where people live."""
    rows = list(selectors.review_queue(viewer=request.viewer)[:selectors.QUEUE_PAGE])
    count = selectors.review_queue_count(viewer=request.viewer)
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="address_queue",
                 record_ids=[r.pk for r in rows], result_count=count, purpose="address resolution")
    return render(request, "gazetteer/queue.html", {"rows": rows, "count": count,
                                                    "threshold": services.match_threshold(),
                                                    "gazetteer": selectors.gazetteer_current()})


@acl.require_capability(acl.MATCHING_REVIEW)
def resolution(request, pk: int):
    """One address as sent, its candidates as the gazetteer spells them, and the decision form."""
    found = selectors.resolution_with_candidates(viewer=request.viewer, pk=pk)
    if found is None:
        raise Http404("Page not found")
    address, candidates = found
    form = ResolutionDecisionForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.resolution_decide(resolution=address, decision=form.cleaned_data["decision"],
                                       uprn=form.cleaned_data["uprn"], user=request.user, request=request)
        except services.DecisionError as exc:
            form.add_error("uprn" if form.cleaned_data["decision"] == "choose" else "decision", str(exc))
        else:
            messages.success(request, "Decision recorded. Households follow it from the next match run.")
            following = selectors.review_next(viewer=request.viewer, after=address)
            return redirect("gazetteer:resolution", pk=following.pk) if following else redirect("gazetteer:queue")
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="address", subject_id=address.pk,
                 purpose="address resolution")
    return render(request, "gazetteer/resolution.html",
                  {"address": address, "candidates": candidates, "form": form,
                   "choices": form.fields["decision"].choices, "threshold": services.match_threshold()})


@acl.require_capability(acl.IMPORTS_MANAGE)
def gazetteer(request):
    """The gazetteer in use, its earlier versions, and the upload of a new one (checked whole; all or nothing)."""
    form = GazetteerUploadForm(request.POST or None, request.FILES or None)
    problems = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            version = services.gazetteer_import(path_or_file=upload, filename=upload.name, user=request.user,
                                                request=request)
        except services.GazetteerRefused as exc:
            problems = exc.problems
            form.add_error("file", f"The file was refused: {problems.total} problem(s). Nothing was imported.")
        else:
            messages.success(request, f"Gazetteer {version.filename} is in use: {version.rows} properties. "
                                      "Addresses are resolved against it from the next match run.")
            return redirect("gazetteer:gazetteer")
    return render(request, "gazetteer/gazetteer.html",
                  {"form": form, "problems": problems, "versions": selectors.gazetteer_versions()[:20]})
