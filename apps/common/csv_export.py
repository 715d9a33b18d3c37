"""Writing CSV exports that a spreadsheet opens safely."""

from __future__ import annotations


def csv_safe(value) -> str:
    """Stop a spreadsheet from running a cell as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class Echo:
    """A file-like object whose ``write`` returns the line: ``csv.writer(Echo()).writerow(...)`` gives the text."""

    def write(self, value):
        return value
