"""Datasets that quarantine bad rows: the good rows load, every bad row is kept whole aside, and the data
quality officer corrects (validated again, loaded into its extract) or discards each one. Dates must be in
the dataset's declared format; extracts whose dates read both ways are flagged."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.audit.models import AuditEvent
from apps.sources.models import Dataset, ImportBatch, QuarantinedRow, SourceRecord
from apps.sources.quarantine import services as quarantine
from apps.sources.quarantine.services import CorrectionProblems, QuarantineError
from apps.sources.specs import dataset_spec
from tests.factories import dataset_bad_rows_set, dataset_column_optional

from .test_import import DATASET, assert_refused_and_unchanged, extract_bytes, load, reasons, snapshot


@pytest.fixture
def quarantining(db):
    dataset_bad_rows_set(DATASET, 'quarantine')


def lines_of(content: bytes) -> list[bytes]:
    """The file's physical lines with their endings (the header is line 1)."""
    return content.splitlines(keepends=True)


# --- quarantine at load -----------------------------------------------------------------------


def test_quarantine_loads_the_good_rows_and_keeps_every_bad_row_byte_for_byte(quarantining, tmp_path):
    content = extract_bytes(rows=8, changes={
        2: {"ni_number": "QQ123456C", "sex": "Q"},
        5: {"surname": ""},
        7: {"postcode": "XX"},
    })
    content = content.replace(b"K0000007,  ann ", b"K0000007,  ann\xe9 ")  # and a byte that is not UTF-8 in row 7
    batch = load(tmp_path, content)

    assert batch.status == ImportBatch.Status.LOADED and batch.is_current
    assert (batch.rows_total, batch.rows_loaded, batch.rows_quarantined, batch.rows_rejected) == (8, 5, 3, 3)
    assert sorted(SourceRecord.objects.filter(batch=batch).values_list("row_number", flat=True)) == [1, 3, 4, 6, 8]
    kept = {q.row_number: q for q in QuarantinedRow.objects.filter(batch=batch)}
    assert sorted(kept) == [2, 5, 7]
    lines = lines_of(content)
    for number, row in kept.items():
        assert row.raw_bytes == lines[number], number  # the header is lines[0]
        assert row.status == QuarantinedRow.Status.OPEN and row.dataset.code == DATASET
    assert kept[2].problems == [
        {"column": "sex", "reason": "unknown code (expected one of: M, F, U)"},
        {"column": "ni_number", "reason": "not a National Insurance number (two letters, six digits, A-D)"},
    ]
    assert kept[5].problems == [{"column": "surname", "reason": "required value missing"}]
    assert kept[7].problems[0]["column"] == "forename" and "not UTF-8" in kept[7].problems[0]["reason"]
    assert kept[2].columns == list(dataset_spec(DATASET).columns)
    event = AuditEvent.objects.get(action="import", subject_id=str(batch.pk))
    assert event.details["rows_quarantined"] == 3 and event.result_count == 5


def test_a_quarantined_row_spanning_lines_is_kept_whole(quarantining, tmp_path):
    content = extract_bytes(rows=4, changes={3: {"address": "Flat 1\nBlock B, 2 High St", "sex": "Q"}})
    batch = load(tmp_path, content)

    row = QuarantinedRow.objects.get(batch=batch)
    assert row.row_number == 3
    start = content.index(b"K0000003")
    assert row.raw_bytes == content[start:content.index(b"K0000004")]
    assert b"Flat 1\nBlock B" in row.raw_bytes


@pytest.mark.parametrize(
    ("changes", "refused_because"),
    [
        ({1: {"postcode": "XX"}, 2: {"postcode": "XX"}, 3: {"postcode": "XX"}}, "more than half"),
        ({2: {"event_date": "12/25/2023"}}, "written month first"),
    ],
)
def test_a_quarantining_dataset_still_refuses_a_broken_file_whole(quarantining, tmp_path, changes, refused_because):
    earlier = load(tmp_path, extract_bytes(rows=3, key_prefix="E"), name="earlier.csv")
    before = snapshot()

    batch = load(tmp_path, extract_bytes(rows=4, changes=changes))

    assert_refused_and_unchanged(batch, (earlier, before))
    assert refused_because in batch.failure_reason and "quarantines bad rows" in batch.failure_reason
    assert not QuarantinedRow.objects.exists()


