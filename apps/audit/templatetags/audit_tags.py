from django import template

register = template.Library()

LABELS = {"terms": "Searched for", "understood": "Understood as", "filters": "Filters", "page": "Page"}


@register.filter
def details_lines(details) -> list[tuple[str, str]]:
    """An event's details as readable (label, value) lines, empty values left out."""
    lines = []
    for key, value in (details or {}).items():
        if isinstance(value, dict):
            value = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items() if v not in ("", None, [], {}))
        elif isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        if value in ("", None) or (key == "page" and value == 1):
            continue
        lines.append((LABELS.get(key, key.replace("_", " ").capitalize()), str(value)))
    return lines
