from django import template

from apps.indicators.selectors import SMALL_CELL

register = template.Library()


@register.filter
def suppressed(count: int) -> str:
    """A count, or "fewer than 5" for small non-zero counts that could identify a family."""
    return f"fewer than {SMALL_CELL}" if 0 < count < SMALL_CELL else f"{count:,}"


@register.filter
def get(mapping, key):
    return mapping.get(key, 0)