def test_a_truncated_file_is_refused_whole_even_when_bad_rows_are_quarantined(quarantining, tmp_path):
    content = extract_bytes(rows=5)
    batch = load(tmp_path, content[: content.rindex(b",CR-1")])
    assert batch.status == ImportBatch.Status.FAILED and "truncated" in batch.failure_reason
    assert not SourceRecord.objects.filter(batch=batch).exists() and not QuarantinedRow.objects.exists()


def test_reject_mode_writes_nothing_partial_and_names_row_field_and_reason(db, tmp_path):
    earlier = load(tmp_path, extract_bytes(rows=3, key_prefix="E"), name="earlier.csv")
    before = snapshot()

    batch = load(tmp_path, extract_bytes(rows=6, changes={4: {"surname": ""}}))

    assert reasons(batch) == [(4, "surname", "required value missing")]
    assert_refused_and_unchanged(batch, (earlier, before))
    assert not QuarantinedRow.objects.exists()


def test_a_newer_extract_supersedes_the_open_rows_of_the_one_it_replaces(quarantining, tmp_path):
    first = load(tmp_path, extract_bytes(rows=4, changes={2: {"sex": "Q"}}), name="first.csv")
    second = load(tmp_path, extract_bytes(rows=4, key_prefix="N"), name="second.csv")

    row = QuarantinedRow.objects.get(batch=first)
    assert second.is_current and row.status == QuarantinedRow.Status.SUPERSEDED
    assert f"batch {second.pk}" in row.resolution_reason and row.raw_bytes  # kept for the record
    with pytest.raises(QuarantineError, match="decided already"):
        quarantine.quarantined_row_discard(row=row, reason="x", user=None)


def test_decided_rows_expire_after_the_datasets_retention_period(quarantining, tmp_path):
    batch = load(tmp_path, extract_bytes(rows=4, changes={2: {"sex": "Q"}, 3: {"sex": "Q"}}))
    old, recent = QuarantinedRow.objects.filter(batch=batch).order_by("row_number")
    quarantine.quarantined_row_discard(row=old, reason="a test row", user=None)
    days = Dataset.objects.get(code=DATASET).retention_days
    QuarantinedRow.objects.filter(pk=old.pk).update(resolved_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days + 1))

    assert quarantine.quarantined_rows_expire() == 1
    assert list(QuarantinedRow.objects.values_list("pk", flat=True)) == [recent.pk]  # open rows stay


# --- dates --------------------------------------------------------------------------------------


def test_a_us_date_is_refused_with_row_and_column(db, tmp_path):
    batch = load(tmp_path, extract_bytes(rows=14, changes={12: {"date_of_birth": "12/25/2010"}}))

    assert batch.status == ImportBatch.Status.FAILED
    assert (12, "date_of_birth", "not a date in the dataset's format dd/mm/yyyy: the month would be over 12, so it "
            "looks written month first (mm/dd/yyyy)") in reasons(batch)
    [whole] = [e for e in batch.errors if e["row"] is None]
    assert whole["column"] == "date_of_birth" and "rows 12," in whole["reason"] and "refused whole" in whole["reason"]


def test_a_date_in_another_format_than_declared_is_refused(db, tmp_path):
    batch = load(tmp_path, extract_bytes(rows=14, changes={12: {"date_of_birth": "2010-04-03"}}))
    assert reasons(batch) == [
        (12, "date_of_birth", "not a date in the dataset's format dd/mm/yyyy (written as yyyy-mm-dd)")]


