"""Reviewer pages. Every query a reviewer makes is itself audited (``audit_query``),
every export of the audit log (``audit_export``), and every alert review (``alert_review``).
Other roles get 404 (``require_capability``)."""

from __future__ import annotations

import csv
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.access import AUDIT_REVIEW, require_capability
from apps.common.csv_export import Echo, csv_safe

from . import selectors, tasks
from .alerts import audit_alert_review, audit_alerts_compute
from .forms import ActivityRangeForm, AlertFilterForm, AlertReviewForm, EventFilterForm
from .models import Alert, AuditEvent
from .services import audit_record

PAGE_SIZE = 50
SUBJECT_TYPES = {"person": "Person", "family": "Family"}
CSV_COLUMNS = (
    "id", "occurred_at", "username", "user_id_snapshot", "role", "action", "subject_type", "subject_id",
    "record_ids", "purpose", "details", "result_count", "ip_address", "user_agent", "session_ref", "hash",
)


class CappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows: an exact count over millions of events costs seconds,
    and a reviewer narrows a filter long before reading 200 pages."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        return min(self.object_list[: self.COUNT_CAP + 1].count(), self.COUNT_CAP + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.COUNT_CAP

    def page(self, number):
        """A full page even at the cap (Django's would stop at ``count``)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


def _page(request, queryset):
    """One page of results, read now: the page's own audit event (written next) is not in it."""
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def _query_string_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
@require_capability(AUDIT_REVIEW)
def events(request):
    """Filter the audit log by user, action, dates and person or family."""
    form = EventFilterForm(request.GET or None)
    page = None
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else selectors.EventFilters()
        page = _page(request, selectors.audit_events(filters))
        audit_record(
            action=AuditEvent.Action.AUDIT_QUERY, request=request, subject_type="audit",
            details={"page": "events", "filters": filters.as_details(), "page_number": page.number,
                     "count_capped": page.paginator.capped},
            result_count=page.paginator.count,
        )
    return render(request, "audit/events.html", {
        "form": form, "page": page, "query": _query_string_without_page(request),
    })


@require_GET
@require_capability(AUDIT_REVIEW)
def export_csv(request):
    """The filtered events as CSV, streamed. The export is recorded before the first row leaves."""
    form = EventFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/events.html", {"form": form, "page": None, "query": ""}, status=400)
    filters = form.filters() if form.is_bound else selectors.EventFilters()
    queryset = selectors.audit_events(filters)
    audit_record(
        action=AuditEvent.Action.AUDIT_EXPORT, request=request, subject_type="audit",
        details={"format": "csv", "of": "audit_events", "filters": filters.as_details()},
        result_count=queryset.count(),
    )

    def rows():
        writer = csv.writer(Echo())
        yield writer.writerow(CSV_COLUMNS)
        for row in queryset.values_list(*CSV_COLUMNS).iterator(chunk_size=2000):
            yield writer.writerow([csv_safe(v) for v in row])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    return response


@require_GET
@require_capability(AUDIT_REVIEW)
def subject(request, subject_type: str, subject_id: str):
    """Who has looked at this person or family, and every event about them."""
    if subject_type not in SUBJECT_TYPES:
        raise Http404("Page not found")
    viewers = selectors.subject_viewers(subject_type=subject_type, subject_id=subject_id)
    page = _page(request, selectors.audit_events(selectors.EventFilters(subject_type=subject_type, subject_id=subject_id)))
    audit_record(
        action=AuditEvent.Action.AUDIT_QUERY, request=request, subject_type="audit",
        details={"page": "who_looked", "subject_type": subject_type, "subject_id": subject_id, "page_number": page.number},
        result_count=len(viewers),
    )
    return render(request, "audit/subject.html", {
        "subject_type": subject_type, "subject_label": SUBJECT_TYPES[subject_type], "subject_id": subject_id,
        "viewers": viewers, "page": page, "query": "",
    })


@require_GET
@require_capability(AUDIT_REVIEW)
def user_activity(request, user_id: int):
    """One user's activity over time: events per day, and the events themselves."""
    identity = selectors.user_identity(user_id)
    if identity is None:
        raise Http404("Page not found")
    form = ActivityRangeForm(request.GET or None)
    today = timezone.localdate()
    days, page = [], None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - timedelta(days=89)
        days = selectors.user_activity_by_day(user_id=user_id, date_from=date_from, date_to=date_to)
        page = _page(request, selectors.audit_events(selectors.EventFilters(
            date_from=date_from, date_to=date_to)).filter(user_id_snapshot=user_id))
        audit_record(
            action=AuditEvent.Action.AUDIT_QUERY, request=request, subject_type="user", subject_id=user_id,
            details={"page": "user_activity", "date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
                     "page_number": page.number},
            result_count=page.paginator.count,
        )
    peak = max((n for _, n in days), default=0)
    return render(request, "audit/user_activity.html", {
        "identity": identity, "form": form, "days": days, "peak": peak, "page": page,
        "query": _query_string_without_page(request),
    })


@require_GET
@require_capability(AUDIT_REVIEW)
def alerts(request):
    form = AlertFilterForm(request.GET or {"status": Alert.Status.OPEN})
    form.is_valid()
    status, kind = form.cleaned_data.get("status", ""), form.cleaned_data.get("kind", "")
    page = _page(request, selectors.alerts(status=status, kind=kind))
    audit_record(
        action=AuditEvent.Action.AUDIT_QUERY, request=request, subject_type="audit",
        details={"page": "alerts", "status": status, "kind": kind, "page_number": page.number},
        result_count=page.paginator.count,
    )
    return render(request, "audit/alerts.html", {
        "form": form, "page": page, "query": _query_string_without_page(request), "scan_minutes": _scan_minutes(),
    })


def _scan_minutes() -> int | None:
    """How often beat runs the alert scan (``CELERY_BEAT_SCHEDULE``), in minutes, if it is a fixed interval."""
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        if entry["task"] == tasks.audit_alerts_task.name and isinstance(entry["schedule"], timedelta):
            return int(entry["schedule"].total_seconds() // 60)
    return None


@require_POST
@require_capability(AUDIT_REVIEW)
def alerts_compute(request):
    """Scan recent events for alerts now, rather than waiting for the scheduled task."""
    raised = audit_alerts_compute()
    audit_record(
        action=AuditEvent.Action.AUDIT_QUERY, request=request, subject_type="audit",
        details={"page": "alerts_compute"}, result_count=raised,
    )
    messages.success(request, f"Checked recent activity: {raised} new alert{'s' if raised != 1 else ''}.")
    return redirect("audit:alerts")


@require_http_methods(["GET", "POST"])
@require_capability(AUDIT_REVIEW)
def alert_detail(request, alert_id: int):
    alert = get_object_or_404(Alert.objects.select_related("reviewed_by"), pk=alert_id)
    form = AlertReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            audit_alert_review(alert=alert, reviewer=request.user, note=form.cleaned_data["note"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Alert marked as reviewed.")
            return redirect("audit:alert", alert_id=alert.pk)
    audit_record(
        action=AuditEvent.Action.AUDIT_QUERY, request=request, subject_type="alert", subject_id=alert.pk,
        details={"page": "alert"}, result_count=1,
    )
    return render(request, "audit/alert.html", {"alert": alert, "form": form})
