"""The one bulk writer: PostgreSQL ``COPY ... FROM STDIN`` in its text format, a plain fallback elsewhere.

Writing hundreds of thousands of rows (an extract's source records, a match run's
links, the projection's golden records) row by row through the ORM dominates a
run, so every bulk write goes through here:

* ``copy_text`` / ``copy_line``: a value, a row, as COPY's text format wants it
  (tab between fields, ``\\N`` for NULL, a backslash escaping backslash, tab,
  line feed and carriage return inside a value). A NUL character cannot be stored
  in a PostgreSQL text value and is refused here, before the database sees it.
* ``Rows``: rows for one table, encoded as they arrive (a COPY line on PostgreSQL,
  DB-API parameters elsewhere), packed into bytes that can wait in a file, and
  written chunk by chunk (one ``COPY`` or one ``executemany`` of an ``INSERT``
  each). The import stages an extract this way while it validates it.
* ``rows_update``: ``UPDATE`` rows by primary key from (id, values...) tuples,
  through a temporary table on PostgreSQL.
* ``bulk_insert`` / ``bulk_update`` / ``insert_copies``: the same for model
  instances; other databases use the ORM's bulk methods.

The caller holds the transaction.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import pickle
from collections.abc import Iterable, Iterator, Sequence

import orjson
from django.db import connection, models

BATCH = 2000  # objects per ORM bulk statement (other databases)
COPY_CHUNK_ROWS = 10_000  # lines per COPY statement, so a large write never sits whole in memory
NULL = "\\N"

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escape(text: str) -> str:
    # tab, line feed, carriage return and NUL are not printable; the tests are cheaper than translate(),
    # and most values need no escape
    if "\\" not in text and text.isprintable():
        return text
    if "\x00" in text:
        raise ValueError(f"a NUL character cannot be stored in a PostgreSQL text value: {text[:40]!r}")
    return text.translate(_ESCAPES)


def json_text(value) -> str:
    """``value`` as JSON text (non-string keys become strings, as ``json.dumps`` does)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # a non-string key; the option costs twice the time, so only when needed
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def copy_text(value) -> str:
    """One value as a field of COPY's text format.

    None is NULL; booleans ``t``/``f``; dates and times ISO 8601 (an aware
    datetime keeps its offset); dicts and lists JSON; anything else ``str()``.
    Raises ValueError for a NUL character and TypeError for bytes (no column
    here is binary).
    """
    kind = type(value)
    if kind is str:
        return _escape(value)
    if value is None:
        return NULL
    if kind is int:
        return str(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):  # a str subclass, e.g. a TextChoices member: its value
        return _escape(str.__str__(value))
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dict | list):
        return _escape(json_text(value))
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError("bytes cannot be written as COPY text")
    return _escape(str(value))


def copy_line(values: Iterable) -> str:
    """One row as a line of COPY's text format (``copy_text`` of each value)."""
    fields = []
    for value in values:  # the common kinds inline: an import encodes millions of rows
        kind = type(value)
        if kind is str:
            fields.append(value if "\\" not in value and value.isprintable() else _escape(value))
        elif value is None:
            fields.append(NULL)
        elif kind is int:
            fields.append(str(value))
        elif kind is dict or kind is list:
            fields.append(_escape(json_text(value)))
        elif kind is dt.date:
            fields.append(value.isoformat())
        else:
            fields.append(copy_text(value))
    return "\t".join(fields) + "\n"


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(n) for n in names)


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY ``rows`` (value sequences in ``columns`` order) into ``table`` (quoted already); returns the count.

    PostgreSQL only. One COPY statement per ``COPY_CHUNK_ROWS`` rows.
    """
    sql = f"COPY {table} ({_quoted(columns)}) FROM STDIN"
    count = 0
    for chunk in _chunks(rows, COPY_CHUNK_ROWS):
        cursor.copy_expert(sql, io.StringIO("".join([copy_line(row) for row in chunk])))
        count += len(chunk)
    return count


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Rows:
    """Rows for ``table``'s ``columns``, encoded one by one as they arrive and written later in chunks.

    ``encode(row)`` turns a row (values in ``columns`` order) into what the write
    sends for it: a COPY text line on PostgreSQL, a tuple of parameters for one
    ``INSERT`` elsewhere (JSON as text, dates and datetimes as the database stores
    them). ``pack`` turns a list of those into bytes, to keep in a file until the
    write; ``write(cursor, chunk)`` sends one packed chunk in one statement.
    """

    def __init__(self, table: str, columns: Sequence[str]):
        self.postgresql = connection.vendor == "postgresql"
        quoted_table = connection.ops.quote_name(table)
        if self.postgresql:
            self.sql = f"COPY {quoted_table} ({_quoted(columns)}) FROM STDIN"
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            self.sql = f"INSERT INTO {quoted_table} ({_quoted(columns)}) VALUES ({placeholders})"

    def encode(self, row: Sequence):
        if self.postgresql:
            return copy_line(row)
        return tuple(_parameter(v) for v in row)

    def pack(self, encoded: list) -> bytes:
        if self.postgresql:
            return "".join(encoded).encode()
        return pickle.dumps(encoded, pickle.HIGHEST_PROTOCOL)

    def write(self, cursor, chunk: bytes) -> None:
        if self.postgresql:
            cursor.cursor.copy_expert(self.sql, io.BytesIO(chunk), size=len(chunk) or 1)
        else:
            # the DB-API executemany skips the ORM's per-value compilation, which costs more than the insert
            cursor.executemany(self.sql, pickle.loads(chunk))  # noqa: S301 - bytes this class packed


def _parameter(value):
    """A value as a DB-API parameter for a database without COPY (as the ORM would store it)."""
    if isinstance(value, dict | list):
        return json_text(value)
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


# --- model rows ------------------------------------------------------------------------


def _writer(fields: Sequence[models.Field]):
    """A function from ``fields``' Python values to what COPY writes: JSONField values as JSON text, whatever their type."""
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    if not json_at:
        return list

    def write(values: Iterable) -> list:
        values = list(values)
        for i in json_at:
            if values[i] is not None:
                values[i] = json_text(values[i])
        return values

    return write


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> int:
    """Insert unsaved ``objs`` (no ids are set on them); returns how many were given.

    ``ignore_conflicts``: rows that break a unique constraint are skipped (on
    PostgreSQL through a temporary table and ``INSERT ... ON CONFLICT DO NOTHING``).
    """
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH, ignore_conflicts=ignore_conflicts)
        return len(objs)
    fields = _insert_fields(model)
    columns = [f.column for f in fields]
    write = _writer(fields)
    rows = (write(f.pre_save(obj, True) for f in fields) for obj in objs)  # pre_save fills auto_now_add
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if not ignore_conflicts:
            copy_rows(cursor, table, columns, rows)
            return len(objs)
        column_list = _quoted(columns)
        cursor.execute(
            f"CREATE TEMP TABLE bulk_insert_rows ON COMMIT DROP AS SELECT {column_list} FROM {table} WITH NO DATA"
        )
        copy_rows(cursor, "bulk_insert_rows", columns, rows)
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM bulk_insert_rows ON CONFLICT DO NOTHING"
        )
        cursor.execute("DROP TABLE bulk_insert_rows")
    return len(objs)


