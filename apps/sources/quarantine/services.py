"""Writes for quarantined rows: keep a bad row aside at load, correct it, discard it, expire it.

At load (``apps.sources.services``, for a dataset whose ``bad_rows`` is "quarantine"):
``quarantine_refusal`` says whether the file must be refused whole anyway; ``rows_kept_aside``
reads the raw bytes of each bad row back from the file; the loader writes them in its transaction,
and marks the open rows of the extracts it replaces superseded (``quarantined_rows_supersede``).

Afterwards the data quality officer decides each row:

* ``quarantined_row_correct``: the corrected row is validated again by the same validator, with
  the file's header, as the only row of a one-row file, and must not repeat a record of its batch.
  It is loaded into its own batch (row number as in the file, ``raw`` the corrected row), so it is
  one of the dataset's current rows, replaced with the rest of that extract; the incremental match
  that links it is started by the caller on commit (``thinkfamily.orchestration.extract_link_task``).
* ``quarantined_row_discard``: with a reason.

Both keep the raw row, record who, when and what (the columns changed, never their values, in the
audit event, action "import"), and are refused once the row is decided or its extract replaced.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .. import records
from ..models import Dataset, ImportBatch, SourceRecord
from ..specs import dataset_spec
from ..validation import RECORD_KEY, ExtractValidator, ValidationResult
from .models import QuarantinedRow

QUARANTINE_MAX_ROWS = 10_000  # more bad rows than a person can correct: a file problem, refused whole
QUARANTINE_MAX_SHARE = 0.5  # more than half the rows bad: a file problem, refused whole


class QuarantineError(Exception):
    """A quarantined row cannot be corrected or discarded; the message says why."""


# --- at load ------------------------------------------------------------------------------


def quarantine_refusal(result: ValidationResult) -> str:
    """Why a file with bad rows is refused whole though its dataset quarantines them ("" when it is not)."""
    bad = result.problems.rows_rejected
    if result.whole_file:
        return result.whole_file
    if bad > QUARANTINE_MAX_ROWS:
        return f"{bad:,} rows are bad, more than the {QUARANTINE_MAX_ROWS:,} that can be quarantined"
    if bad > QUARANTINE_MAX_SHARE * result.rows_total:
        return f"{bad:,} of its {result.rows_total:,} rows are bad: more than half, which is a problem with the file"
    return ""


def raw_lines(handle, spans: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The bytes of physical lines ``first..last`` (the header is line 1) of a binary file, per span.

    Lines are split as the validator's CSV reader split them (universal newlines, endings kept) and
    encoded back with the same error handler, so the bytes are the file's own.
    """
    wanted = sorted(spans)
    found: dict[tuple[int, int], bytes] = {}
    if not wanted:
        return found
    handle.seek(0)
    start = 3 if handle.read(3) == b"\xef\xbb\xbf" else 0
    handle.seek(start)
    text = io.TextIOWrapper(handle, encoding="utf-8", errors="surrogateescape", newline="")
    try:
        at, parts = 0, []
        for number, line in enumerate(text, start=1):
            while at < len(wanted) and wanted[at][1] < number:
                at += 1
            if at == len(wanted):
                break
            first, last = wanted[at]
            if first <= number <= last:
                parts.append(line.encode("utf-8", "surrogateescape"))
                if number == last:
                    found[wanted[at]] = b"".join(parts)
                    parts = []
    finally:
        text.detach()
    return found


def rows_kept_aside(*, batch: ImportBatch, result: ValidationResult, handle) -> list[QuarantinedRow]:
    """The bad rows of a file, whole, ready to write with the load (unsaved)."""
    spans = [(bad.first_line, bad.last_line) for bad in result.bad_rows]
    lines = raw_lines(handle, spans)
    columns = list(result.columns)
    return [
        QuarantinedRow(
            batch=batch, dataset_id=batch.dataset_id, row_number=bad.row_number,
            raw_line=lines[(bad.first_line, bad.last_line)], columns=columns,
            problems=[{"column": p.column, "reason": p.reason} for p in bad.problems],
        )
        for bad in result.bad_rows
    ]


def quarantined_rows_supersede(*, batch_ids: list[int], by: ImportBatch) -> int:
    """The open rows of replaced extracts: superseded by the newer extract (kept until retention)."""
    if not batch_ids:
        return 0
    return QuarantinedRow.objects.filter(batch_id__in=batch_ids, status=QuarantinedRow.Status.OPEN).update(
        status=QuarantinedRow.Status.SUPERSEDED, resolved_at=timezone.now(),
        resolution_reason=f"The dataset's extract was replaced by batch {by.pk} ({by.filename}).",
    )


def quarantined_rows_expire(*, now=None) -> int:
    """Delete decided rows whose dataset's retention period has passed since the decision."""
    now = now or timezone.now()
    removed = 0
    for dataset_id, days in Dataset.objects.filter(quarantined_rows__isnull=False).distinct().values_list(
        "pk", "retention_days"
    ):
        removed += QuarantinedRow.objects.filter(
            dataset_id=dataset_id, resolved_at__lt=now - timedelta(days=days)
        ).exclude(status=QuarantinedRow.Status.OPEN).delete()[0]
    return removed


# --- the data quality officer's decisions --------------------------------------------------


