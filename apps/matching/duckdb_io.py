"""In and out of DuckDB for a match run: the source records go in; links, new person ids and the review queue come out.

* **in**: ``export`` copies source records' identity fields into a DuckDB table:
  PostgreSQL ``COPY (...) TO STDOUT`` as CSV read by DuckDB's ``read_csv``, or on
  SQLite through Arrow. No DuckDB extension is used, so nothing is downloaded at run time.
* **out**: ``link_records`` (through the bulk writer, ``apps.common.bulk``),
  ``new_persons`` and ``grey_pairs_queue``, each inside ``write_transaction``.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
from django.conf import settings
from django.db import connection, transaction
from django.db.models.fields.json import KT

from apps.common.bulk import insert_copies, rows_update
from apps.people.models import Person
from apps.sources.models import SourceRecord

from . import splink_model
from .config import MatchingConfig
from .models import ClericalPair, MatchRun
from .profiles import IDENTITY_FIELDS

# Middle names are kept in the row as received (``SourceRecord.raw``), not in a column: read from there.
EXPORT_FIELDS = ("id", "person_id", "dataset_id", "source_key", *IDENTITY_FIELDS, "middle_names")


@contextmanager
def session(config: MatchingConfig):
    """An in-process DuckDB and a work directory for one run (spill files, exports); both go when it ends."""
    workdir = Path(tempfile.mkdtemp(prefix="matchrun-", dir=settings.VAR_DIR))
    con = splink_model.connect(
        memory_limit=config.memory_limit, temp_directory=str(workdir / "spill"), threads=config.threads
    )
    try:
        yield con, workdir
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)


def current_records():
    """The source records of every dataset's current batch: what a run links."""
    return SourceRecord.objects.filter(batch__is_current=True)


def export(con, queryset, table: str, workdir: Path) -> int:
    """Copy ``queryset``'s identity fields, and middle names as sent, into DuckDB table ``table``; returns the row count."""
    queryset = queryset.annotate(middle_names=KT("raw__middle_names")).order_by().values_list(*EXPORT_FIELDS)
    if connection.vendor == "postgresql":
        sql, params = queryset.query.sql_with_params()
        path = workdir / f"{table}.csv"
        with connection.cursor() as cursor, path.open("w", encoding="utf-8", newline="") as handle:
            query = cursor.mogrify(sql, params).decode()
            cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER false)", handle)
        types = {"id": "BIGINT", "person_id": "BIGINT", "dataset_id": "BIGINT", "date_of_birth": "DATE"}
        columns = ", ".join(f"'{f}': '{types.get(f, 'VARCHAR')}'" for f in EXPORT_FIELDS)
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv('{path}', header=false, "
            f"columns={{{columns}}}, nullstr='', quote='\"', escape='\"')"
        )
        path.unlink()
    else:
        rows = list(queryset.iterator(chunk_size=20000))
        arrays = list(zip(*rows, strict=True)) if rows else [[] for _ in EXPORT_FIELDS]
        types = {"id": pa.int64(), "person_id": pa.int64(), "dataset_id": pa.int64(), "date_of_birth": pa.date32()}
        arrow = pa.table({f: pa.array(arrays[i], type=types.get(f, pa.string())) for i, f in enumerate(EXPORT_FIELDS)})
        con.register(f"{table}_arrow", arrow)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table}_arrow")
        con.unregister(f"{table}_arrow")
    # blanks are missing values; sex U is "not known"
    sets = ", ".join(f"{f} = NULLIF(trim({f}), '')" for f in (*IDENTITY_FIELDS, "middle_names") if f != "date_of_birth")
    con.execute(f"UPDATE {table} SET {sets}")
    con.execute(f"UPDATE {table} SET sex = NULL WHERE sex = 'U'")
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


@contextmanager
def write_transaction():
    """One stage's writes, in one transaction; on PostgreSQL without waiting for the WAL flush at commit.

    ``synchronous_commit = off`` (for this transaction only) means a crash in the
    moment after the commit could lose it, never corrupt it: the run is then
    repeated. Stages write hundreds of thousands of rows, so the flush is not free.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


def link_records(assignments: list[tuple[int, int, float | None]]) -> None:
    """Set ``person_id`` and ``match_probability`` on records: (record id, person id, probability).

    Rows that have those values already are left alone (no new row versions for them).
    """
    rows_update(SourceRecord, ["person", "match_probability"], assignments, only_changed=True)


def new_persons(count: int) -> list[int]:
    """Issue ``count`` new person ids (the projection fills their fields).

    One set-based insert: a first run creates every person (170,000 at bristol
    scale took 15.7 s as ORM batches).
    """
    return insert_copies(Person, Person(forename="", surname=""), count)


def grey_pairs_queue(con, run: MatchRun, pairs: str, config: MatchingConfig, decided: list[tuple[int, int, str]]) -> int:
    """Queue undecided grey-zone pairs (review threshold <= p < match threshold), and the pairs the family
    guard sent to review whatever their score (``splink_model.GUARD_SQL``), strongest first.

    A pair is left out when a reviewer has decided it (whatever the outcome, and
    however often its extracts were replaced since) or when its two rows are one
    agency record (dataset and source key), which is always linked.
    """
    decided_pairs = {(a, b) for a, b, _ in decided}
    rows = con.execute(
        f"""
        SELECT least(unique_id_l, unique_id_r) AS a, greatest(unique_id_l, unique_id_r) AS b, match_probability
        FROM {pairs} p
        WHERE (match_probability < {config.match_threshold} OR guard = 'review')
          AND NOT EXISTS (
              SELECT 1 FROM records l JOIN records h ON l.dataset_id = h.dataset_id AND l.source_key = h.source_key
              WHERE l.id = least(p.unique_id_l, p.unique_id_r) AND h.id = greatest(p.unique_id_l, p.unique_id_r)
          )
        ORDER BY match_probability DESC
        """
    ).fetchall()
    queued = [(a, b, p) for a, b, p in rows if (a, b) not in decided_pairs][: config.review_queue_cap]
    # The queue is rebuilt each full run; a profile's id is its first record's, which stands for it.
    ClericalPair.objects.all().delete()
    ClericalPair.objects.bulk_create(
        [ClericalPair(run=run, record_low_id=a, record_high_id=b, match_probability=p) for a, b, p in queued],
        batch_size=2000,
    )
    return len(queued)
