"""Pages of incident notifications (lead practitioners) and police marker requests (the police partner).
Thin: selectors read, services write, every read and write recorded in the request's transaction."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts import access as acl
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.common.csv_export import Echo, csv_safe

from . import marker_services, notification_services
from .marker_selectors import marker_request_visible_or_none, marker_requests_for
from .notification_selectors import notification_visible_or_none, notifications_for


@acl.require_capability(acl.CASEWORK)
def notifications(request):
    found = notifications_for(viewer=request.viewer)
    response = render(request, "casework/notifications.html", {"my_notifications": found})
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="notifications",
                 record_ids=sorted({n.person_id for n in found.items}), result_count=len(found.items))
    return response


@require_POST
@acl.require_capability(acl.CASEWORK)
def notification_read(request, pk: int):
    notification = notification_visible_or_none(viewer=request.viewer, pk=pk)
    if notification is None:
        raise Http404("Page not found")
    notification_services.notification_mark_read(notification=notification, by=request.user, request=request)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return redirect(back)
    return redirect("casework:notifications")


def _markers_page(request, *, status=200, error: str = "", error_pk=None):
    rows = marker_requests_for(viewer=request.viewer)
    response = render(request, "casework/markers.html", {"requests": rows, "error": error, "error_pk": error_pk,
                                                         "pending": [r for r in rows if r.status == "pending"]},
                      status=status)
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="marker_requests",
                 record_ids=sorted({p.pk for r in rows for p in r.persons_seen}), result_count=len(rows))
    return response


@acl.require_capability(acl.CASE_MARKERS)
def markers(request):
    return _markers_page(request)




CSV_COLUMNS = ("request", "request_type", "requested_on", "family_reference", "case_reference", "surname", "forename",
               "date_of_birth", "lead_practitioner", "lead_email", "team", "team_phone", "team_email")


@require_POST
@acl.require_capability(acl.CASE_MARKERS)
def markers_export(request):
    """The pending requests as CSV, one row per member; they are marked exported, recorded as one export."""
    pending = marker_requests_for(viewer=request.viewer, statuses=("pending",))
    marker_services.marker_export(requests=pending, by=request.user, request=request)
    writer = csv.writer(Echo())
    lines = [writer.writerow(CSV_COLUMNS)]
    for r in pending:
        lead, team = r.case.lead_practitioner, r.case.team
        for p in r.persons_seen:
            lines.append(writer.writerow([csv_safe(v) for v in (
                r.pk, r.get_kind_display(), r.created_at.date().isoformat(), r.family.reference, r.case.reference,
                p.surname, p.forename, p.date_of_birth.isoformat() if p.date_of_birth else "",
                (lead.get_full_name() or lead.get_username()) if lead else "", lead.email if lead else "",
                team.name if team else "", team.phone if team else "", team.email if team else "")]))
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="marker-requests.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@acl.require_capability(acl.CASE_MARKERS)
def marker_acknowledge(request, pk: int):
    marker = marker_request_visible_or_none(viewer=request.viewer, pk=pk)
    if marker is None:
        raise Http404("Page not found")
    try:
        marker_services.marker_acknowledge(marker=marker, police_reference=request.POST.get("police_reference", ""),
                                           by=request.user, request=request)
    except marker_services.MarkerError as error:
        return _markers_page(request, status=400, error=str(error), error_pk=marker.pk)
    messages.success(request, f"Request {marker.pk} is acknowledged.")
    return redirect("casework:markers")