def row_values(row: QuarantinedRow) -> list[str]:
    """The quarantined row's fields as the CSV reader read them (a bad byte shown as U+FFFD), one per
    column of the header; a row with too few fields gets blanks, with too many loses the extra ones."""
    text = row.raw_bytes.decode("utf-8", "replace")
    try:
        fields = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        fields = [text.rstrip("\r\n")]
    fields = [f.replace("\x00", "") for f in fields]
    return (fields + [""] * len(row.columns))[: len(row.columns)]


@dataclass(frozen=True)
class CorrectionProblems(Exception):
    """The corrected row still has problems: column and reason each."""

    problems: tuple[tuple[str, str], ...]


def _open_row_locked(pk: int) -> QuarantinedRow:
    row = QuarantinedRow.objects.select_related("batch", "dataset").get(pk=pk)
    Dataset.objects.select_for_update().get(pk=row.dataset_id)  # one write to a dataset's rows at a time (as a load)
    row = QuarantinedRow.objects.select_for_update().select_related("batch", "dataset").get(pk=pk)
    if row.status != QuarantinedRow.Status.OPEN:
        raise QuarantineError(f"Row {row.row_number} of batch {row.batch_id} was decided already: {row.get_status_display().lower()}.")
    return row


@transaction.atomic
def quarantined_row_correct(*, row: QuarantinedRow, values: dict[str, str], user, request=None) -> SourceRecord:
    """Validate the corrected row with the dataset's rules and load it into its batch; returns the record.

    Raises ``CorrectionProblems`` (nothing written) when the corrected row is still bad, and
    ``QuarantineError`` when the row is decided already or its extract is no longer the one in use.
    """
    row = _open_row_locked(row.pk)
    batch = row.batch
    if not batch.is_current:
        raise QuarantineError(
            f"Batch {batch.pk} is no longer the dataset's extract in use, so its rows cannot be added to now: "
            "discard this row (the newer extract is what counts)."
        )
    spec = dataset_spec(row.dataset.code)
    if spec is None:
        raise QuarantineError("This dataset is not in the import catalogue any more.")
    columns = list(row.columns)
    corrected = [(values.get(c) or "").strip() for c in columns]
    staged: list[tuple] = []
    result = _validate_one(spec, columns, corrected, staged)
    problems = [(p.column, p.reason) for p in result.problems.listed]
    if not problems:
        duplicate = _duplicate_in_batch(batch, columns, corrected, spec.fact_kind)
        if duplicate is not None:
            problems.append(("source_key", f"duplicate record: row {duplicate.row_number} of this extract is the same "
                                           "source_key with the same fact"))
    if problems:
        raise CorrectionProblems(tuple(problems))
    record_row = list(staged[0])
    record_row[1] = row.row_number  # ROW_FIELDS: the row number in the file, not in the one-row check
    stage = records.Stage(batch)
    try:
        stage.add(tuple(record_row))
        records.write(stage=stage, on_progress=lambda _count: None)
    finally:
        stage.close()
    record = SourceRecord.objects.get(batch=batch, row_number=row.row_number)
    before = row_values(row)
    row.changed_columns = [c for c, old, new in zip(columns, before, corrected, strict=True) if old.strip() != new]
    row.corrected_values = dict(zip(columns, corrected, strict=True))
    row.status, row.record = QuarantinedRow.Status.CORRECTED, record
    row.resolved_by, row.resolved_at = user, timezone.now()
    row.save()
    ImportBatch.objects.filter(pk=batch.pk).update(rows_loaded=F("rows_loaded") + 1)
    _audit(row, request=request, user=user, decision="corrected", extra={
        "changed_columns": row.changed_columns, "source_record": record.pk})
    return record


@transaction.atomic
def quarantined_row_discard(*, row: QuarantinedRow, reason: str, user, request=None) -> QuarantinedRow:
    """Discard a quarantined row with a reason; its raw row is kept until the retention period has passed."""
    reason = (reason or "").strip()
    if not reason:
        raise QuarantineError("Give the reason for discarding the row.")
    row = _open_row_locked(row.pk)
    row.status, row.resolution_reason = QuarantinedRow.Status.DISCARDED, reason
    row.resolved_by, row.resolved_at = user, timezone.now()
    row.save()
    _audit(row, request=request, user=user, decision="discarded", extra={"reason": reason})
    return row


def _validate_one(spec, columns: list[str], values: list[str], staged: list) -> ValidationResult:
    """The same checks as a file's: the file's header and this one row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow(values)
    return ExtractValidator(spec).validate(io.BytesIO(out.getvalue().encode("utf-8")), sink=staged.append)


def _duplicate_in_batch(batch: ImportBatch, columns: list[str], values: list[str], fact_kind: str) -> SourceRecord | None:
    """A record of the batch with the same source key and record key columns (as the file check compares them)."""
    row = dict(zip(columns, values, strict=True))
    key_columns = [c for c in RECORD_KEY[fact_kind] if c in columns]
    for record in SourceRecord.objects.filter(batch=batch, source_key=row.get("source_key", "")).only("raw", "row_number"):
        if all((record.raw.get(c) or "").strip() == row[c] for c in key_columns):
            return record
    return None


def _audit(row: QuarantinedRow, *, request, user, decision: str, extra: dict) -> None:
    audit_record(
        action=AuditEvent.Action.IMPORT, request=request, user=user, subject_type="quarantined_row", subject_id=row.pk,
        details={"request": f"quarantined row {decision}", "dataset": row.dataset.code, "batch": row.batch_id,
                 "row": row.row_number, **extra},
        result_count=1 if decision == "corrected" else 0,
    )
