"""Importing one extract: every kind of bad input is refused with a clear error,
nothing from it is written, and nothing loaded earlier is lost."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError

from apps.audit.models import AuditEvent
from apps.sources import locks, records, seen_keys, services
from apps.sources.descriptors import default_specs
from apps.sources.models import Dataset, ImportBatch, SourceRecord
from apps.sources.problems import PROBLEMS_LISTED
from apps.sources.services import import_batch_load, import_batches_interrupted_mark
from apps.sources.validation import DATE_COLUMNS, EXCLUDED_REASON
from tests.worker_locks import dead_worker, live_worker, lock_held_by_another_session

DATASETS_BY_CODE = default_specs()  # the default dataset descriptors, as migrate loads them
DATASET = "asc-offenders"  # police: dd/mm/yyyy dates, NI numbers

# One valid value per column any dataset may have; tests override per row.
SAMPLE = {
    "source_key": None,  # made unique per row
    "forename": "  ann ",
    "middle_names": "",
    "surname": "O'Brien",
    "date_of_birth": "01/02/2010",
    "sex": "F",
    "address": "Flat 4a, 12 High St",
    "postcode": "bs1  4dj",
    "uprn": "123456789012",
    "nhs_number": "943 476 5919",
    "upn": "H801200001001",
    "ni_number": "ab 12 34 56 c",
    "event_date": "03/04/2024",
    "reference": "CR-1",
    "activity": "NEET",
    "date_from": "2023-09-01",
    "date_to": "",
}


def in_format(value: str, spec) -> str:
    """A sample date written in the dataset's declared format."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).strftime(spec.date_format)
        except ValueError:
            continue
    return value


def extract_bytes(code: str = DATASET, rows: int = 5, *, changes: dict | None = None, header=None, key_prefix="K") -> bytes:
    """A valid extract of ``code`` as UTF-8 bytes; ``changes`` = {row number: {column: value}}."""
    spec = DATASETS_BY_CODE[code]
    header = list(header or spec.columns)
    sample = {c: in_format(v, spec) if v and c in DATE_COLUMNS else v for c, v in SAMPLE.items()}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for number in range(1, rows + 1):
        values = dict(sample, source_key=f"{key_prefix}{number:07d}", event_type=spec.event_types[0] if spec.event_types else "")
        values.update((changes or {}).get(number, {}))
        writer.writerow([values.get(column, "") for column in header])
    return out.getvalue().encode("utf-8")


def load(tmp_path, content: bytes, code: str = DATASET, name: str = "extract.csv", **kwargs) -> ImportBatch:
    path = tmp_path / name
    path.write_bytes(content)
    return import_batch_load(dataset=Dataset.objects.get(code=code), path_or_file=path, **kwargs)


def snapshot(code: str = DATASET) -> list[tuple]:
    """The dataset's rows as they stand, to prove a refused file changed nothing."""
    return list(SourceRecord.objects.filter(dataset__code=code).order_by("pk").values_list("pk", "batch_id", "source_key", "raw"))


@pytest.fixture
def earlier(db, tmp_path):
    """A dataset already holding a loaded extract (keys E...), and its rows."""
    batch = load(tmp_path, extract_bytes(rows=3, key_prefix="E"), name="earlier.csv")
    assert batch.status == ImportBatch.Status.LOADED
    return batch, snapshot()


def reasons(batch: ImportBatch) -> list[tuple]:
    return [(e["row"], e["column"], e["reason"]) for e in batch.errors]


def assert_refused_and_unchanged(batch: ImportBatch, earlier) -> None:
    earlier_batch, earlier_rows = earlier
    assert batch.status == ImportBatch.Status.FAILED
    assert not batch.is_current and batch.rows_loaded == 0
    assert not SourceRecord.objects.filter(batch=batch).exists()
    assert snapshot() == earlier_rows
    earlier_batch.refresh_from_db()
    assert earlier_batch.is_current


# --- a good file ---------------------------------------------------------------


