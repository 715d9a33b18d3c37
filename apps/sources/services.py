"""Writes for imports: load one dataset extract, validated, all-or-nothing and idempotent.

``import_batch_load`` is the one service behind the three doors (the
``import_extract`` command, the upload page and its Celery task):

1. SHA-256 of the file; the same file as an earlier loaded batch of the
   dataset is recorded as DUPLICATE and changes nothing. When that earlier
   extract is not in use any more, the batch says so, and the custodian can
   make it current again (``import_batch_make_current``: the file is loaded
   again like any other).
2. Validation of the whole file before anything is written
   (``apps.sources.validation``), read as a stream in bounded memory; good rows
   are normalised and staged in a temporary file. Any problem refuses the whole file.
3. One transaction: the staged rows are bulk-written (COPY on PostgreSQL,
   ``executemany`` of one INSERT on SQLite), the dataset's earlier rows are deleted and the
   new batch becomes current. Until it commits, readers see the old rows.
4. A failure at any point rolls that transaction back and is recorded on the
   batch afterwards, in its own transaction. A load whose process died is
   found by ``import_batches_interrupted_mark`` and marked failed.

Every attempt is written to the audit log (action "import").
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import pickle
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from thinkfamily import worker_lock

from .catalogue import DATASETS_BY_CODE
from .models import Dataset, ImportBatch, SourceRecord
from .validation import EXCLUDED_REASON, ROW_FIELDS, ExtractValidator, excluded_name

logger = logging.getLogger(__name__)

# Columns of sources_sourcerecord the loader fills, in the order of a staged row.
RECORD_COLUMNS = ("dataset_id", "batch_id") + ROW_FIELDS
STAGE_CHUNK_ROWS = 10_000  # also the rows per COPY statement and per progress step
PROGRESS_TIMEOUT = 24 * 3600
# Uploads wait here for their load; a duplicate of an extract not in use is kept in HELD_DIR for
# "make this extract current again", at most HELD_FILE_DAYS (settings.IMPORT_HELD_FILE_DAYS).
UPLOAD_DIR = Path(settings.VAR_DIR) / "uploads"
HELD_DIR = UPLOAD_DIR / "held"
HELD_FILE_DAYS = 7
# pg_advisory_lock(namespace, batch id) is held by the session loading a batch.
_LOAD_LOCK_NAMESPACE = 0x1F0A

ProgressCallback = Callable[[str, int], None]


def progress_cache_key(batch_id: int) -> str:
    return f"imports:progress:{batch_id}"


class _Progress:
    """Publishes rows validated and loaded: to the console callback, and to the cache for the batch page.

    The load runs in one transaction that other connections cannot see into,
    so live figures go through the cache; the batch row gets the final ones.
    """

    def __init__(self, batch: ImportBatch, callback: ProgressCallback | None):
        self.batch = batch
        self.callback = callback
        self.figures = {"status": batch.status, "rows_validated": 0, "rows_loaded": 0}

    def update(self, stage: str, count: int) -> None:
        self.figures["status"] = ImportBatch.Status.LOADING if stage == "loaded" else ImportBatch.Status.VALIDATING
        self.figures[f"rows_{stage}"] = count
        cache.set(progress_cache_key(self.batch.pk), self.figures | {"at": timezone.now().isoformat()}, PROGRESS_TIMEOUT)
        if self.callback:
            self.callback(stage, count)

    def validated(self, count: int) -> None:
        self.update("validated", count)

    def loaded(self, count: int) -> None:
        self.update("loaded", count)

    def clear(self) -> None:
        cache.delete(progress_cache_key(self.batch.pk))


class _Stage:
    """Validated rows, already encoded for the bulk write, kept in a temporary file until the whole file has passed.

    ``encode`` turns a row (``ROW_FIELDS`` order) into what the write sends
    for it; ``pack`` turns a chunk of those into bytes. Rows are encoded while
    the file is read, so the write itself only streams the chunks back.
    """

    def __init__(self, *, encode: Callable[[tuple], object], pack: Callable[[list], bytes]):
        self._file = tempfile.TemporaryFile(prefix="tf-import-")
        self._encode = encode
        self._pack = pack
        self._pending: list = []
        self._sizes: list[tuple[int, int]] = []  # (bytes, rows) of each chunk, in file order

    def add(self, row: tuple) -> None:
        self._pending.append(self._encode(row))
        if len(self._pending) >= STAGE_CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            data = self._pack(self._pending)
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


@contextlib.contextmanager
def _binary(path_or_file) -> Iterator[tuple[io.BufferedIOBase, str]]:
    """Yield (binary file at its start, file name) for a path or an open file."""
    if isinstance(path_or_file, (str, Path)):
        with open(path_or_file, "rb") as handle:
            yield handle, Path(path_or_file).name
    else:
        path_or_file.seek(0)
        yield path_or_file, Path(getattr(path_or_file, "name", "") or "upload.csv").name


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


def import_batch_create(*, dataset: Dataset, filename: str, uploaded_by=None) -> ImportBatch:
    """A PENDING batch for an uploaded file, so the uploader has a page to watch while the task runs."""
    return ImportBatch.objects.create(dataset=dataset, filename=Path(filename).name[:300], uploaded_by=uploaded_by)


def import_batch_load(
    *,
    dataset: Dataset,
    path_or_file,
    uploaded_by=None,
    progress: ProgressCallback | None = None,
    batch: ImportBatch | None = None,
    make_current_again: bool = False,
) -> ImportBatch:
    """Validate and load one extract of ``dataset``; return its batch with the outcome.

    ``path_or_file`` is a path or a binary file. ``progress(stage, count)`` is
    called with stage "validated" or "loaded". ``batch`` is an existing
    PENDING batch (the upload page makes one); otherwise one is created. The
    outcome is on the batch: LOADED, DUPLICATE or FAILED with the problems or
    the reason. Never raises for bad input; an interruption (KeyboardInterrupt,
    SystemExit) is recorded on the batch and re-raised. ``make_current_again``:
    the file is an earlier extract that is not in use any more, and is loaded
    again to become current (still DUPLICATE if it is in use already).
    """
    import_batches_interrupted_mark()
    held_files_expire()
    with _binary(path_or_file) as (handle, name):
        checksum = _sha256(handle)
        if batch is None:
            batch = ImportBatch(dataset=dataset, filename=name[:300], uploaded_by=uploaded_by)
        batch.checksum = checksum
        batch.status = ImportBatch.Status.VALIDATING
        batch.started_at = timezone.now()
        batch.worker = worker_lock.worker_name()
        batch.save()
        reporter = _Progress(batch, progress)
        with _load_lock(batch):
            try:
                _load(batch=batch, dataset=dataset, handle=handle, reporter=reporter, again=make_current_again)
            except BaseException as exc:
                logger.exception("Import of batch %s (%s) failed", batch.pk, dataset.code)
                _batch_fail(batch, reason=f"The load stopped: {exc.__class__.__name__}: {exc}".strip().rstrip(":"))
                if not isinstance(exc, Exception):
                    raise
            finally:
                reporter.clear()
    return batch


def _load(*, batch: ImportBatch, dataset: Dataset, handle, reporter: _Progress, again: bool) -> None:
    spec = DATASETS_BY_CODE.get(dataset.code)
    if spec is None or excluded_name(dataset.code):
        reason = EXCLUDED_REASON if spec is not None else "this dataset is not in the import catalogue"
        _batch_refuse(batch, errors=[{"row": None, "column": "", "reason": reason}], counts={"(file)": {reason: 1}}, reason=reason)
        return
    if (earlier := _loaded_twin(batch, again=again)) is not None:
        _batch_duplicate(batch, earlier)
        return
    if again and batch.reinstates_id is None:  # the command's door: name the earlier batch of this file
        batch.reinstates = reinstatable_twin(batch, status_known=True)
    stage = _records_stage(batch)
    try:
        result = ExtractValidator(spec).validate(handle, sink=stage.add, on_progress=reporter.validated)
        problems = result.problems
        batch.rows_total = result.rows_total
        batch.rows_rejected = problems.rows_rejected
        batch.rows_validated = result.rows_total - problems.rows_rejected
        batch.errors = problems.errors()
        batch.error_counts = problems.error_counts()
        batch.quality = result.quality()
        if problems:
            _batch_refuse(
                batch,
                errors=batch.errors,
                counts=batch.error_counts,
                reason=f"{problems.total:,} problem(s) in the file; nothing was loaded and the dataset is unchanged.",
            )
            return
        batch.status = ImportBatch.Status.LOADING
        batch.save()
        reporter.loaded(0)
        with transaction.atomic():
            Dataset.objects.select_for_update().get(pk=dataset.pk)  # one load of a dataset at a time
            if (earlier := _loaded_twin(batch, again=again)) is not None:  # the same file finished meanwhile
                _batch_duplicate(batch, earlier)
                return
            loaded = _records_write(stage=stage, on_progress=reporter.loaded)
            previous = list(ImportBatch.objects.filter(dataset=dataset, is_current=True).values_list("pk", flat=True))
            _records_delete(batch_ids=previous)
            ImportBatch.objects.filter(pk__in=previous).update(is_current=False)
            batch.status = ImportBatch.Status.LOADED
            batch.is_current = True
            batch.rows_loaded = loaded
            batch.finished_at = timezone.now()
            batch.failure_reason = ""
            batch.save()
            _audit(batch, replaced=previous)
    finally:
        stage.close()


def _loaded_twin(batch: ImportBatch, *, again: bool = False) -> ImportBatch | None:
    """An earlier LOADED batch of the same dataset with the same checksum: the one in use if there is one.

    ``again`` (making an earlier extract current again): only the one in use counts.
    """
    twins = ImportBatch.objects.filter(
        dataset_id=batch.dataset_id, checksum=batch.checksum, status=ImportBatch.Status.LOADED
    ).exclude(pk=batch.pk)
    if again:
        twins = twins.filter(is_current=True)
    return twins.order_by("-is_current", "created_at").first()


def _when(batch: ImportBatch) -> str:
    return timezone.localtime(batch.finished_at).strftime("%d/%m/%Y %H:%M") if batch.finished_at else "earlier"


def _batch_duplicate(batch: ImportBatch, earlier: ImportBatch) -> None:
    batch.status = ImportBatch.Status.DUPLICATE
    batch.finished_at = timezone.now()
    said = f"The same file (SHA-256) was loaded as batch {earlier.pk} on {_when(earlier)}"
    if earlier.is_current:
        batch.failure_reason = f"{said} and is the dataset's current extract; nothing changed."
    else:
        current = ImportBatch.objects.filter(dataset_id=batch.dataset_id, is_current=True).first()
        in_use = (f"batch {current.pk} ({current.filename}, loaded {_when(current)}) is the dataset's current extract"
                  if current else "the dataset has no current extract")
        batch.failure_reason = (f"{said}, but that extract is not in use: {in_use}. Nothing changed. The file is known, "
                                "not new: it can be made the current extract again.")
    batch.save()
    _audit(batch)


def _batch_refuse(batch: ImportBatch, *, errors: list, counts: dict, reason: str) -> None:
    with transaction.atomic():
        batch.status = ImportBatch.Status.FAILED
        batch.errors = errors
        batch.error_counts = counts
        batch.failure_reason = reason
        batch.finished_at = timezone.now()
        batch.save()
        _audit(batch)


def _batch_fail(batch: ImportBatch, *, reason: str) -> None:
    """Record a failure after the load's transaction rolled back, in a transaction of its own."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # a lost connection: the next query reconnects
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED,
            is_current=False,
            rows_loaded=0,
            failure_reason=f"{reason}. Nothing from this file was kept; the dataset's earlier rows are unchanged.",
            finished_at=timezone.now(),
        )
        batch.refresh_from_db()
        _audit(batch)


