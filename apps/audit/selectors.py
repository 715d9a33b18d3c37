"""Reads of the audit log for reviewers. Every function here returns audit data only, never case data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Alert, AuditEvent


def local_day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


@dataclass(frozen=True)
class EventFilters:
    """What a reviewer filtered the audit log by; recorded with each query."""

    username: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    subject_type: str = ""
    subject_id: str = ""

    def as_details(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}


def audit_events(filters: EventFilters) -> QuerySet[AuditEvent]:
    """Events matching ``filters``, newest first. Date bounds are local calendar days, inclusive."""
    events = AuditEvent.objects.all()
    if filters.username:
        events = events.filter(username=filters.username)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.date_from:
        events = events.filter(occurred_at__gte=local_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(occurred_at__lt=local_day_start(filters.date_to + timedelta(days=1)))
    if filters.subject_type:
        events = events.filter(subject_type=filters.subject_type)
    if filters.subject_id:
        events = events.filter(subject_id=filters.subject_id)
    return events.order_by("-occurred_at", "-id")


def subject_viewers(*, subject_type: str, subject_id: str) -> list[dict]:
    """Who has looked at one person or family: per user and role, how often, first and last time."""
    return list(
        AuditEvent.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .exclude(user_id_snapshot__isnull=True)
        .values("user_id_snapshot", "username", "role")
        .annotate(events=Count("id"), first_at=Min("occurred_at"), last_at=Max("occurred_at"))
        .order_by("-last_at")
    )


def user_activity_by_day(*, user_id: int, date_from: date, date_to: date) -> list[tuple[date, int]]:
    """One user's number of events per local day, every day in the range (zero days included)."""
    counts = dict(
        AuditEvent.objects.filter(
            user_id_snapshot=user_id,
            occurred_at__gte=local_day_start(date_from),
            occurred_at__lt=local_day_start(date_to + timedelta(days=1)),
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    days = (date_to - date_from).days + 1
    return [(d, counts.get(d, 0)) for d in (date_from + timedelta(days=i) for i in range(days))]


def user_identity(user_id: int) -> dict | None:
    """The username an audited user id last acted under (the account itself may be gone)."""
    return (
        AuditEvent.objects.filter(user_id_snapshot=user_id)
        .order_by("-occurred_at", "-id")
        .values("user_id_snapshot", "username")
        .first()
    )


def alerts(*, status: str = "", kind: str = "") -> QuerySet[Alert]:
    found = Alert.objects.select_related("reviewed_by")
    if status:
        found = found.filter(status=status)
    if kind:
        found = found.filter(kind=kind)
    return found.order_by("-occurred_at", "-id")
