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

from . import explain, selectors, services
from .config import MatchingConfig
from .forms import ReviewDecisionForm, ThresholdsForm
from .models import MatchRun, ReviewDecision, ThresholdSetting

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
    if fragment:
        return render(request, "matching/_run_status.html", {"run": match_run})
    return _run_page(request, match_run, ThresholdsForm(initial=_current_thresholds()))


def _current_thresholds() -> dict:
    config = MatchingConfig.for_next_run()
    return {"match_threshold": config.match_threshold, "review_threshold": config.review_threshold}


def _run_page(request, match_run: MatchRun, form: ThresholdsForm, status: int = 200):
    """The run page: figures, the model's weights and m/u, accuracy from labels and the thresholds form."""
    accuracy = match_run.accuracy or {}
    return render(request, "matching/run.html", {
        "run": match_run, "weights": explain.weight_bars(match_run.parameters or []),
        "accuracy": accuracy, "enough_labels": explain.enough_labels(accuracy) if accuracy else False,
        "form": form, "current": _current_thresholds(), "history": ThresholdSetting.objects.select_related(
            "set_by", "based_on_run")[:10],
    }, status=status)


@require_POST
@acl.require_capability(acl.MATCHING_REVIEW)
def thresholds_set(request, pk: int):
    """Choose the thresholds of the next runs from this run's accuracy table (audited; history kept)."""
    match_run = get_object_or_404(MatchRun, pk=pk)
    form = ThresholdsForm(request.POST)
    if form.is_valid():
        try:
            services.thresholds_set(**form.cleaned_data, user=request.user, run=match_run, request=request)
        except services.MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thresholds recorded. The next match run will use them.")
            return redirect("matching:run", pk=match_run.pk)
    return _run_page(request, match_run, form, status=400)


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
         "outcomes": ReviewDecision.Outcome.choices,
         "explanation": explain.waterfall(pair.explanation) if show_score and pair.explanation else []},
    )