def insert_copies(model: type[models.Model], template: models.Model, count: int) -> list[int]:
    """Insert ``count`` rows with ``template``'s field values in one statement; returns their ids, ascending.

    On PostgreSQL an ``INSERT ... SELECT`` over ``generate_series``; elsewhere ``bulk_create``.
    """
    if count <= 0:
        return []
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create([copy.copy(template) for _ in range(count)], batch_size=BATCH)
        return sorted(obj.pk for obj in created)
    fields = _insert_fields(model)
    values = [f.get_db_prep_save(f.pre_save(template, True), connection) for f in fields]
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({_quoted(f.column for f in fields)}) "
            f"SELECT {placeholders} FROM generate_series(1, %s) RETURNING {quote(model._meta.pk.column)}",
            [*values, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def rows_update(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence],
                *, only_changed: bool = False) -> int:
    """Set ``field_names`` from ``rows`` of (primary key, value, ...); returns how many rows were given.

    Values are the fields' Python values (a foreign key's id). PostgreSQL: the
    rows are copied into a temporary table (analysed, so the join is planned on
    its real size) and applied in one ``UPDATE ... FROM``; ``only_changed`` leaves
    alone the rows whose values are those already (no new row versions for them).
    Elsewhere: one ``UPDATE ... WHERE pk = %s`` run with ``executemany``.
    """
    fields = [model._meta.get_field(name) for name in field_names]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
            params = [[*(f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)), key]
                      for key, *values in rows]
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {quote(pk.column)} = %s", params)
            return len(params)
        write = _writer([pk, *fields])
        definitions = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in [pk, *fields])
        cursor.execute(f"CREATE TEMP TABLE bulk_update_rows ({definitions}) ON COMMIT DROP")
        count = copy_rows(cursor, "bulk_update_rows", [pk.column, *(f.column for f in fields)], map(write, rows))
        cursor.execute("ANALYZE bulk_update_rows")  # a temporary table has no statistics: plan a hash join
        sets = ", ".join(f"{quote(f.column)} = u.{quote(f.column)}" for f in fields)
        where = f"t.{quote(pk.column)} = u.{quote(pk.column)}"
        if only_changed:
            where += " AND (" + " OR ".join(f"t.{quote(f.column)} IS DISTINCT FROM u.{quote(f.column)}" for f in fields) + ")"
        cursor.execute(f"UPDATE {table} t SET {sets} FROM bulk_update_rows u WHERE {where}")
        cursor.execute("DROP TABLE bulk_update_rows")
    return count


def bulk_update(model: type[models.Model], objs: Sequence[models.Model], field_names: Sequence[str]) -> int:
    """Update ``field_names`` of saved ``objs`` by primary key; returns how many were given."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, field_names, batch_size=500)
        return len(objs)
    attnames = [model._meta.get_field(name).attname for name in field_names]
    return rows_update(model, field_names, ([obj.pk, *(getattr(obj, a) for a in attnames)] for obj in objs))