def test_valid_extract_is_loaded_normalised_with_raw_and_fact_kept(earlier, tmp_path):
    batch = load(tmp_path, extract_bytes(rows=4))

    assert batch.status == ImportBatch.Status.LOADED and batch.is_current
    assert (batch.rows_total, batch.rows_validated, batch.rows_loaded, batch.rows_rejected) == (4, 4, 4, 0)
    record = SourceRecord.objects.get(batch=batch, row_number=1)
    assert record.raw["surname"] == "O'Brien" and record.raw["postcode"] == "bs1  4dj"  # as sent
    assert (record.forename, record.surname, record.postcode, record.ni_number) == ("ANN", "OBRIEN", "BS1 4DJ", "AB123456C")
    assert record.date_of_birth == dt.date(2010, 2, 1)
    assert record.address_key == "4A||12|HIGH STREET|BS1 4DJ"
    assert (record.fact_type, record.fact_date, record.fact) == ("person-committed-offence", dt.date(2024, 4, 3), {"reference": "CR-1"})
    # the newer extract replaced the earlier rows, in the same step
    earlier_batch, _ = earlier
    earlier_batch.refresh_from_db()
    assert not earlier_batch.is_current
    assert set(SourceRecord.objects.filter(dataset__code=DATASET).values_list("batch_id", flat=True)) == {batch.pk}
    event = AuditEvent.objects.filter(action="import", subject_id=str(batch.pk)).get()
    assert event.details["status"] == "loaded" and event.result_count == 4



def test_backslashes_tabs_and_line_breaks_are_stored_exactly_as_sent(db, tmp_path):
    """The bulk write's own separators and escapes (COPY text on PostgreSQL) inside values survive the load."""
    awkward = {"source_key": "K\\1\t2", "reference": "CR\\N\nline two\r\n\t\\t", "address": 'Flat 1, "The\\Mews"\t12 High St'}
    batch = load(tmp_path, extract_bytes(rows=2, changes={1: awkward}))

    assert batch.status == ImportBatch.Status.LOADED, batch.errors
    record = SourceRecord.objects.get(batch=batch, row_number=1)
    assert record.source_key == awkward["source_key"]
    assert record.raw["reference"] == awkward["reference"] and record.raw["address"] == awkward["address"]
    assert record.fact == {"reference": awkward["reference"].strip()}
    assert "\\" not in record.address_key and "\t" not in record.address_key

def test_command_prints_progress_and_outcome(db, tmp_path):
    path = tmp_path / "asc-offenders.csv"
    path.write_bytes(extract_bytes(rows=3))
    out = io.StringIO()
    call_command("import_extract", DATASET, str(path), stdout=out)
    assert "rows validated: 3" in out.getvalue() and "rows loaded: 3" in out.getvalue()
    assert SourceRecord.objects.filter(dataset__code=DATASET).count() == 3