def _audit(batch: ImportBatch, *, replaced: list[int] = ()) -> None:
    audit_record(
        action=AuditEvent.Action.IMPORT,
        user=batch.uploaded_by,
        subject_type="import_batch",
        subject_id=batch.pk,
        details={
            "dataset": batch.dataset.code,
            "filename": batch.filename,
            "checksum": batch.checksum,
            "status": batch.status,
            "rows_total": batch.rows_total,
            "rows_loaded": batch.rows_loaded,
            "rows_rejected": batch.rows_rejected,
            "replaced_batches": list(replaced),
            "makes_current_again": batch.reinstates_id,
            "failure_reason": batch.failure_reason,
        },
        result_count=batch.rows_loaded,
    )


# --- an earlier extract made current again ------------------------------------------


class ImportActionError(Exception):
    """An import action cannot be done; the message says why."""


def held_file_path(batch: ImportBatch) -> Path:
    """Where an uploaded file that duplicates an extract not in use is kept, for "make current again"."""
    return HELD_DIR / f"{batch.pk}.csv"


def upload_path(batch: ImportBatch) -> Path:
    """Where an upload waits for its load (the task removes it once the batch has an outcome)."""
    return UPLOAD_DIR / f"{batch.pk}-{uuid.uuid4().hex}.csv"


