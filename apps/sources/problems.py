"""A file's problems: row, column and reason, the first ``PROBLEMS_LISTED`` in full, then counts.

Reasons never repeat the offending value: it may be personal data, and the reports are read by
people who are not meant to see case data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

PROBLEMS_LISTED = 1000


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the whole file; 0: the header
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = "file" if self.row is None else "header" if self.row == 0 else f"row {self.row}"
        return f"{where}, {self.column or '-'}: {self.reason}" if self.column else f"{where}: {self.reason}"


class ProblemLog:
    """Every problem counted by (column, reason); the first ``PROBLEMS_LISTED`` kept in full."""

    def __init__(self, limit: int = PROBLEMS_LISTED):
        self.limit = limit
        self.listed: list[Problem] = []
        self.counts: Counter[tuple[str, str]] = Counter()
        self.rows_rejected = 0
        self.count = 0
        self.row_problems: list[Problem] = []  # every problem since ``row_start``, however many are listed
        self._last_row: int | None = None
        self.labels: dict[str, str] = {}  # column -> how problems name it (the agency's header and ours)

    def row_start(self) -> None:
        """Begin collecting the problems of one row (``row_problems``), for a row that is quarantined."""
        self.row_problems = []

    def add(self, row: int | None, column: str, reason: str, detail: str = "") -> None:
        """Count the problem by (column, reason); list it, with ``detail`` appended, while under the limit."""
        column = self.labels.get(column, column)
        problem = Problem(row, column, f"{reason} ({detail})" if detail else reason)
        if len(self.listed) < self.limit:
            self.listed.append(problem)
        self.row_problems.append(problem)
        self.count += 1
        self.counts[(column, reason)] += 1
        if row and row != self._last_row:
            self.rows_rejected += 1
            self._last_row = row

    def __bool__(self) -> bool:
        return bool(self.counts)

    @property
    def total(self) -> int:
        return self.count

    def errors(self) -> list[dict]:
        return [p.as_dict() for p in self.listed]

    def error_counts(self) -> dict[str, dict[str, int]]:
        """``{column: {reason: count}}``, most frequent first."""
        result: dict[str, dict[str, int]] = {}
        for (column, reason), count in self.counts.most_common():
            result.setdefault(column or "(file)", {})[reason] = count
        return result


# A validated row, in the order the loader writes it (see records.RECORD_COLUMNS).