def test_command_exits_non_zero_listing_the_errors(earlier, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(extract_bytes(rows=3, changes={2: {"postcode": "NOT A POSTCODE"}}))
    with pytest.raises(CommandError) as raised:
        call_command("import_extract", DATASET, str(path), stdout=io.StringIO())
    assert "row 2, postcode: not a UK postcode" in str(raised.value)
    assert snapshot() == earlier[1]


# --- bad files ---------------------------------------------------------------------


def test_truncated_file(earlier, tmp_path):
    content = extract_bytes(rows=6)
    batch = load(tmp_path, content[: content.rindex(b",CR-1") - 9])  # cut inside the last row

    assert reasons(batch) == [(6, "", "the file ends part-way through this row: 11 of 12 fields (truncated file?)")]
    assert_refused_and_unchanged(batch, earlier)


def test_truncated_inside_a_quoted_value(earlier, tmp_path):
    content = extract_bytes(rows=3) + b'K0000004,"Ann'
    batch = load(tmp_path, content)

    assert batch.errors[0]["row"] == 4 and "truncated" in batch.errors[0]["reason"]
    assert_refused_and_unchanged(batch, earlier)


def test_windows_1252_is_refused_with_the_row(earlier, tmp_path):
    lines = extract_bytes(rows=4).split(b"\r\n")
    lines[3] = lines[3].replace(b"O'Brien", "Zoë".encode("cp1252"))  # data row 3
    batch = load(tmp_path, b"\r\n".join(lines))

    assert reasons(batch) == [
        (3, "surname", "not UTF-8: bytes in another encoding (e.g. Windows-1252); save the file as UTF-8")
    ]
    assert_refused_and_unchanged(batch, earlier)


def test_a_nul_character_is_refused_with_the_row_and_column(earlier, tmp_path):
    lines = extract_bytes(rows=4).split(b"\r\n")
    lines[2] = lines[2].replace(b"O'Brien", b"O'Br\x00ien")  # data row 2
    batch = load(tmp_path, b"\r\n".join(lines))

    assert reasons(batch) == [(2, "surname", "contains a NUL character (binary data in a text field)")]
    assert_refused_and_unchanged(batch, earlier)


def test_utf8_with_bom_is_accepted_and_the_bom_stripped(earlier, tmp_path):
    content = "\ufeff".encode() + extract_bytes(rows=2, changes={1: {"surname": "Zoë"}})
    batch = load(tmp_path, content)

    assert batch.status == ImportBatch.Status.LOADED, batch.errors
    record = SourceRecord.objects.get(batch=batch, row_number=1)
    assert "source_key" in record.raw and record.raw["surname"] == "Zoë" and record.surname == "ZOE"


def test_missing_required_column(earlier, tmp_path):
    header = [c for c in DATASETS_BY_CODE[DATASET].columns if c != "event_type"]
    batch = load(tmp_path, extract_bytes(rows=3, header=header))

    assert reasons(batch) == [(0, "event_type", "required column missing")]
    assert_refused_and_unchanged(batch, earlier)


def test_extra_unknown_column(earlier, tmp_path):
    header = [*DATASETS_BY_CODE[DATASET].columns, "favourite_colour"]
    batch = load(tmp_path, extract_bytes(rows=3, header=header))

    assert reasons(batch) == [(0, "favourite_colour", "unknown column: asc-offenders extracts do not have it")]
    assert_refused_and_unchanged(batch, earlier)


@pytest.mark.parametrize("separator, named", [(";", "semicolons (;)"), ("\t", "tabs")])
def test_a_file_with_the_wrong_separator_is_named_as_such(earlier, tmp_path, separator, named):
    content = extract_bytes(rows=3).decode().replace(",", separator).encode()
    batch = load(tmp_path, content)

    assert reasons(batch) == [(0, "", f"the separator looks wrong: the header's column names are separated by {named}, "
                                     "not commas (save or export the file as CSV, comma-separated)")]
    assert_refused_and_unchanged(batch, earlier)


def test_a_badly_escaped_quote_mid_file_is_named_with_its_row_and_column(earlier, tmp_path):
    content = extract_bytes(rows=6).replace(b"K0000003,  ann ,", b'K0000003,"ann "Nan" ",', 1)
    assert b'"ann "Nan" "' in content
    batch = load(tmp_path, content)

    assert reasons(batch) == [(3, "forename", 'unbalanced quote starting in row 3, column forename: a quote inside a quoted '
                                            'value must be doubled ("") or the value left unquoted; the rows after it were not read')]
    assert_refused_and_unchanged(batch, earlier)


def test_a_quote_never_closed_mid_file_is_an_unbalanced_quote_not_a_truncated_file(earlier, tmp_path):
    unquoted = extract_bytes(rows=6).replace(b'"Flat 4a, 12 High St"', b"Flat 4a 12 High St")  # no other quote after it
    content = unquoted.replace(b"K0000002,  ann ,", b'K0000002,"ann ,', 1)
    batch = load(tmp_path, content)

    [(row, column, reason)] = reasons(batch)
    assert (row, column) == (2, "forename")
    assert reason == ("unbalanced quote starting in row 2, column forename: the quoted value is never closed, so the rest "
                      "of the file (5 lines) was read into it")
    assert "truncated" not in reason
    assert_refused_and_unchanged(batch, earlier)


def test_a_quote_that_swallows_lines_until_another_quote_is_named(earlier, tmp_path):
    """A stray opening quote closed by another stray quote rows later: one long "value" spanning the rows between."""
    unquoted = extract_bytes(rows=6).replace(b'"Flat 4a, 12 High St"', b"Flat 4a 12 High St")
    content = unquoted.replace(b"K0000002,  ann ,", b'K0000002,"ann ,', 1)
    for closing in (b'K0000005,ann",', b'K0000005,ann" ,'):  # read as a row of too few fields; a CSV error
        batch = load(tmp_path, content.replace(b"K0000005,  ann ,", closing, 1))

        [(row, column, reason)] = reasons(batch)
        assert (row, column) == (2, "forename")
        assert reason.startswith("unbalanced quote starting in row 2, column forename: the quoted value runs over line breaks")
        assert_refused_and_unchanged(batch, earlier)


def test_duplicates_are_found_when_the_keys_no_longer_fit_in_memory(earlier, tmp_path, monkeypatch):
    """Record keys spill to disk past a bound; a duplicate of a spilled key is still found, with its first row."""
    monkeypatch.setattr(seen_keys.SeenKeys.__init__, "__kwdefaults__", {"memory_keys": 50, "bloom_bytes": 64})
    batch = load(tmp_path, extract_bytes(rows=400, changes={390: {"source_key": "K0000007"}, 395: {"source_key": "K0000398"}}))

    assert reasons(batch) == [
        (390, "source_key", "duplicate record: the same source_key with the same event_type, event_date, reference "
                            "is in an earlier row (row 7)"),
        (398, "source_key", "duplicate record: the same source_key with the same event_type, event_date, reference "
                            "is in an earlier row (row 395)"),
    ]
    assert_refused_and_unchanged(batch, earlier)


def test_bad_date_in_row_90000_of_a_large_file(earlier, tmp_path):
    batch = load(tmp_path, extract_bytes(rows=90_000, changes={90_000: {"event_date": "31/02/2024"}}))

    assert reasons(batch) == [(90_000, "event_date", "not a real date in the dataset's format dd/mm/yyyy (no such day or month)")]
    assert (batch.rows_total, batch.rows_rejected, batch.rows_validated) == (90_000, 1, 89_999)
    assert_refused_and_unchanged(batch, earlier)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty: no header and no rows"),
        (b"\r\n\r\n", "the file is empty: no header and no rows"),
        (",".join(DATASETS_BY_CODE[DATASET].columns).encode() + b"\r\n", "the file has a header but no data rows"),
    ],
    ids=["no-bytes", "blank-lines", "header-only"],
)
def test_empty_file(earlier, tmp_path, content, reason):
    batch = load(tmp_path, content)

    assert reasons(batch) == [(None, "", reason)]
    assert_refused_and_unchanged(batch, earlier)


