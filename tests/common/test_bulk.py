"""The one bulk writer (apps/common/bulk.py): COPY's text format, and writes that read back as they were given."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from apps.common import bulk
from apps.matching.models import MatchRun
from apps.sources.models import Organisation

AWKWARD = 'tab\there, line\nbreak, return\r, back\\slash, \\N, \\t, quote " and \' and a comma,'
SHORT = "a\tb\nc\rd\\e \\N"  # for a CharField of 60


# --- the text format ----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    ("plain", "plain"),
    ("a\tb", "a\\tb"),
    ("a\nb", "a\\nb"),
    ("a\r\nb", "a\\r\\nb"),
    ("C:\\temp", "C:\\\\temp"),
    ("\\N", "\\\\N"),  # the two characters, not NULL
    ("", ""),
    ("no-break\xa0space, vertical\x0btab, é", "no-break\xa0space, vertical\x0btab, é"),  # need no escape
    (None, "\\N"),
    (True, "t"),
    (False, "f"),
    (0, "0"),
    (-12, "-12"),
    (0.25, "0.25"),
    (dt.date(2024, 2, 29), "2024-02-29"),
    (dt.datetime(2024, 3, 31, 1, 30, tzinfo=dt.UTC), "2024-03-31T01:30:00+00:00"),
    (MatchRun.Status.COMPLETED, "completed"),
])
def test_values_are_written_as_copy_text(value, text):
    assert bulk.copy_text(value) == text


def test_json_is_written_with_its_backslashes_doubled():
    text = bulk.copy_text({"reference": "CR\\1\n\t", "n": 1, 2: [None, True]})
    assert "\t" not in text and "\n" not in text
    # COPY turns each \\ back into \, which leaves the JSON as orjson wrote it
    assert text.replace("\\\\", "\\") == '{"reference":"CR\\\\1\\n\\t","n":1,"2":[null,true]}'


def test_a_nul_character_is_refused_before_the_database_sees_it():
    with pytest.raises(ValueError, match="NUL"):
        bulk.copy_text("before\x00after")
    with pytest.raises(ValueError, match="NUL"):
        bulk.copy_line(["fine", "bad\x00"])


def test_bytes_are_refused():
    with pytest.raises(TypeError):
        bulk.copy_text(b"\x00\x01")


def test_a_line_has_one_field_per_value_whatever_the_values_hold():
    values = [AWKWARD, None, 3, "last", {"k": "a\tb"}, dt.date(2024, 1, 2), MatchRun.Kind.FULL, 0.5, False]
    line = bulk.copy_line(values)
    assert line.endswith("\n") and line.count("\n") == 1
    assert line[:-1].split("\t") == [bulk.copy_text(v) for v in values]


# --- writes through the database (PostgreSQL: COPY; SQLite: the fallback) -------------------


def _run(**fields) -> MatchRun:
    return MatchRun(match_threshold=0.99, review_threshold=0.8, **fields)


@pytest.mark.django_db
def test_inserted_rows_read_back_exactly():
    runs = [
        _run(failure_reason=AWKWARD, worker="host:1", counts={"text": AWKWARD, "n": 1}, model={"k": [1, None]}),
        _run(failure_reason="", stage="\\", worker="\\N", counts={}, parameters=[{"a\tb": "c\\d"}],
             status=MatchRun.Status.FAILED),
    ]

    assert bulk.bulk_insert(MatchRun, runs) == 2  # created_at (NOT NULL) is filled by auto_now_add

    stored = list(MatchRun.objects.order_by("pk"))
    assert [(r.failure_reason, r.worker, r.stage, r.status, r.counts, r.model, r.parameters) for r in stored] == [
        (AWKWARD, "host:1", "", "pending", {"text": AWKWARD, "n": 1}, {"k": [1, None]}, []),
        ("", "\\N", "\\", "failed", {}, {}, [{"a\tb": "c\\d"}]),
    ]


@pytest.mark.django_db
def test_a_json_field_holding_a_string_is_stored_as_a_json_string():
    bulk.bulk_insert(MatchRun, [_run(model="just \\ text")])
    assert MatchRun.objects.get().model == "just \\ text"


@pytest.mark.django_db
def test_updated_fields_read_back_and_the_others_are_untouched():
    bulk.bulk_insert(MatchRun, [_run(stage="one"), _run(stage="two"), _run(stage="three")])
    one, two, three = MatchRun.objects.order_by("pk")
    one.counts, one.failure_reason = {"awkward": AWKWARD}, AWKWARD
    two.counts, two.failure_reason, two.stage = {}, "", "changed but not written"

    assert bulk.bulk_update(MatchRun, [one, two], ["counts", "failure_reason"]) == 2

    assert list(MatchRun.objects.order_by("pk").values_list("stage", "counts", "failure_reason")) == [
        ("one", {"awkward": AWKWARD}, AWKWARD), ("two", {}, ""), ("three", {}, ""),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("only_changed", [False, True])
def test_rows_update_sets_values_and_nulls_by_primary_key(only_changed):
    bulk.bulk_insert(MatchRun, [_run(stage="a"), _run(stage="b"), _run(stage="c")])
    a, b, _ = MatchRun.objects.order_by("pk").values_list("pk", flat=True)
    finished = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)

    given = bulk.rows_update(MatchRun, ["stage", "finished_at", "match_threshold"],
                             [(a, SHORT, finished, 0.5), (b, "b", None, 0.99)], only_changed=only_changed)

    assert given == 2
    assert list(MatchRun.objects.order_by("pk").values_list("stage", "finished_at", "match_threshold")) == [
        (SHORT, finished, 0.5), ("b", None, 0.99), ("c", None, 0.99),
    ]


@pytest.mark.django_db
def test_insert_ignoring_conflicts_keeps_the_existing_row_and_adds_the_new():
    Organisation.objects.create(code="ZZA", name="Existing")

    bulk.bulk_insert(Organisation, [Organisation(code="ZZA", name="Clash"), Organisation(code="ZZB", name=AWKWARD)],
                     ignore_conflicts=True)

    assert dict(Organisation.objects.filter(code__startswith="ZZ").values_list("code", "name")) == {
        "ZZA": "Existing", "ZZB": AWKWARD,
    }


@pytest.mark.django_db
def test_a_nul_character_stops_the_write_and_nothing_is_written():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL cannot store a NUL in text; SQLite can, and its ORM fallback stores it")
    with pytest.raises(ValueError, match="NUL"):
        bulk.bulk_insert(MatchRun, [_run(stage="fine"), _run(stage="bad\x00")])
    assert not MatchRun.objects.exists()


@pytest.mark.django_db
def test_rows_encoded_early_and_written_in_packed_chunks_read_back():
    """``Rows``: the import encodes rows as it validates them, keeps the packed chunks, and writes them later."""
    columns = ["kind", "status", "stage", "progress", "created_at", "match_threshold", "review_threshold", "model",
               "parameters", "charts", "counts", "timings", "failure_reason", "worker"]
    rows = bulk.Rows(MatchRun._meta.db_table, columns)
    created = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    values = [
        ["full", "pending", SHORT, 0, created, 0.99, 0.8, {"k": AWKWARD}, [], {}, {}, {}, "", "w"],
        ["incremental", "failed", "", 100, created, 0.9, 0.5, {}, [1], {}, {"n": 2}, {}, "\\", ""],
    ]
    chunks = [rows.pack([rows.encode(values[0])]), rows.pack([rows.encode(values[1])])]

    with connection.cursor() as cursor:
        for chunk in chunks:
            rows.write(cursor, chunk)

    stored = MatchRun.objects.order_by("pk").values_list(*columns)
    assert [list(row) for row in stored] == values
