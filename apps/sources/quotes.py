"""What went wrong with a quote in a CSV file, in words: which row and column, and what it swallowed."""

from __future__ import annotations

import csv
import io


def _line_of(binary_file, number: int) -> str:
    """Physical line ``number`` (1 = the header) of a file, as the CSV reader counts lines, from its current position."""
    text = io.TextIOWrapper(binary_file, encoding="utf-8", errors="surrogateescape", newline="")
    try:
        for count, line in enumerate(text, start=1):
            if count == number:
                return line
        return ""
    finally:
        text.detach()


def _runaway_quote(row: int, column: str, value: str) -> str:
    lines = value.count("\n") or value.count("\r")
    return (f"unbalanced quote starting in row {row}, column {column}: the quoted value runs over line breaks "
            f"into the {lines:,} line(s) after it")


def _first_bad_quote(line: str) -> tuple[int, str] | None:
    """(field index, "stray" or "open") of the first quoted value on ``line`` that breaks the CSV rules.

    "stray": a quoted value followed by anything but a comma (a quote inside it
    that was not doubled); "open": a quoted value not closed on this line.
    """
    line = line.rstrip("\r\n")
    field, at = 0, 0
    while True:
        if line.startswith('"', at):
            close = at + 1
            while (close := line.find('"', close)) != -1 and line.startswith('""', close):
                close += 2
            if close == -1:
                return field, "open"
            at = close + 1
            if at < len(line) and line[at] != ",":
                return field, "stray"
        else:
            at = line.find(",", at)
            if at == -1:
                return None
        if at >= len(line):
            return None
        field, at = field + 1, at + 1


def _quote_problem(line: str, columns: list[str], row: int, lines_read: int, error: csv.Error) -> tuple[str, str]:
    """(column, reason) for a record the CSV reader gave up on, from the first line of that record.

    A quote inside a quoted value that was not doubled, or a quoted value never
    closed: at the end of the file that is a truncated file; before it, an
    unbalanced quote that swallowed the lines after it.
    """
    found = _first_bad_quote(line)
    if found is None:
        return "", f"the row cannot be read as CSV ({error}); the rows after it were not read"
    field, kind = found
    name = columns[field] if field < len(columns) else f"field {field + 1}"
    column = name if field < len(columns) else ""
    if kind == "stray":
        return column, (f"unbalanced quote starting in row {row}, column {name}: a quote inside a quoted value must be "
                        'doubled ("") or the value left unquoted; the rows after it were not read')
    if "unexpected end of data" not in str(error):  # closed lines later by a quote with text after it
        return column, f"{_runaway_quote(row, name, chr(10) * (lines_read - 1))}; the rows after it were not read"
    if lines_read <= 1:
        return column, f"the file ends part-way through a quoted value in column {name} (truncated file?)"
    return column, (f"unbalanced quote starting in row {row}, column {name}: the quoted value is never closed, so the "
                    f"rest of the file ({lines_read:,} lines) was read into it")
