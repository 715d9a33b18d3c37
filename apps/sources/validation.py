"""Validate one extract file against its dataset's format, before anything is written.

``ExtractValidator(spec).validate(binary_file, sink=...)`` reads the CSV once,
checks the encoding, the header and every row, and hands each good row,
already normalised, to ``sink``. Problems are collected in a ``ProblemLog``
(row, column, reason: the first 1,000 in full, then counts); a file with any
problem is refused whole by the caller.

With ``quarantine=True`` (a dataset whose ``bad_rows`` is "quarantine") good rows
keep going to ``sink`` after a bad one, and each bad row is kept in
``ValidationResult.bad_rows`` (its row number, physical lines and every problem),
unless the file itself is broken (``ValidationResult.whole_file``): then it is
refused whole like any other. Dates must be in the dataset's declared format
(``apps.common.dates.date_parser``); an extract whose day-first dates could all be
month-first gets a warning, and month-first evidence refuses the file.

Row numbers count data rows: row 1 is the first row after the header, which
is row 0. (Over 400 lines on purpose: the column tables and the one class that
reads a file in one pass, whose row checks share its per-file caches; the
problem log, duplicate keys and quote diagnosis are modules of their own.) Reasons never repeat the offending value: it may be personal data
and the reports are read by people who are not meant to see case data.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from apps.common import identifiers, names
from apps.common.dates import MonthFirstDate, date_format_label, date_parser, day_month_ambiguous, month_parser

from . import normalise
from .catalogue import IDENTITY_COLUMNS, MONTH_FORMAT, DatasetSpec
from .problems import Problem, ProblemLog
from .quotes import _line_of, _quote_problem, _runaway_quote
from .seen_keys import SeenKeys

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
    {"date_of_birth", "event_date", "date_from", "date_to", "custody_start", "expected_release", "recorded_on", "start_date",
     "closed_on"}
)
MONTH_COLUMNS = frozenset({"month"})
COUNT_COLUMNS = frozenset({"sessions_attended", "sessions_possible", "sessions"})
NAME_COLUMNS = frozenset({"forename", "middle_names", "surname"})
IDENTIFIER_PARSERS: dict[str, Callable[[str], str]] = {
    "postcode": normalise.postcode_normalise,
    "nhs_number": identifiers.nhs_number_normalise,
    "upn": identifiers.upn_normalise,
    "ni_number": identifiers.ni_number_normalise,
    "uprn": identifiers.uprn_normalise,
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
ADDRESS_KEYS_CACHED = 100_000  # normalised addresses remembered while reading a file
# Identity columns whose blanks the data-quality report counts.
QUALITY_COLUMNS = tuple(c for c in IDENTITY_COLUMNS if c not in {"source_key", "middle_names"})
# The columns the row checks and the staged record read by name.
_FIELDS_READ = frozenset(IDENTITY_COLUMNS) | {
    "event_type", "date_from", "date_to", "closed_on", "sessions_attended", "sessions_possible", *FACT_DATE_COLUMN.values(),
}

_SURROGATES = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (decoded with surrogateescape)


def excluded_name(name: str) -> bool:
    """True when a column name, event type or dataset code names data the agreement excludes."""
    return bool(EXCLUDED_DATA.search(re.sub(r"[^a-z0-9]+", "_", name.lower())))


ROW_FIELDS = (
    "source_key", "row_number", "raw", "forename", "surname", "date_of_birth", "sex", "postcode", "address_key",
    "uprn", "nhs_number", "upn", "ni_number", "fact_type", "fact_date", "fact",
)


@dataclass(frozen=True)
class BadRow:
    """A row kept aside (quarantine mode): its number, the physical lines it spans in the file, its problems."""

    row_number: int
    first_line: int  # the header is line 1
    last_line: int
    problems: tuple[Problem, ...]


@dataclass
class ValidationResult:
    problems: ProblemLog
    rows_total: int = 0
    missing: Counter = field(default_factory=Counter)
    fact_date_min: dt.date | None = None
    fact_date_max: dt.date | None = None
    warnings: list[dict] = field(default_factory=list)  # column, reason: for the data quality officer
    bad_rows: list[BadRow] = field(default_factory=list)  # quarantine mode: the first ``max_bad_rows`` + 1
    whole_file: str = ""  # why the file must be refused whole even where bad rows are quarantined
    columns: list[str] = field(default_factory=list)  # the header as read (stripped, lower case)

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

    progress_every = 10_000

    def __init__(self, spec: DatasetSpec, *, quarantine: bool = False, max_bad_rows: int = 10_000):
        self.spec = spec
        self.quarantine = quarantine
        self.max_bad_rows = max_bad_rows
        self.date_label = date_format_label(spec.date_format)
        self.allowed = frozenset(spec.columns)
        self.required = frozenset(spec.required)
        self.fact_date_column = FACT_DATE_COLUMN.get(spec.fact_kind)
        self.fact_columns = tuple(c for c in spec.fact_columns if c not in {self.fact_date_column, "event_type"})
        self.event_types = frozenset(spec.event_types)
        self.header_map = spec.header_map  # the agency's own header names -> ours
        self.date_columns = DATE_COLUMNS | spec.columns_of_type("date")
        self.count_columns = COUNT_COLUMNS | spec.columns_of_type("integer")

    # --- the file --------------------------------------------------------

    def validate(
        self,
        binary_file,
        *,
        sink: Callable[[tuple], None],
        on_progress: Callable[[int], None] | None = None,
    ) -> ValidationResult:
        """Read ``binary_file`` (opened in binary mode, at its start) and check every row.

        Good rows go to ``sink`` as tuples in ``ROW_FIELDS`` order until the
        first problem; after that rows are only checked, so the report is
        complete but nothing more is staged.
        """
        result = ValidationResult(problems=ProblemLog())
        self._seen = SeenKeys()  # record key -> the row it was first seen in
        self._today = dt.date.today()
        self._month_first: dict[str, list[int]] = {}  # date column -> rows whose date reads only month-first
        self._date_evidence: dict[str, list] = {}  # date column -> [dates read, any day > 12, any day != month]
        try:
            self._validate(binary_file, result, sink, on_progress)
        finally:
            self._seen.close()
        if result.problems and result.rows_total == 0 and not result.whole_file:
            result.whole_file = "its header is wrong, or it has no rows"
        return result

    def _validate(self, binary_file, result, sink, on_progress) -> None:
        problems = result.problems
        start = 3 if binary_file.read(3) == codecs.BOM_UTF8 else 0
        binary_file.seek(start)
        text = io.TextIOWrapper(binary_file, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            problems.add(0, "", f"the header cannot be read as CSV ({exc})")
            return
        if header is None or not any(h.strip() for h in header):
            problems.add(None, "", "the file is empty: no header and no rows")
            return
        columns = self._header_check(header, problems)
        result.columns = columns
        if problems:
            return  # rows are not read when the header is wrong (or names excluded data)
        width = len(columns)
        self._record_key_indexes = [columns.index(c) for c in RECORD_KEY[self.spec.fact_kind] if c in columns]
        fact_key = ", ".join(columns[i] for i in self._record_key_indexes)
        self._duplicate_reason = "duplicate record: the same source_key " + (
            f"with the same {fact_key} is in an earlier row" if fact_key else "is in an earlier row"
        )
        plan = self._plan(columns)
        self._layout(columns)
        previous: tuple[int, list[str], int, int] | None = None
        row_number = 0
        record_line = reader.line_num  # the physical line the last record read ended on
        try:
            for row in reader:
                row_number += 1
                if previous is not None:
                    self._row(*previous, columns, width, plan, result, sink, last=False)
                    if on_progress and previous[0] % self.progress_every == 0:
                        on_progress(previous[0])
                previous = (row_number, row, record_line + 1, reader.line_num) if row else None
                record_line = reader.line_num
        except csv.Error as exc:
            lines_read = reader.line_num - record_line
            text.detach()
            binary_file.seek(start)
            first_line = _line_of(binary_file, record_line + 1)
            problems.add(row_number + 1, *_quote_problem(first_line, columns, row_number + 1, lines_read, exc))
            result.whole_file = "a quote left open stopped the reading of the file, so its rows cannot be told apart"
        else:
            text.detach()  # the caller may read the file again (the raw bytes of quarantined rows)
        if previous is not None:
            self._row(*previous, columns, width, plan, result, sink, last=True)
        self._dates_check(result)
        result.rows_total = row_number
        for column in self._absent_quality_columns:  # blank in every row that reached the identity checks
            result.missing[column] += self._rows_checked
        if on_progress:
            on_progress(row_number)
        if row_number == 0 and not problems:
            problems.add(None, "", "the file has a header but no data rows")

    def _header_check(self, header: list[str], problems: ProblemLog) -> list[str]:
        written = [h.strip() for h in header]
        columns = [self.header_map.get(h.lower(), h.lower()) for h in written]
        # problems name a column as the agency wrote it, and ours: "DOB (date_of_birth)"
        problems.labels = {c: f"{w} ({c})" for w, c in zip(written, columns, strict=True) if w.lower() != c}
        if any(_SURROGATES.search(c) for c in columns):
            problems.add(0, "", "the header is not UTF-8 (save the file as UTF-8)")
            return columns
        if (separator := self._wrong_separator(columns)) is not None:
            problems.add(0, "", f"the separator looks wrong: the header's column names are separated by {separator}, "
                                "not commas (save or export the file as CSV, comma-separated)")
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
                agency = self.spec.agency_headers.get(column)
                problems.add(0, column, "required column missing" + (f" (headed {agency!r} in this dataset)" if agency else ""))
        return columns

    def _wrong_separator(self, columns: list[str]) -> str | None:
        """The name of the separator the header uses instead of commas, if it is one of the usual others."""
        for separator, name in ((";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)")):
            names = [n.strip() for c in columns for n in c.split(separator)]
            if any(separator in c for c in columns) and sum(n in self.allowed or n in self.header_map for n in names) >= 2:
                return name
        return None

    def _plan(self, columns: list[str]) -> list[tuple[int, str, Callable[[str], object] | None, bool, int]]:
        """For each column: its index, name, parser (None keeps the text), whether a value is required, length limit (0: none)."""
        plan = []
        for index, column in enumerate(columns):
            if column in self.date_columns:
                parser = self._date_column(column)
            elif column in MONTH_COLUMNS:
                parser = month_parser(MONTH_FORMAT, self.spec.date_format)
            elif column in self.count_columns:
                parser = _count
            elif column in NAME_COLUMNS:
                parser = names.normalise_name
            elif column in IDENTIFIER_PARSERS:
                parser = IDENTIFIER_PARSERS[column]
            elif column == "event_type":
                parser = self._event_type
            elif column in self.spec.code_lists:
                parser = _code_parser(self.spec.code_lists[column])
            elif column == "school_urn":
                parser = _urn
            else:
                parser = None
            plan.append((index, column, parser, column in self.required, MAX_LENGTH.get(column, 0)))
        return plan

    def _layout(self, columns: list[str]) -> None:
        """Where each field the checks read sits in a row's parsed values.

        A row's values are a list with one slot per column and one more,
        always None, at the end: a column the file does not have points there.
        """
        absent = len(columns)
        self._at = {name: columns.index(name) if name in columns else absent for name in _FIELDS_READ}
        self._quality_at = [(c, self._at[c]) for c in QUALITY_COLUMNS if c in columns]
        self._absent_quality_columns = [c for c in QUALITY_COLUMNS if c not in columns]
        self._rows_checked = 0
        self._fact_at = [(c, columns.index(c) if c in columns else absent) for c in self.fact_columns]
        self._fact_date_at = self._at[self.fact_date_column] if self.fact_date_column else absent
        self._address_keys: dict[tuple[str, str], str] = {}

    # --- one row -----------------------------------------------------------

    def _row(self, row_number, row, first_line, last_line, columns, width, plan, result, sink, *, last) -> None:
        """Check one row; a good one goes to ``sink`` (unless the file is refused anyway), a bad one is kept
        aside in quarantine mode."""
        problems = result.problems
        before = problems.count
        problems.row_start()
        record = self._check(row_number, row, columns, width, plan, result, last=last)
        if problems.count == before:
            if record is not None and (self.quarantine or not problems):
                sink(self._record(row_number, row, columns, record, result))
        elif self.quarantine and len(result.bad_rows) <= self.max_bad_rows:
            result.bad_rows.append(BadRow(row_number, first_line, last_line, tuple(problems.row_problems)))

    def _check(self, row_number, row, columns, width, plan, result, *, last) -> list | None:
        """The row's parsed values (one slot per column, and a None after them), or None when it cannot be read."""
        problems = result.problems
        if len(row) != width:
            broken = next((i for i, value in enumerate(row) if "\n" in value or "\r" in value), None)
            if broken is not None:
                column = columns[broken] if broken < width else f"field {broken + 1}"
                problems.add(row_number, column if broken < width else "",
                             _runaway_quote(row_number, column, row[broken]) + f" ({len(row)} fields instead of {width})")
                result.whole_file = "a quote left open runs over several rows, so its rows cannot be told apart"
                return None
            if last and len(row) < width:
                reason = f"the file ends part-way through this row: {len(row)} of {width} fields (truncated file?)"
                result.whole_file = "the file ends part-way through its last row: it looks truncated"
            else:
                reason = f"expected {width} fields, found {len(row)}"
            problems.add(row_number, "", reason)
            return None
        joined = "\x1f".join(row)
        if _SURROGATES.search(joined):
            for column, value in zip(columns, row, strict=True):
                if _SURROGATES.search(value):
                    problems.add(
                        row_number, column, "not UTF-8: bytes in another encoding (e.g. Windows-1252); save the file as UTF-8"
                    )
            return None
        if "\n" in joined or "\r" in joined:  # a line break in a value that cannot have one: a quote left open
            for index, column, parser, _, _ in plan:
                if parser is not None and ("\n" in row[index] or "\r" in row[index]):
                    problems.add(row_number, column, _runaway_quote(row_number, column, row[index]))
                    result.whole_file = "a quote left open runs over several rows, so its rows cannot be told apart"
                    return None
        if "\x00" in joined:
            for column, value in zip(columns, row, strict=True):
                if "\x00" in value:
                    problems.add(row_number, column, "contains a NUL character (binary data in a text field)")
            return None
        values: list[object] = [None] * (width + 1)
        for index, column, parser, required, limit in plan:
            text = row[index].strip()
            if not text:
                if required:
                    problems.add(row_number, column, "required value missing")
                continue
            if limit and len(text) > limit:
                problems.add(row_number, column, f"longer than {limit} characters")
                continue
            if parser is None:
                values[index] = text
                continue
            try:
                values[index] = parser(text)
            except ValueError as exc:
                problems.add(row_number, column, str(exc))
                if isinstance(exc, MonthFirstDate):
                    self._month_first.setdefault(column, []).append(row_number)
        at = self._at
        if values[at["source_key"]] is not None:
            key = (values[at["source_key"]], *[row[i].strip() for i in self._record_key_indexes])
            if (first := self._seen.first_row(key, row_number)) is not None:
                problems.add(row_number, "source_key", self._duplicate_reason, detail=f"row {first}")
        self._cross_check(row_number, values, problems)
        self._rows_checked += 1
        missing = result.missing
        for column, index in self._quality_at:
            if values[index] is None:
                missing[column] += 1
        return values

    # --- dates across the file -------------------------------------------------

    def _date_column(self, column: str) -> Callable[[str], dt.date]:
        """The declared format's parser; where day and month could be swapped, it also notes whether any
        date of the column could only be day-first (a day over 12)."""
        parse = date_parser(self.spec.date_format)
        if not day_month_ambiguous(self.spec.date_format):
            return parse
        evidence = self._date_evidence[column] = [0, False, False]  # dates read, any day > 12, any day != month

        def parse_noting(text: str) -> dt.date:
            day = parse(text)
            evidence[0] += 1
            if day.day > 12:
                evidence[1] = True
            elif day.day != day.month:
                evidence[2] = True
            return day

        return parse_noting

    def _dates_check(self, result: ValidationResult) -> None:
        """Month-first dates in a day-first extract refuse the file; dates that read both ways are a warning."""
        for column, rows in self._month_first.items():
            listed = ", ".join(str(r) for r in rows[:10]) + (f" and {len(rows) - 10:,} more" if len(rows) > 10 else "")
            reason = (f"dates written month first (mm/dd/yyyy) in rows {listed}, where the dataset's format is "
                      f"{self.date_label}: the other dates of the file may be month first too, so the file is refused "
                      "whole; ask the agency to export day first")
            result.problems.add(None, column, reason)
            result.whole_file = "some of its dates are written month first, so none of its dates can be trusted"
        for column, (count, day_first, swappable) in self._date_evidence.items():
            if count and not day_first and swappable and column not in self._month_first:
                result.warnings.append({"column": column, "reason": (
                    f"every date of this column ({count:,}) has a day of 12 or less, so each would also be a valid "
                    f"date read month first: check that the agency's export writes {self.date_label}, day first")})

    def _cross_check(self, row_number, values, problems) -> None:
        at = self._at
        birth = values[at["date_of_birth"]]
        if birth is not None and not EARLIEST_BIRTH <= birth <= self._today:
            problems.add(row_number, "date_of_birth", "date of birth is in the future or before 1900")
        start, end = values[at["date_from"]], values[at["date_to"]]
        if start is not None and end is not None and end < start:
            problems.add(row_number, "date_to", "date_to is before date_from")
        opened, closed = values[at["event_date"]], values[at["closed_on"]]
        if opened is not None and closed is not None and closed < opened:
            problems.add(row_number, "closed_on", "closed_on is before event_date")
        attended, possible = values[at["sessions_attended"]], values[at["sessions_possible"]]
        if attended is not None and possible is not None and attended > possible:
            problems.add(row_number, "sessions_attended", "more sessions attended than possible")

    def _record(self, row_number, row, columns, values, result) -> tuple:
        """The row as ``ROW_FIELDS``: raw as sent, identity normalised, and its fact."""
        at = self._at
        postcode = values[at["postcode"]] or ""
        address = values[at["address"]]
        fact_date = values[self._fact_date_at]
        if fact_date is not None:
            if result.fact_date_min is None or fact_date < result.fact_date_min:
                result.fact_date_min = fact_date
            if result.fact_date_max is None or fact_date > result.fact_date_max:
                result.fact_date_max = fact_date
        fact = {}
        for column, index in self._fact_at:
            value = values[index]
            fact[column] = value.isoformat() if isinstance(value, dt.date) else value
        if address:
            address_key = self._address_keys.get((address, postcode))
            if address_key is None:
                if len(self._address_keys) >= ADDRESS_KEYS_CACHED:  # bounded memory: start again
                    self._address_keys.clear()
                address_key = self._address_keys[address, postcode] = normalise.address_key(address, postcode)[:200]
        else:
            address_key = ""
        return (
            values[at["source_key"]],
            row_number,
            dict(zip(columns, row, strict=True)),
            values[at["forename"]] or "",
            values[at["surname"]] or "",
            values[at["date_of_birth"]],
            values[at["sex"]] or "",
            postcode,
            address_key,
            values[at["uprn"]] or "",
            values[at["nhs_number"]] or "",
            values[at["upn"]] or "",
            values[at["ni_number"]] or "",
            values[at["event_type"]] or self.spec.fact_kind,
            fact_date,
            fact,
        )

    def _event_type(self, value: str) -> str:
        code = value.strip().lower()
        if excluded_name(code):
            raise ValueError(EXCLUDED_REASON)
        if code not in self.event_types:
            raise ValueError(f"unknown event type for {self.spec.code} (expected one of: {', '.join(self.spec.event_types)})")
        return code


def _count(value: str) -> int:
    if not value.isdigit():
        raise ValueError("not a whole number of 0 or more")
    return int(value)


def _urn(value: str) -> str:
    if not value.isdigit():
        raise ValueError("school URN must be digits")
    return value


def _code_parser(codes: tuple[str, ...]) -> Callable[[str], str]:
    allowed = frozenset(codes)

    def parse(value: str) -> str:
        code = value.upper()
        if code not in allowed:
            raise ValueError(f"unknown code (expected one of: {', '.join(codes)})")
        return code

    return parse
