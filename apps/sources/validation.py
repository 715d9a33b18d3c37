"""Validate one extract file against its dataset's format, before anything is written.

``ExtractValidator(spec).validate(binary_file, sink=...)`` reads the CSV once,
checks the encoding, the header and every row, and hands each good row,
already normalised, to ``sink``. Problems are collected in a ``ProblemLog``
(row, column, reason: the first 1,000 in full, then counts); a file with any
problem is refused whole by the caller.

Row numbers count data rows: row 1 is the first row after the header, which
is row 0. Reasons never repeat the offending value: it may be personal data
and the reports are read by people who are not meant to see case data.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from . import normalise
from .catalogue import CODE_LISTS, IDENTITY_COLUMNS, DatasetSpec

PROBLEMS_LISTED = 1000

# Data the sharing agreement (seed 003) excludes: adoption records, health
# professionals' case notes, legal proceedings against staff. Matched against
# column names, event types and dataset codes, after lower-casing and turning
# every separator into "_".
EXCLUDED_DATA = re.compile(
    r"adopt|case_?notes?|clinical_?notes?|clinician_?notes?|health_?visitor_?notes?|gp_?notes?"
    r"|legal_?proceedings?|proceedings_?against_?staff|staff_?(legal|proceedings|litigation)"
)
EXCLUDED_REASON = (
    "excluded by the information sharing agreement: adoption records, health professionals' case notes "
    "and legal proceedings against staff are never imported"
)

DATE_COLUMNS = frozenset(
    {"date_of_birth", "event_date", "date_from", "date_to", "custody_start", "expected_release", "recorded_on", "start_date"}
)
MONTH_COLUMNS = frozenset({"month"})
COUNT_COLUMNS = frozenset({"sessions_attended", "sessions_possible", "sessions"})
NAME_COLUMNS = frozenset({"forename", "middle_names", "surname"})
IDENTIFIER_PARSERS: dict[str, Callable[[str], str]] = {
    "postcode": normalise.postcode_normalise,
    "nhs_number": normalise.nhs_number_normalise,
    "upn": normalise.upn_normalise,
    "ni_number": normalise.ni_number_normalise,
    "uprn": normalise.uprn_normalise,
}
# The column whose date a row's fact is "on", per kind of fact.
FACT_DATE_COLUMN = {
    "event": "event_date",
    "attendance": "month",
    "enrolment": "date_from",
    "exclusion": "start_date",
    "residence": "date_from",
    "custody": "custody_start",
    "sen": "recorded_on",
}
# What makes a row one record: its source_key (the person in the agency's system,
# repeated on each of their rows) and these columns. The same twice is a duplicate.
RECORD_KEY = {
    "event": ("event_type", "event_date", "reference"),
    "attendance": ("school_urn", "month"),
    "enrolment": ("school_urn", "date_from"),
    "exclusion": ("school_urn", "exclusion_type", "start_date", "reason"),
    "residence": ("address", "date_from"),
    "custody": ("custody_start",),
    "sen": ("recorded_on",),
}
MAX_LENGTH = {"source_key": 80, "forename": 100, "surname": 100, "school_urn": 10}
EARLIEST_BIRTH = dt.date(1900, 1, 1)
# Identity columns whose blanks the data-quality report counts.
QUALITY_COLUMNS = tuple(c for c in IDENTITY_COLUMNS if c not in {"source_key", "middle_names"})
_SURROGATES = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (decoded with surrogateescape)


def excluded_name(name: str) -> bool:
    """True when a column name, event type or dataset code names data the agreement excludes."""
    return bool(EXCLUDED_DATA.search(re.sub(r"[^a-z0-9]+", "_", name.lower())))


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
        self._last_row: int | None = None

    def add(self, row: int | None, column: str, reason: str, detail: str = "") -> None:
        """Count the problem by (column, reason); list it, with ``detail`` appended, while under the limit."""
        if len(self.listed) < self.limit:
            self.listed.append(Problem(row, column, f"{reason} ({detail})" if detail else reason))
        self.counts[(column, reason)] += 1
        if row and row != self._last_row:
            self.rows_rejected += 1
            self._last_row = row

    def __bool__(self) -> bool:
        return bool(self.counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def errors(self) -> list[dict]:
        return [p.as_dict() for p in self.listed]

    def error_counts(self) -> dict[str, dict[str, int]]:
        """``{column: {reason: count}}``, most frequent first."""
        result: dict[str, dict[str, int]] = {}
        for (column, reason), count in self.counts.most_common():
            result.setdefault(column or "(file)", {})[reason] = count
        return result


# A validated row, in the order the loader writes it (see services.RECORD_COLUMNS).
ROW_FIELDS = (
    "source_key", "row_number", "raw", "forename", "surname", "date_of_birth", "sex", "postcode", "address_key",
    "uprn", "nhs_number", "upn", "ni_number", "fact_type", "fact_date", "fact",
)


@dataclass
class ValidationResult:
    problems: ProblemLog
    rows_total: int = 0
    missing: Counter = field(default_factory=Counter)
    fact_date_min: dt.date | None = None
    fact_date_max: dt.date | None = None

    def quality(self) -> dict:
        """The figures the data-quality report shows for this file."""
        rows = self.rows_total
        return {
            "rows": rows,
            "missing": {c: self.missing[c] for c in QUALITY_COLUMNS},
            "missing_rate": {c: round(self.missing[c] / rows, 4) if rows else None for c in QUALITY_COLUMNS},
            "fact_date_min": self.fact_date_min.isoformat() if self.fact_date_min else None,
            "fact_date_max": self.fact_date_max.isoformat() if self.fact_date_max else None,
        }


class ExtractValidator:
    """Checks and normalises the rows of one dataset's extract."""

    chunk_rows = 10_000  # rows checked together; progress is reported after each chunk

    def __init__(self, spec: DatasetSpec):
        self.spec = spec
        self.allowed = frozenset(spec.columns)
        self.required = frozenset(spec.required)
        self.fact_date_column = FACT_DATE_COLUMN.get(spec.fact_kind)
        self.fact_columns = tuple(c for c in spec.fact_columns if c not in {self.fact_date_column, "event_type"})
        self.event_types = frozenset(spec.event_types)

    # --- the file --------------------------------------------------------

    def validate(
        self,
        binary_file,
        *,
        sink: Callable[[tuple], None],
        on_progress: Callable[[int], None] | None = None,
    ) -> ValidationResult:
        """Read ``binary_file`` (opened in binary mode, at its start) and check every row.

        Rows are checked ``chunk_rows`` at a time, column by column (each
        distinct value of a column in the chunk is parsed once). Good rows go
        to ``sink`` as tuples in ``ROW_FIELDS`` order until the first problem;
        after that rows are only checked, so the report is complete but
        nothing more is staged.
        """
        result = ValidationResult(problems=ProblemLog())
        self._key_rows: dict[tuple, int] = {}  # record key -> the row it was first seen in
        self._today = dt.date.today()
        problems = result.problems
        head = binary_file.read(3)
        if head != codecs.BOM_UTF8:
            binary_file.seek(0)
        text = io.TextIOWrapper(binary_file, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            problems.add(0, "", f"the header cannot be read as CSV ({exc})")
            return result
        if header is None or not any(h.strip() for h in header):
            problems.add(None, "", "the file is empty: no header and no rows")
            return result
        columns = self._header_check(header, problems)
        if problems:
            return result  # rows are not read when the header is wrong (or names excluded data)
        self._record_key_indexes = [columns.index(c) for c in RECORD_KEY[self.spec.fact_kind] if c in columns]
        fact_key = ", ".join(columns[i] for i in self._record_key_indexes)
        self._duplicate_reason = "duplicate record: the same source_key " + (
            f"with the same {fact_key} is in an earlier row" if fact_key else "is in an earlier row"
        )
        self._columns = columns
        self._plan = self._column_plan(columns)
        self._layout(columns)
        chunk: list[tuple[int, list[str]]] = []  # (row number, fields); blank lines are counted, not checked
        row_number = 0
        truncated = None
        try:
            for row in reader:
                row_number += 1
                if row:
                    chunk.append((row_number, row))
                if len(chunk) > self.chunk_rows:  # one held back: the last row of the file is checked as such
                    self._chunk(chunk[:-1], result, sink, last=False)
                    chunk = chunk[-1:]
                    if on_progress:
                        on_progress(chunk[0][0] - 1)
        except csv.Error as exc:
            truncated = f"the file ends part-way through a quoted value (truncated file?): {exc}"
        self._chunk(chunk, result, sink, last=truncated is None)
        if truncated:
            problems.add(row_number + 1, "", truncated)
        result.rows_total = row_number
        for column in self._absent_quality_columns:  # blank in every row that reached the value checks
            result.missing[column] += self._rows_checked
        if on_progress:
            on_progress(row_number)
        if row_number == 0 and not problems:
            problems.add(None, "", "the file has a header but no data rows")
        return result

    def _header_check(self, header: list[str], problems: ProblemLog) -> list[str]:
        columns = [h.strip().lower() for h in header]
        if any(_SURROGATES.search(c) for c in columns):
            problems.add(0, "", "the header is not UTF-8 (save the file as UTF-8)")
            return columns
        for column, count in Counter(columns).items():
            if count > 1:
                problems.add(0, column, "column appears more than once")
        for column in columns:
            if excluded_name(column):
                problems.add(0, column, EXCLUDED_REASON)
            elif not column:
                problems.add(0, "", "a column has no name")
            elif column not in self.allowed:
                problems.add(0, column, f"unknown column: {self.spec.code} extracts do not have it")
        for column in self.spec.required:
            if column not in columns:
                problems.add(0, column, "required column missing")
        return columns

    def _column_plan(self, columns: list[str]) -> list[tuple[int, str, Callable[[str], object]]]:
        """For each column: its index, name, and the function that checks one cell of it (see ``_cell_check``)."""
        plan = []
        for index, column in enumerate(columns):
            if column in DATE_COLUMNS:
                parser = normalise.date_parse
            elif column in MONTH_COLUMNS:
                parser = normalise.month_parse
            elif column in COUNT_COLUMNS:
                parser = _count
            elif column in NAME_COLUMNS:
                parser = normalise.name_normalise
            elif column in IDENTIFIER_PARSERS:
                parser = IDENTIFIER_PARSERS[column]
            elif column == "event_type":
                parser = self._event_type
            elif column in CODE_LISTS:
                parser = _code_parser(column)
            elif column == "school_urn":
                parser = _urn
            else:
                parser = None
            plan.append((index, column, _cell_check(parser, required=column in self.required, limit=MAX_LENGTH.get(column, 0))))
        return plan

    def _layout(self, columns: list[str]) -> None:
        """Which columns the row checks and the staged record read; a column the file lacks reads as None."""
        self._quality_columns = [c for c in QUALITY_COLUMNS if c in columns]
        self._absent_quality_columns = [c for c in QUALITY_COLUMNS if c not in columns]
        self._rows_checked = 0
        self._fact_date_column = self.fact_date_column if self.fact_date_column in columns else None
        self._address_keys: dict[tuple[str, str], str] = {}

    # --- a chunk of rows ----------------------------------------------------------

    def _chunk(self, chunk: list[tuple[int, list[str]]], result: ValidationResult, sink, *, last: bool) -> None:
        """Check a chunk of rows column by column; stage them if the file has no problem so far.

        The chunk's problems are gathered, then logged in row order (and, in a
        row, in column order, then duplicates, then cross-column checks), as a
        row-by-row check would list them.
        """
        found: list[tuple[int, int, str, str, str]] = []  # (row, order in the row, column, reason, detail)
        width = len(self._columns)
        every_field = all(len(row) == width for _, row in chunk)
        if every_field and not _SURROGATES.search("\x1f".join(["\x1f".join(row) for _, row in chunk])):
            rows = chunk  # the usual case, checked for the whole chunk at once
        else:
            rows = self._shape_check(chunk, found, last=last)
        if rows:
            numbers = [number for number, _ in rows]
            cells = [row for _, row in rows]
            values = self._columns_check(numbers, cells, found)
            self._rows_checked += len(rows)
            for column in self._quality_columns:
                result.missing[column] += values[column].count(None)
            self._duplicates_check(numbers, cells, values["source_key"], found)
            self._cross_check(numbers, values, found)
        problems = result.problems
        for row_number, _, column, reason, detail in sorted(found, key=lambda problem: problem[:2]):
            problems.add(row_number, column, reason, detail=detail)
        if rows and not problems:
            self._stage(numbers, cells, values, result, sink)

    def _shape_check(self, chunk, found, *, last: bool) -> list[tuple[int, list[str]]]:
        """The rows of ``chunk`` with every field and only UTF-8; the others' problems are added to ``found``."""
        width = len(self._columns)
        rows = []
        for position, (row_number, row) in enumerate(chunk):
            if len(row) != width:
                if last and position == len(chunk) - 1 and len(row) < width:
                    reason = f"the file ends part-way through this row: {len(row)} of {width} fields (truncated file?)"
                else:
                    reason = f"expected {width} fields, found {len(row)}"
                found.append((row_number, -1, "", reason, ""))
            elif _SURROGATES.search("\x1f".join(row)):
                found.extend(
                    (row_number, index, column, "not UTF-8: bytes in another encoding (e.g. Windows-1252); save the file as UTF-8", "")
                    for index, (column, value) in enumerate(zip(self._columns, row, strict=True))
                    if _SURROGATES.search(value)
                )
            else:
                rows.append((row_number, row))
        return rows

    def _columns_check(self, numbers: list[int], cells: list[list[str]], found: list) -> dict[str, list]:
        """Each column's parsed values (None when blank or refused); refused cells are added to ``found``."""
        values: dict[str, list] = {}
        for index, column, check in self._plan:
            texts = [row[index] for row in cells]
            outcomes = {text: check(text) for text in dict.fromkeys(texts)}
            refused = {text for text, outcome in outcomes.items() if type(outcome) is _Refusal}
            if refused:
                for number, text in zip(numbers, texts, strict=True):
                    if text in refused:
                        found.append((number, index, column, outcomes[text].reason, ""))
                for text in refused:
                    outcomes[text] = None
            values[column] = [outcomes[text] for text in texts]
        return values

    def _duplicates_check(self, numbers, cells, source_keys, found) -> None:
        seen = self._key_rows
        after = len(self._columns)
        key_columns = [[row[index].strip() for row in cells] for index in self._record_key_indexes]
        for number, key in zip(numbers, zip(source_keys, *key_columns, strict=True), strict=True):
            if key[0] is not None:
                first = seen.setdefault(key, number)
                if first != number:
                    found.append((number, after, "source_key", self._duplicate_reason, f"row {first}"))

    def _cross_check(self, numbers, values, found) -> None:
        after = len(self._columns) + 1
        for number, birth in zip(numbers, values.get("date_of_birth", ()), strict=False):
            if birth is not None and not EARLIEST_BIRTH <= birth <= self._today:
                found.append((number, after, "date_of_birth", "date of birth is in the future or before 1900", ""))
        if "date_from" in values and "date_to" in values:
            for number, start, end in zip(numbers, values["date_from"], values["date_to"], strict=True):
                if start is not None and end is not None and end < start:
                    found.append((number, after + 1, "date_to", "date_to is before date_from", ""))
        if "sessions_attended" in values and "sessions_possible" in values:
            pairs = zip(numbers, values["sessions_attended"], values["sessions_possible"], strict=True)
            for number, attended, possible in pairs:
                if attended is not None and possible is not None and attended > possible:
                    found.append((number, after + 2, "sessions_attended", "more sessions attended than possible", ""))

    def _stage(self, numbers, cells, values, result, sink) -> None:
        """Hand each row to ``sink`` as ``ROW_FIELDS``: raw as sent, identity normalised, and its fact."""
        blank = itertools.repeat(None)
        column = lambda name: values.get(name, blank)  # noqa: E731
        fact_dates = values[self._fact_date_column] if self._fact_date_column else blank
        if self._fact_date_column:
            dates = [d for d in fact_dates if d is not None]
            if dates:
                low, high = min(dates), max(dates)
                result.fact_date_min = low if result.fact_date_min is None else min(low, result.fact_date_min)
                result.fact_date_max = high if result.fact_date_max is None else max(high, result.fact_date_max)
        fact_names = [c for c in self.fact_columns if c in values]
        facts = zip(*[values[c] for c in fact_names], strict=True) if fact_names else itertools.repeat(())
        absent_facts = dict.fromkeys(c for c in self.fact_columns if c not in values)
        fact_kind = self.spec.fact_kind
        names = self._columns
        for (number, row, source_key, forename, surname, birth, sex, postcode, address, uprn, nhs_number, upn, ni_number,
             event_type, fact_date, fact_values) in zip(
            numbers, cells, values["source_key"], column("forename"), column("surname"), column("date_of_birth"),
            column("sex"), column("postcode"), column("address"), column("uprn"), column("nhs_number"), column("upn"),
            column("ni_number"), column("event_type"), fact_dates, facts,
        ):  # fmt: skip
            fact = {name: value.isoformat() if isinstance(value, dt.date) else value for name, value in zip(fact_names, fact_values)}
            if absent_facts:
                fact |= absent_facts
                fact = {c: fact[c] for c in self.fact_columns}
            sink((
                source_key, number, dict(zip(names, row, strict=True)), forename or "", surname or "", birth, sex or "",
                postcode or "", self._address_key(address, postcode or "") if address else "", uprn or "",
                nhs_number or "", upn or "", ni_number or "", event_type or fact_kind, fact_date, fact,
            ))  # fmt: skip

    def _address_key(self, address: str, postcode: str) -> str:
        """``normalise.address_key``, once per distinct (address, postcode) of the file."""
        key = self._address_keys.get((address, postcode))
        if key is None:
            key = self._address_keys[address, postcode] = normalise.address_key(address, postcode)[:200]
        return key

    def _event_type(self, value: str) -> str:
        code = value.strip().lower()
        if excluded_name(code):
            raise ValueError(EXCLUDED_REASON)
        if code not in self.event_types:
            raise ValueError(f"unknown event type for {self.spec.code} (expected one of: {', '.join(self.spec.event_types)})")
        return code


class _Refusal:
    """A cell's problem, as ``_cell_check`` returns it (a parsed value may itself be None or any type)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


_REQUIRED_MISSING = _Refusal("required value missing")


def _cell_check(parser: Callable[[str], object] | None, *, required: bool, limit: int) -> Callable[[str], object]:
    """A function of one cell's text: its parsed value, None when blank, or a ``_Refusal``."""

    def check(text: str) -> object:
        text = text.strip()
        if not text:
            return _REQUIRED_MISSING if required else None
        if limit and len(text) > limit:
            return _Refusal(f"longer than {limit} characters")
        if parser is None:
            return text
        try:
            return parser(text)
        except ValueError as exc:
            return _Refusal(str(exc))

    return check


def _count(value: str) -> int:
    if not value.isdigit():
        raise ValueError("not a whole number of 0 or more")
    return int(value)


def _urn(value: str) -> str:
    if not value.isdigit():
        raise ValueError("school URN must be digits")
    return value


def _code_parser(column: str) -> Callable[[str], str]:
    codes = CODE_LISTS[column]
    allowed = frozenset(codes)

    def parse(value: str) -> str:
        code = value.upper()
        if code not in allowed:
            raise ValueError(f"unknown code (expected one of: {', '.join(codes)})")
        return code

    return parse