def import_batch_file_keep(*, batch: ImportBatch, path: Path) -> bool:
    """After a load: keep the uploaded file of a DUPLICATE whose extract is not in use (for "make current
    again", ``HELD_FILE_DAYS`` at most); remove it otherwise. Returns whether it was kept."""
    if batch.status == ImportBatch.Status.DUPLICATE and reinstatable_twin(batch) is not None and path.exists():
        HELD_DIR.mkdir(parents=True, exist_ok=True)
        path.replace(held_file_path(batch))
        return True
    path.unlink(missing_ok=True)
    return False


def reinstatable_twin(batch: ImportBatch, *, status_known: bool = False) -> ImportBatch | None:
    """For a DUPLICATE batch: the earlier loaded batch of the same file, if that extract is not in use.

    ``status_known``: ``batch`` is being loaded to make that extract current again (not a DUPLICATE).
    """
    if batch.status != ImportBatch.Status.DUPLICATE and not status_known:
        return None
    twins = ImportBatch.objects.filter(
        dataset_id=batch.dataset_id, checksum=batch.checksum, status=ImportBatch.Status.LOADED
    ).exclude(pk=batch.pk)
    if twins.filter(is_current=True).exists():
        return None
    return twins.order_by("-finished_at", "-pk").first()


def held_files_expire(*, days: int | None = None) -> int:
    """Remove held files older than ``HELD_FILE_DAYS``: they are copies of agencies' extracts."""
    days = getattr(settings, "IMPORT_HELD_FILE_DAYS", HELD_FILE_DAYS) if days is None else days
    cutoff = time.time() - 24 * 3600 * days
    removed = 0
    for path in HELD_DIR.glob("*.csv") if HELD_DIR.is_dir() else ():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def import_batch_make_current(*, duplicate: ImportBatch, user, request=None) -> tuple[ImportBatch, Path]:
    """Queue the load of a DUPLICATE batch's kept file so that it becomes the dataset's current extract again.

    The earlier extract's rows were replaced when a newer one was loaded, so the
    file is loaded again, validated and all-or-nothing like any load, into a new
    PENDING batch that names the earlier batch it reinstates; the rows now in use
    are replaced only when that load commits. Audited (action "import"). Returns
    the new batch and the path of the file its load must read (the caller queues
    ``import_batch_load_task(batch, path, make_current_again=True)`` on commit).
    Raises ``ImportActionError`` when the file is in use already or no longer kept.
    """
    earlier = reinstatable_twin(duplicate)
    if earlier is None:
        raise ImportActionError("This file is already the dataset's current extract, or was never loaded: nothing to do.")
    held = held_file_path(duplicate)
    batch = import_batch_create(dataset=duplicate.dataset, filename=duplicate.filename, uploaded_by=user)
    batch.reinstates = earlier
    batch.save(update_fields=["reinstates"])
    path = upload_path(batch)
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    try:
        held.rename(path)  # atomic: a second request finds nothing to take
    except FileNotFoundError:
        raise ImportActionError(
            f"The file of batch {duplicate.pk} is no longer kept (files are kept {HELD_FILE_DAYS} days, or it is being "
            "loaded already): upload it again to make it current."
        ) from None
    try:
        audit_record(
            action=AuditEvent.Action.IMPORT, request=request, user=user, subject_type="import_batch", subject_id=batch.pk,
            details={"request": "make current again", "dataset": duplicate.dataset.code, "filename": duplicate.filename,
                     "checksum": duplicate.checksum, "duplicate_batch": duplicate.pk, "reinstates_batch": earlier.pk},
        )
    except BaseException:
        path.rename(held)  # the request rolls back: the file stays kept for another try
        raise
    return batch, path


