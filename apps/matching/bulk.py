"""Set-based writes for the projection: PostgreSQL ``COPY``, the ORM's bulk methods elsewhere.

At 170,000 persons the ORM's ``bulk_update`` (one ``CASE`` per field per batch)
and ``bulk_create`` (parameterised ``INSERT`` batches) dominate a run. On
PostgreSQL rows are streamed with ``COPY ... FROM STDIN`` instead: straight into
the table, or into a temporary table first when the write is an ``UPDATE ... FROM``
or an ``INSERT ... ON CONFLICT DO NOTHING``. SQLite keeps the ORM bulk methods.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
from collections.abc import Sequence

from django.db import connection, models

BATCH = 2000
NULL = r"\N"


def _text(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _copy(cursor, table: str, columns: Sequence[str], rows) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([_text(v) for v in row])
    buffer.seek(0)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    cursor.copy_expert(f"COPY {table} ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')", buffer)


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> int:
    """Insert unsaved ``objs`` (no ids are set on them); returns how many were given."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH, ignore_conflicts=ignore_conflicts)
        return len(objs)
    fields = _insert_fields(model)
    columns = [f.column for f in fields]
    rows = ([f.pre_save(obj, True) for f in fields] for obj in objs)  # pre_save fills auto_now_add
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if not ignore_conflicts:
            _copy(cursor, table, columns, rows)
            return len(objs)
        column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.execute(
            f"CREATE TEMP TABLE bulk_insert_rows ON COMMIT DROP AS SELECT {column_list} FROM {table} WITH NO DATA"
        )
        _copy(cursor, "bulk_insert_rows", columns, rows)
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
    column_list = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({column_list}) "
            f"SELECT {placeholders} FROM generate_series(1, %s) RETURNING {quote(model._meta.pk.column)}",
            [*values, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def bulk_update(model: type[models.Model], objs: Sequence[models.Model], field_names: Sequence[str]) -> int:
    """Update ``field_names`` of saved ``objs`` by primary key; returns how many were given."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, field_names, batch_size=500)
        return len(objs)
    fields = [model._meta.get_field(name) for name in field_names]
    pk = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    quote = connection.ops.quote_name
    definitions = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in [pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bulk_update_rows ({definitions}) ON COMMIT DROP")
        _copy(cursor, "bulk_update_rows", [pk.column, *(f.column for f in fields)],
              ([obj.pk, *(getattr(obj, f.attname) for f in fields)] for obj in objs))
        sets = ", ".join(f"{quote(f.column)} = u.{quote(f.column)}" for f in fields)
        cursor.execute(f"UPDATE {table} t SET {sets} FROM bulk_update_rows u WHERE t.{quote(pk.column)} = u.{quote(pk.column)}")
        cursor.execute("DROP TABLE bulk_update_rows")
    return len(objs)