def test_duplicate_source_key_within_the_file(earlier, tmp_path):
    batch = load(tmp_path, extract_bytes(rows=5, changes={4: {"source_key": "K0000002"}}))

    assert reasons(batch) == [
        (4, "source_key", "duplicate record: the same source_key with the same event_type, event_date, reference "
         "is in an earlier row (row 2)")
    ]
    assert batch.error_counts == {
        "source_key": {"duplicate record: the same source_key with the same event_type, event_date, reference is in an earlier row": 1}
    }
    assert_refused_and_unchanged(batch, earlier)


def test_one_person_may_have_several_records(db, tmp_path):
    """source_key names the person in the agency's system: one row per event is not a duplicate."""
    batch = load(tmp_path, extract_bytes(rows=3, changes={2: {"source_key": "K0000001", "reference": "CR-2"}}))
    assert batch.status == ImportBatch.Status.LOADED, batch.errors
    assert SourceRecord.objects.filter(batch=batch, source_key="K0000001").count() == 2


@pytest.mark.parametrize("column", ["adoption_order_date", "Case Notes", "clinical_notes", "legal_proceedings"])
def test_excluded_column_is_refused_before_any_row_is_read(earlier, tmp_path, column):
    header = [*DATASETS_BY_CODE[DATASET].columns, column]
    batch = load(tmp_path, extract_bytes(rows=3, header=header))

    assert reasons(batch) == [(0, column.lower(), EXCLUDED_REASON)]
    assert batch.rows_total == 0  # the rows carrying it were never read
    assert_refused_and_unchanged(batch, earlier)