def test_dd_mm_dates_in_an_iso_dataset_are_refused_not_guessed(db, tmp_path):
    batch = load(tmp_path, extract_bytes("bcc-council-tax", rows=3, changes={2: {"date_of_birth": "03/04/2010"}}),
                 code="bcc-council-tax")
    assert reasons(batch) == [
        (2, "date_of_birth", "not a date in the dataset's format yyyy-mm-dd (written as dd/mm/yyyy or mm/dd/yyyy)")]


def test_an_extract_whose_dates_all_read_both_ways_is_flagged(db, tmp_path):
    """Every date of birth has a day of 12 or less: the file loads, with a warning for the officer."""
    batch = load(tmp_path, extract_bytes(rows=5, changes={
        n: {"date_of_birth": f"0{n}/11/2010", "event_date": f"2{n}/03/2024"} for n in range(1, 6)}))

    assert batch.status == ImportBatch.Status.LOADED
    assert [w["column"] for w in batch.warnings] == ["date_of_birth"]  # event dates have days over 12: day first
    assert "every date of this column (5) has a day of 12 or less" in batch.warnings[0]["reason"]
    assert SourceRecord.objects.get(batch=batch, row_number=3).date_of_birth == dt.date(2010, 11, 3)  # as declared


def test_dates_with_the_same_day_and_month_are_not_flagged(db, tmp_path):
    batch = load(tmp_path, extract_bytes(rows=3, changes={
        n: {"date_of_birth": "05/05/2010", "event_date": "13/03/2024"} for n in range(1, 4)}))
    assert batch.status == ImportBatch.Status.LOADED and batch.warnings == []


def test_iso_dates_are_never_ambiguous(db, tmp_path):
    batch = load(tmp_path, extract_bytes("bcc-council-tax", rows=3), code="bcc-council-tax")
    assert batch.status == ImportBatch.Status.LOADED and batch.warnings == []


# --- surname optional -------------------------------------------------------------------------


def test_a_dataset_without_surname_in_required_loads_rows_without_one(db, tmp_path):
    dataset_column_optional(DATASET, "surname")

    batch = load(tmp_path, extract_bytes(rows=4, changes={2: {"surname": ""}, 3: {"surname": "  "}}))

    assert batch.status == ImportBatch.Status.LOADED and batch.rows_loaded == 4
    assert SourceRecord.objects.get(batch=batch, row_number=2).surname == ""
    assert batch.quality["missing"]["surname"] == 2


# --- correcting and discarding ------------------------------------------------------------------


@pytest.fixture
def quarantined(quarantining, tmp_path):
    """A loaded extract with two quarantined rows: row 2 (a bad sex code, a date of birth written yyyy-mm-dd in a
    dd/mm/yyyy dataset) and row 4 (a bad postcode); returns the batch and row 2."""
    batch = load(tmp_path, extract_bytes(rows=6, changes={
        2: {"sex": "Q", "date_of_birth": "2010-04-03"}, 4: {"postcode": "XX"}}))
    assert batch.rows_quarantined == 2
    return batch, QuarantinedRow.objects.get(batch=batch, row_number=2)


def corrected(row: QuarantinedRow, **changes) -> dict:
    return dict(zip(row.columns, quarantine.row_values(row), strict=True)) | changes


def test_a_corrected_row_is_validated_again_and_loaded_into_its_extract(quarantined, users):
    batch, row = quarantined
    officer = users["data-quality-officer"]

    record = quarantine.quarantined_row_correct(
        row=row, values=corrected(row, sex="F", date_of_birth="03/04/2010"), user=officer)

    assert (record.batch_id, record.row_number, record.dataset.code) == (batch.pk, 2, DATASET)
    assert (record.sex, record.date_of_birth, record.surname, record.person_id) == ("F", dt.date(2010, 4, 3), "OBRIEN", None)
    assert record.raw["date_of_birth"] == "03/04/2010"
    row.refresh_from_db()
    assert row.status == QuarantinedRow.Status.CORRECTED and row.record_id == record.pk
    assert (row.resolved_by, row.changed_columns) == (officer, ["date_of_birth", "sex"])
    assert row.raw_bytes.startswith(b"K0000002,") and b"2010-04-03" in row.raw_bytes  # the row as received, kept
    batch.refresh_from_db()
    assert batch.rows_loaded == 5 and batch.rows_quarantined == 2
    event = AuditEvent.objects.get(action="import", subject_type="quarantined_row", subject_id=str(row.pk))
    assert event.details["changed_columns"] == ["date_of_birth", "sex"] and event.username == officer.username
    assert "03/04/2010" not in str(event.details)  # the audit log names the columns, never the values


