"""Match run pages and the clerical review queue (capability ``matching.review``)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from apps.accounts import access as acl
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from thinkfamily.orchestration import match_run_task

from . import selectors, services
from .forms import ReviewDecisionForm
from .models import MatchRun, ReviewDecision

SHOW_SCORE_SESSION_KEY = "matching_show_score"


@acl.require_capability(acl.MATCHING_REVIEW)
def runs(request):
    return render(request, "matching/runs.html", {"runs": selectors.match_runs(), "queued": selectors.review_queue_count(viewer=request.viewer)})


@require_POST
@acl.require_capability(acl.MATCHING_REVIEW)
def run_start(request):
    try:
        run = services.match_run_create(kind=MatchRun.Kind.FULL, user=request.user)
    except services.MatchingError as exc:
        messages.error(request, str(exc))
        return redirect("matching:runs")
    transaction.on_commit(lambda: match_run_task.delay(run.pk))
    return redirect("matching:run", pk=run.pk)


@vary_on_headers("HX-Request", "HX-History-Restore-Request")
@acl.require_capability(acl.MATCHING_REVIEW)
def run(request, pk: int):
    match_run = get_object_or_404(MatchRun, pk=pk)
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "matching/_run_status.html" if fragment else "matching/run.html"
    return render(request, template, {"run": match_run})


@acl.require_capability(acl.MATCHING_REVIEW)
def review_queue(request):
    if "show_score" in request.GET:
        request.session[SHOW_SCORE_SESSION_KEY] = request.GET["show_score"] == "1"
    return render(
        request, "matching/review_queue.html",
        {"pairs": selectors.review_queue(viewer=request.viewer), "count": selectors.review_queue_count(viewer=request.viewer),
         "show_score": request.session.get(SHOW_SCORE_SESSION_KEY, False)},
    )


@acl.require_capability(acl.MATCHING_REVIEW)
def review_pair(request, pk: int):
    """One pair side by side. A decision leads straight to the next pair in the queue (the list when none is left);
    a missing decision is shown as an error on the form."""
    pair = selectors.review_pairs(viewer=request.viewer).filter(pk=pk).first()
    if pair is None:
        raise Http404("Page not found")
    show_score = request.session.get(SHOW_SCORE_SESSION_KEY, False)
    place = selectors.review_place(viewer=request.viewer, pair=pair)
    form = ReviewDecisionForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.review_decision_record(pair=pair, outcome=form.cleaned_data["outcome"], user=request.user,
                                            score_shown=show_score, request=request)
        except services.MatchingError as exc:
            form.add_error("outcome", str(exc))
        else:
            messages.success(request, f"Decision on pair {pk} recorded. Later match runs will follow it.")
            if place.next_pk is None:
                return redirect("matching:review_queue")
            return redirect("matching:review_pair", pk=place.next_pk)
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="source_record_pair", subject_id=f"{pair.record_low_id}-{pair.record_high_id}",
                 record_ids=[pair.record_low_id, pair.record_high_id], purpose="clerical review")
    return render(
        request, "matching/review_pair.html",
        {"pair": pair, "fields": selectors.pair_comparison(pair), "show_score": show_score, "form": form, "place": place,
         "outcomes": ReviewDecision.Outcome.choices},
    )