def test_excluded_event_type_is_refused(earlier, tmp_path):
    batch = load(tmp_path, extract_bytes(rows=3, changes={2: {"event_type": "adoption-order"}}))

    assert reasons(batch) == [(2, "event_type", EXCLUDED_REASON)]
    assert_refused_and_unchanged(batch, earlier)


def test_same_file_twice_is_recognised_and_changes_nothing(earlier, tmp_path):
    earlier_batch, earlier_rows = earlier
    again = load(tmp_path, extract_bytes(rows=3, key_prefix="E"), name="resent.csv")

    assert again.status == ImportBatch.Status.DUPLICATE and not again.is_current
    assert f"loaded as batch {earlier_batch.pk}" in again.failure_reason
    assert snapshot() == earlier_rows
    assert AuditEvent.objects.filter(action="import", subject_id=str(again.pk), details__status="duplicate").exists()


def test_rows_with_several_problems_are_all_reported(earlier, tmp_path):
    batch = load(
        tmp_path,
        extract_bytes(
            rows=6,
            changes={
                1: {"date_of_birth": "2010/02/01"},
                2: {"sex": "Q", "ni_number": "QQ123456C"},
                3: {"event_type": "person-committed-asb"},
                5: {"surname": ""},
                6: {"date_of_birth": "01/02/2999"},
            },
        ),
    )

    assert reasons(batch) == [
        (1, "date_of_birth", "not a date in the dataset's format dd/mm/yyyy (written as yyyy/mm/dd)"),
        (2, "sex", "unknown code (expected one of: M, F, U)"),
        (2, "ni_number", "not a National Insurance number (two letters, six digits, A-D)"),
        (3, "event_type", "unknown event type for asc-offenders (expected one of: person-committed-offence)"),
        (5, "surname", "required value missing"),
        (6, "date_of_birth", "date of birth is in the future or before 1900"),
    ]
    assert batch.rows_rejected == 5
    assert_refused_and_unchanged(batch, earlier)


def test_identifier_check_digits_are_verified(db, tmp_path):
    batch = load(
        tmp_path,
        extract_bytes("bcc-looked-after", rows=3, changes={1: {"nhs_number": "9434765918"}, 2: {"upn": "A801200001001"}}),
        code="bcc-looked-after",
    )
    assert reasons(batch) == [(1, "nhs_number", "NHS number check digit is wrong"), (2, "upn", "UPN check letter is wrong")]


def test_first_thousand_problems_listed_then_counted(db, tmp_path):
    bad = {n: {"postcode": "XX"} for n in range(1, 1_501)}
    batch = load(tmp_path, extract_bytes(rows=1_500, changes=bad))

    assert len(batch.errors) == PROBLEMS_LISTED
    assert batch.error_counts == {"postcode": {"not a UK postcode (e.g. BS1 4DJ)": 1_500}}
    assert batch.rows_rejected == 1_500


# --- interrupted loads ---------------------------------------------------------------


def test_load_that_fails_half_way_leaves_the_data_as_before(earlier, tmp_path, monkeypatch):
    """The bulk write raises after its first chunk is in the table (as a lost connection would)."""
    monkeypatch.setattr(records, "STAGE_CHUNK_ROWS", 10)
    written = []

    def lose_connection(self, count):
        written.append(count)
        if count >= 10:
            raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(services._Progress, "loaded", lose_connection)
    batch = load(tmp_path, extract_bytes(rows=25))

    assert written == [0, 10]  # one chunk was written before the failure
    assert batch.failure_reason.startswith("The load stopped: DatabaseError: server closed the connection unexpectedly.")
    assert "earlier rows are unchanged" in batch.failure_reason
    assert_refused_and_unchanged(batch, earlier)
    assert AuditEvent.objects.filter(action="import", subject_id=str(batch.pk), details__status="failed").exists()


