"""Bulk writes of source records: validated rows staged in a file, written in chunks, replaced rows deleted.

Rows are encoded for this database's bulk write (``apps.common.bulk.Rows``: COPY
text on PostgreSQL, INSERT parameters elsewhere) as the validator passes them, and
kept in a temporary file until the whole file has passed, so memory holds one
chunk, not the extract. The write then only streams the chunks back.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator

from django.db import DatabaseError, connection, models

from apps.common.bulk import Rows

from .models import ImportBatch, SourceRecord
from .validation import ROW_FIELDS

# Columns of sources_sourcerecord the loader fills, in the order of a staged row.
RECORD_COLUMNS = ("dataset_id", "batch_id") + ROW_FIELDS
STAGE_CHUNK_ROWS = 10_000  # also the rows per bulk statement and per progress step


class Stage:
    """A batch's validated rows, already encoded for the bulk write, in a temporary file."""

    def __init__(self, batch: ImportBatch):
        self.rows = Rows(SourceRecord._meta.db_table, RECORD_COLUMNS)
        self._ids = (batch.dataset_id, batch.pk)
        self._file = tempfile.TemporaryFile(prefix="tf-import-")  # noqa: SIM115 - kept open across chunks, closed by close()
        self._pending: list = []
        self._sizes: list[tuple[int, int]] = []  # (bytes, rows) of each chunk, in file order

    def add(self, row: tuple) -> None:
        """Stage one validated row (``ROW_FIELDS`` order)."""
        self._pending.append(self.rows.encode((*self._ids, *row)))
        if len(self._pending) >= STAGE_CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            data = self.rows.pack(self._pending)
            self._file.write(data)
            self._sizes.append((len(data), len(self._pending)))
            self._pending = []

    def chunks(self) -> Iterator[tuple[bytes, int]]:
        """Each chunk as (its bytes, its rows)."""
        self._flush()
        self._file.seek(0)
        for size, rows in self._sizes:
            yield self._file.read(size), rows

    def close(self) -> None:
        self._file.close()


def write(*, stage: Stage, on_progress: Callable[[int], None]) -> int:
    """Write the staged rows into sources_sourcerecord, one statement per chunk; returns the rows written."""
    loaded = 0
    with connection.cursor() as cursor:
        for data, rows in stage.chunks():
            stage.rows.write(cursor, data)
            loaded += rows
            on_progress(loaded)
    return loaded


def linked_persons(*, batch_ids: list[int]) -> list[int]:
    """The persons the rows of these batches are linked to (before they are deleted)."""
    return sorted(
        SourceRecord.objects.filter(batch_id__in=batch_ids, person__isnull=False)
        .order_by().values_list("person_id", flat=True).distinct()
    )


def delete(*, batch_ids: list[int]) -> None:
    """Delete the rows of replaced batches in a few set-based statements.

    References to them, whatever app declares them, are dealt with first as
    their ``on_delete`` says (SET_NULL: set to NULL; CASCADE: deleted;
    many-to-many links: removed), so the delete itself is one statement
    instead of Django's row-by-row collector. A PROTECT reference stops the load.
    """
    if not batch_ids:
        return
    records = SourceRecord.objects.filter(batch_id__in=batch_ids).values("pk")
    for relation in SourceRecord._meta.related_objects:
        if relation.many_to_many:
            through = relation.through
            column = next(f.name for f in through._meta.fields if f.related_model is SourceRecord)
            through.objects.filter(**{f"{column}__in": records}).delete()
            continue
        referencing = relation.related_model.objects.filter(**{f"{relation.field.name}__in": records})
        if relation.on_delete is models.SET_NULL:
            referencing.update(**{relation.field.name: None})
        elif relation.on_delete is models.CASCADE:
            referencing.delete()
        else:
            raise DatabaseError(
                f"{relation.related_model._meta.label}.{relation.field.name} protects the rows this extract replaces"
            )
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(batch_ids))
        cursor.execute(f"DELETE FROM {SourceRecord._meta.db_table} WHERE batch_id IN ({placeholders})", batch_ids)