# --- bulk writing and deleting -------------------------------------------------


def _records_stage(batch: ImportBatch) -> _Stage:
    """A stage encoding rows for this database's bulk write: COPY text on PostgreSQL, INSERT parameters elsewhere."""
    if connection.vendor == "postgresql":
        prefix = f"{batch.dataset_id}\t{batch.pk}\t"
        return _Stage(encode=lambda row: _copy_line(prefix, row), pack=lambda lines: "".join(lines).encode())
    params = (batch.dataset_id, batch.pk)
    return _Stage(
        encode=lambda row: _insert_params(params, row), pack=lambda rows: pickle.dumps(rows, pickle.HIGHEST_PROTOCOL)
    )


# COPY's text format: tab between fields, \N for NULL, and a backslash escapes these in a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_json(value: dict) -> str:
    """JSON for a COPY text field: JSON already escapes tabs and newlines, so only backslashes are doubled."""
    return orjson.dumps(value).decode().replace("\\", "\\\\")


def _copy_line(prefix: str, row: tuple) -> str:
    """One staged row as a line of COPY text, after ``prefix`` (dataset and batch ids).

    Only ``source_key`` and the JSON may hold a backslash, tab or newline: the
    other text fields are the validator's normalised values (names of A-Z,
    hyphens and spaces; codes; postcodes and identifiers of letters and digits).
    """
    (source_key, row_number, raw, forename, surname, birth, sex, postcode, address_key, uprn, nhs_number, upn,
     ni_number, fact_type, fact_date, fact) = row  # fmt: skip
    birth_text = birth.isoformat() if birth else "\\N"
    fact_date_text = fact_date.isoformat() if fact_date else "\\N"
    return (
        f"{prefix}{source_key.translate(_COPY_ESCAPES)}\t{row_number}\t{_copy_json(raw)}\t{forename}\t{surname}\t"
        f"{birth_text}\t{sex}\t{postcode}\t{address_key}\t{uprn}\t{nhs_number}\t{upn}\t{ni_number}\t{fact_type}\t"
        f"{fact_date_text}\t{_copy_json(fact)}\n"
    )