def test_keyboard_interrupt_is_recorded_and_re_raised(earlier, tmp_path, monkeypatch):
    def interrupt(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(records, "write", interrupt)
    with pytest.raises(KeyboardInterrupt):
        load(tmp_path, extract_bytes(rows=3))
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportBatch.Status.FAILED and "KeyboardInterrupt" in batch.failure_reason
    assert_refused_and_unchanged(batch, earlier)


def test_an_interruption_just_after_the_commit_leaves_the_loaded_batch_as_it_is(earlier, tmp_path, monkeypatch):
    """The rows were committed: the batch stays loaded and current, not "failed, nothing kept"."""
    close = records.Stage.close

    def interrupt_after_commit(self):
        close(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(records.Stage, "close", interrupt_after_commit)
    with pytest.raises(KeyboardInterrupt):
        load(tmp_path, extract_bytes(rows=3))
    batch = ImportBatch.objects.latest("pk")
    assert (batch.status, batch.is_current, batch.rows_loaded) == (ImportBatch.Status.LOADED, True, 3)
    assert SourceRecord.objects.filter(batch=batch).count() == 3
    replaced, _ = earlier
    replaced.refresh_from_db()
    assert not replaced.is_current


def test_load_whose_process_died_is_marked_failed(earlier, tmp_path):
    stopped = ImportBatch.objects.create(
        dataset=Dataset.objects.get(code=DATASET),
        filename="killed.csv",
        status=ImportBatch.Status.LOADING,
        worker=dead_worker(),
    )

    assert import_batches_interrupted_mark() == [stopped]
    stopped.refresh_from_db()
    assert stopped.status == ImportBatch.Status.FAILED
    assert stopped.failure_reason.startswith("The load was interrupted: the process")
    assert_refused_and_unchanged(stopped, earlier)


def test_a_load_still_running_is_not_marked_failed(db):
    running = ImportBatch.objects.create(
        dataset=Dataset.objects.get(code=DATASET),
        filename="running.csv",
        status=ImportBatch.Status.LOADING,
        worker=live_worker(),
    )
    with lock_held_by_another_session(locks.LOAD_LOCK_NAMESPACE, running.pk):
        assert import_batches_interrupted_mark() == []
    running.refresh_from_db()
    assert running.status == ImportBatch.Status.LOADING


def test_the_scheduled_check_just_before_a_load_takes_its_lock_leaves_the_load_alone(db, tmp_path, monkeypatch):
    """The every-minute check may land between the batch being saved and its lock being taken: the batch must not
    look like a load whose process died then (PostgreSQL: no process holds its lock yet)."""
    judged = []

    def check_then_lock(batch):
        judged.extend(import_batches_interrupted_mark())  # the scheduled check, at the worst moment
        return locks.load_lock(batch)

    monkeypatch.setattr(services, "load_lock", check_then_lock)
    batch = load(tmp_path, extract_bytes(rows=3))

    assert judged == []
    assert batch.status == ImportBatch.Status.LOADED and batch.failure_reason == ""
    assert not AuditEvent.objects.filter(action="import", details__status="failed").exists()


def test_the_command_makes_an_earlier_extract_current_again(db, tmp_path):
    first = extract_bytes(rows=3, key_prefix="A")
    earlier = load(tmp_path, first, name="first.csv")
    load(tmp_path, extract_bytes(rows=2, key_prefix="B"), name="second.csv")
    path = tmp_path / "first-again.csv"
    path.write_bytes(first)

    out = io.StringIO()
    call_command("import_extract", DATASET, str(path), stdout=out)
    assert "not in use" in out.getvalue() and "Duplicate" in out.getvalue()
    assert f"import_extract --make-current {DATASET} {path}" in out.getvalue()
    assert {r[2][0] for r in snapshot()} == {"B"}

    call_command("import_extract", DATASET, str(path), "--make-current", stdout=out)
    made = ImportBatch.objects.latest("pk")
    assert (made.status, made.is_current, made.reinstates_id) == (ImportBatch.Status.LOADED, True, earlier.pk)
    assert {r[2] for r in snapshot()} == {"A0000001", "A0000002", "A0000003"}
    assert earlier.checksum == made.checksum