def test_a_correction_that_is_still_bad_is_refused_with_column_and_reason_and_writes_nothing(quarantined, users):
    batch, row = quarantined
    with pytest.raises(CorrectionProblems) as refused:
        quarantine.quarantined_row_correct(row=row, values=corrected(row, sex="F", date_of_birth="31/04/2010"),
                                           user=users["data-quality-officer"])
    assert refused.value.problems[0] == ("date_of_birth", "not a real date in the dataset's format dd/mm/yyyy "
                                                          "(no such day or month)")
    row.refresh_from_db()
    assert row.status == QuarantinedRow.Status.OPEN
    assert not SourceRecord.objects.filter(batch=batch, row_number=2).exists()


def test_a_correction_that_repeats_a_record_of_the_extract_is_refused(quarantined, users):
    _, row = quarantined
    with pytest.raises(CorrectionProblems) as refused:
        quarantine.quarantined_row_correct(row=row, values=corrected(row, sex="F", date_of_birth="03/04/2010",
                                                                     source_key="K0000001"),
                                           user=users["data-quality-officer"])
    assert refused.value.problems == (("source_key", "duplicate record: row 1 of this extract is the same source_key "
                                                     "with the same fact"),)


def test_a_row_is_decided_once(quarantined, users):
    _, row = quarantined
    quarantine.quarantined_row_discard(row=row, reason="Test record sent by mistake", user=users["data-quality-officer"])
    row.refresh_from_db()
    assert (row.status, row.resolution_reason) == (QuarantinedRow.Status.DISCARDED, "Test record sent by mistake")
    assert row.raw_bytes  # kept until retention
    with pytest.raises(QuarantineError, match="decided already"):
        quarantine.quarantined_row_correct(row=row, values=corrected(row, sex="F", date_of_birth="03/04/2010"), user=None)
    event = AuditEvent.objects.get(action="import", subject_type="quarantined_row", subject_id=str(row.pk))
    assert event.details["request"] == "quarantined row discarded"


def test_a_discard_needs_a_reason(quarantined, users):
    _, row = quarantined
    with pytest.raises(QuarantineError, match="reason"):
        quarantine.quarantined_row_discard(row=row, reason="  ", user=users["data-quality-officer"])


def test_a_row_of_a_replaced_extract_cannot_be_corrected(quarantined, users, tmp_path):
    _, row = quarantined
    QuarantinedRow.objects.filter(pk=row.pk).update(status=QuarantinedRow.Status.OPEN)
    ImportBatch.objects.filter(pk=row.batch_id).update(is_current=False)
    with pytest.raises(QuarantineError, match="no longer the dataset's extract in use"):
        quarantine.quarantined_row_correct(row=row, values=corrected(row, sex="F", date_of_birth="03/04/2010"), user=None)


def test_the_command_reports_quarantined_rows_and_warnings(quarantining, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "extract.csv"
    path.write_bytes(extract_bytes(rows=4, changes={2: {"sex": "Q"}}))
    out = StringIO()
    call_command("import_extract", DATASET, str(path), stdout=out)
    printed = out.getvalue()
    assert "1 bad row(s) quarantined for the data quality officer" in printed
    assert "Warning, date_of_birth: every date of this column (4) has a day of 12 or less" in printed