def _insert_params(prefix: tuple, row: tuple) -> tuple:
    """One staged row as INSERT parameters, stored as JSONField and DateField store them (JSON text, ISO dates)."""
    (source_key, row_number, raw, forename, surname, birth, sex, postcode, address_key, uprn, nhs_number, upn,
     ni_number, fact_type, fact_date, fact) = row  # fmt: skip
    return (
        *prefix, source_key, row_number, orjson.dumps(raw).decode(), forename, surname, birth and birth.isoformat(),
        sex, postcode, address_key, uprn, nhs_number, upn, ni_number, fact_type, fact_date and fact_date.isoformat(),
        orjson.dumps(fact).decode(), None, None,
    )  # fmt: skip


def _records_write(*, stage: _Stage, on_progress: Callable[[int], None]) -> int:
    if connection.vendor == "postgresql":
        return _records_copy(stage=stage, on_progress=on_progress)
    return _records_insert_many(stage=stage, on_progress=on_progress)


def _records_copy(*, stage: _Stage, on_progress: Callable[[int], None]) -> int:
    """PostgreSQL: COPY the staged lines into sources_sourcerecord, one statement per chunk."""
    sql = f"COPY {SourceRecord._meta.db_table} ({', '.join(RECORD_COLUMNS)}) FROM STDIN"
    loaded = 0
    with connection.cursor() as cursor:
        for data, rows in stage.chunks():
            cursor.cursor.copy_expert(sql, io.BytesIO(data), size=len(data) or 1)
            loaded += rows
            on_progress(loaded)
    return loaded


def _records_insert_many(*, stage: _Stage, on_progress: Callable[[int], None]) -> int:
    """SQLite (and any other database): one INSERT statement run with ``executemany`` per staged chunk.

    The DB-API ``executemany`` skips the ORM's per-value compilation, which
    costs more than the insert itself.
    """
    table = SourceRecord._meta.db_table
    sql = f"INSERT INTO {table} ({', '.join(RECORD_COLUMNS)}, person_id, match_probability) VALUES ({', '.join(['%s'] * (len(RECORD_COLUMNS) + 2))})"  # noqa: S608
    loaded = 0
    with connection.cursor() as cursor:
        for data, rows in stage.chunks():
            cursor.executemany(sql, pickle.loads(data))  # noqa: S301 - our own temporary file, written above
            loaded += rows
            on_progress(loaded)
    return loaded


def _records_delete(*, batch_ids: list[int]) -> None:
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
        cursor.execute(f"DELETE FROM {SourceRecord._meta.db_table} WHERE batch_id IN ({placeholders})", batch_ids)  # noqa: S608


# --- stopped loads -----------------------------------------------------------------


def _load_lock(batch: ImportBatch):
    """Held by the process loading ``batch`` while it loads (``thinkfamily.worker_lock``).

    If the process dies, the database drops its connection and the lock with
    it: that is how ``import_batches_interrupted_mark`` tells a stopped load
    from a slow one. SQLite checks the process id in ``batch.worker`` instead.
    """
    return worker_lock.lock_held(_LOAD_LOCK_NAMESPACE, batch.pk)


def import_batches_interrupted_mark() -> list[ImportBatch]:
    """Mark FAILED every batch still validating or loading whose process has stopped.

    Its transaction was rolled back by the database when the process died, so
    the dataset is as it was; this records why the batch never finished.
    """
    stopped = []
    for batch in ImportBatch.objects.filter(
        status__in=[ImportBatch.Status.VALIDATING, ImportBatch.Status.LOADING]
    ).select_related("dataset", "uploaded_by"):
        if not batch.worker:
            continue
        with worker_lock.unless_worker_alive(_LOAD_LOCK_NAMESPACE, batch.pk, worker=batch.worker) as dead:
            if dead:
                _batch_fail(
                    batch,
                    reason=f"The load was interrupted: the process {batch.worker} stopped (killed, crashed or lost its "
                    "database connection) before the batch was committed",
                )
                stopped.append(batch)
    return stopped
