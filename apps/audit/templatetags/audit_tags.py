"""Audit details and alerts as lines a reviewer reads: no Python dicts, no ISO timestamps."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import dateformat, timezone

from apps.audit.models import Alert, AuditEvent

register = template.Library()

LABELS = {"terms": "Searched for", "understood": "Understood as", "filters": "Filters", "page": "Page"}
# Detail keys whose values are stored as ISO timestamps / dates.
TIME_KEYS = {"expires_at", "until", "cutoff", "last_deleted_occurred_at", "first_at", "last_at"}
DAY_KEYS = {"day", "date_from", "date_to"}


def readable_time(value, *, clock_only: bool = False) -> str:
    """An aware datetime or ISO timestamp as local time: "30 Nov 2026, 17:05" (or "17:05")."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return dateformat.format(moment, "H:i" if clock_only else "j M Y, H:i")


def readable_day(value, *, weekday: bool = False) -> str:
    """A date or ISO date: "10 Mar 2026", or with ``weekday`` "Tuesday 10 March 2026"."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return dateformat.format(day, "l j F Y" if weekday else "j M Y")


def _readable_value(key: str, value) -> str:
    try:
        if key in TIME_KEYS:
            return readable_time(value)
        if key in DAY_KEYS:
            return readable_day(value)
    except (TypeError, ValueError):
        pass  # not what the key usually holds: shown as stored
    return str(value)


@register.filter
def details_lines(details) -> list[tuple[str, str]]:
    """An event's details as readable (label, value) lines, empty values left out."""
    lines = []
    for key, value in (details or {}).items():
        if isinstance(value, dict):
            value = ", ".join(f"{k.replace('_', ' ')} {_readable_value(k, v)}" for k, v in value.items()
                              if v not in ("", None, [], {}))
        elif isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        if value in ("", None) or (key == "page" and value == 1):
            continue
        lines.append((LABELS.get(key, key.replace("_", " ").capitalize()), _readable_value(key, value)))
    return lines


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _action_label(action: str) -> str:
    return AuditEvent.Action(action).label if action in AuditEvent.Action.values else action


@register.filter
def alert_lines(alert: Alert) -> list[str]:
    """What an alert is about, in sentences: e.g. "Broke the glass on person 123: reason '…', until 30 Nov 2026, 17:05"."""
    d = alert.details or {}
    record = f"{alert.subject_type} {alert.subject_id}"
    if alert.kind == Alert.Kind.BREAK_GLASS:
        if d.get("opened") is False:
            return [f"Tried to break the glass on {record}, where there was no restricted record to open: "
                    f"reason '{d.get('reason', '')}'"]
        until = f", until {readable_time(d['until'])}" if d.get("until") else ""
        return [f"Broke the glass on {record}: reason '{d.get('reason', '')}'{until}"]
    if alert.kind == Alert.Kind.RESTRICTED:
        return [f"Opened {record} ({_action_label(d.get('action', '')).lower()}) while it was restricted, "
                f"at {readable_time(alert.occurred_at)}"]
    if alert.kind == Alert.Kind.OUT_OF_HOURS:
        span = ""
        if d.get("first_at") and d.get("last_at"):
            first, last = (readable_time(d[k], clock_only=True) for k in ("first_at", "last_at"))
            span = f", at {first}" if first == last else f", between {first} and {last}"
        lines = [f"Read personal data out of hours on {readable_day(d['day'], weekday=True)}: "
                 f"{_plural(d.get('count', 0), 'event')}{span}"]
        if d.get("event_ids"):
            lines.append("Audit events " + ", ".join(str(i) for i in d["event_ids"]))
        return lines
    if alert.kind == Alert.Kind.VOLUME:
        return [f"{_plural(d['count'], 'read')} of personal data on {readable_day(d['day'], weekday=True)}; "
                f"on a usual day {d['median_30_days']:g} (the median of the previous 30 days)"]
    if alert.kind == Alert.Kind.SHARED_SURNAME:
        return [f"Viewed {record}, whose surname {d.get('surname', '')} is the same as theirs "
                f"({_action_label(d.get('action', '')).lower()})"]
    if alert.kind == Alert.Kind.CHAIN_BREAK:
        lines = [d["reason"][:1].upper() + d["reason"][1:]] if d.get("reason") else []
        if d.get("position"):
            lines.append(f"At position {d['position']:,} of the chain")
        return lines + [f"{_plural(d.get('rows_checked', 0), 'row')} verified before the break"]
    return [f"{label}: {value}" for label, value in details_lines(d)]
