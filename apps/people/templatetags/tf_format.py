"""Numbers and dates as people read them, in the GOV.UK style, for every template.

``{% load tf_format %}`` then ``{{ p.date_of_birth|day }}`` -> "3 March 2026", ``{{ batch.finished_at|when }}``
-> "3 March 2026 at 2:05pm", ``{{ 28.409|percent }}`` -> "28.4%", ``{{ risk.value|score }}`` -> "80",
``{{ 0.9871|probability }}`` -> "98.7%", ``{{ 7.25|number }}`` -> "7.3", ``{{ 12345|count }}`` -> "12,345", ``{{ cost|money }}`` -> "£1,235".
A missing date is "" (so ``|default:"Not known"`` still works); a missing number is a dash.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import wraps

from django import template
from django.utils import timezone

register = template.Library()
DASH = "–"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _local(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def day(value) -> str:
    """A date (or the date of a time): "3 March 2026"."""
    if not isinstance(value, dt.date):
        return ""
    value = _local(value)
    return f"{value.day} {value:%B %Y}"


@register.filter
def month(value) -> str:
    """"March 2026"."""
    if not isinstance(value, dt.date):
        return ""
    return f"{_local(value):%B %Y}"


@register.filter
def when(value) -> str:
    """A moment: "3 March 2026 at 2:05pm" (midday is "12pm", midnight "12am"), in the service's time zone."""
    if not isinstance(value, dt.datetime):
        return day(value)
    value = _local(value)
    hour = value.hour % 12 or 12
    clock = f"{hour}{value:%p}".lower() if value.minute == 0 else f"{hour}:{value:%M}{value:%p}".lower()
    return f"{day(value)} at {clock}"


def _numeric(function):
    """A number filter: its value as a Decimal; a missing or unreadable value is shown as a dash."""

    @wraps(function)
    def wrapped(value, *args):
        number = _decimal(value)
        return DASH if number is None else function(number, *args)

    return register.filter(function.__name__, wrapped)


@_numeric
def percent(value: Decimal, places: int = 1) -> str:
    """A percentage already on the 0–100 scale, to one decimal place: "28.4%"."""
    return f"{_rounded(value, int(places))}%"


@_numeric
def probability(value: Decimal) -> str:
    """A probability on the 0–1 scale as a percentage to one decimal place: 0.9871 -> "98.7%"."""
    return percent(value * 100)


@_numeric
def score(value: Decimal, places: int = 0) -> str:
    """A score as a whole number (or ``|score:1`` to one decimal place): 80.219999 -> "80"."""
    return f"{_rounded(value, int(places)):,}"


@_numeric
def number(value: Decimal) -> str:
    """A measured value: whole numbers as they are, others to one decimal place: 32 -> "32", 7.25 -> "7.3"."""
    return score(value, 0 if value == value.to_integral_value() else 1)


@_numeric
def count(value: Decimal) -> str:
    """A whole number with thousands separated: 12345 -> "12,345"."""
    return score(value)


@_numeric
def money(value: Decimal) -> str:
    """Pounds to the pound: "£1,235"."""
    return f"£{_rounded(value, 0):,}"
