"""Normalising responses so two can be compared byte for byte: only what must differ between two
requests for the same thing (CSRF tokens, CSP nonces, the clock) is replaced; everything else stays."""

from __future__ import annotations

import re

_VOLATILE = (
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken" value="CSRF"'),
    (re.compile(r'(name="csrf-token" content=")[^"]+"'), r'\1CSRF"'),
    (re.compile(r'"X-CSRFToken": ?"[^"]+"'), '"X-CSRFToken": "CSRF"'),
    (re.compile(r'nonce="[^"]+"'), 'nonce="NONCE"'),
    (re.compile(r"'nonce-[^']+'"), "'nonce-NONCE'"),
)


def normalise(body: str | bytes, *, ids: dict[str, str] | None = None) -> str:
    """``body`` with volatile values replaced; ``ids`` maps record ids, as they appear in paths (``/987/``),
    to stable names (e.g. ``{"987": "ID"}``)."""
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    for value, name in (ids or {}).items():
        text = text.replace(f"/{value}/", f"/{name}/")
    return text
