"""Writes for imports: load one dataset extract, validated, all-or-nothing and idempotent.

``import_batch_load`` is the one service behind the three doors (the
``import_extract`` command, the upload page and its Celery task, which runs
``import_upload_load``):

1. SHA-256 of the file; the same file as an earlier loaded batch of the
   dataset is recorded as DUPLICATE and changes nothing. When that earlier
   extract is not in use any more, the batch says so, and the custodian can
   make it current again (``import_batch_make_current``: the file is loaded
   again like any other).
2. Validation of the whole file before anything is written
   (``apps.sources.validation``), read as a stream in bounded memory; good rows
   are normalised and staged in a temporary file. Any problem refuses the whole file,
   unless the dataset quarantines bad rows (the descriptor's ``bad_rows``): then the good rows load and
   each bad row is kept whole aside (``apps.sources.quarantine``), provided the file itself is
   sound and its bad rows are few (``quarantine_refusal``).
3. One transaction: the staged rows are bulk-written (``records``, through
   ``apps.common.bulk``: COPY on PostgreSQL, ``executemany`` of one INSERT on
   SQLite), the dataset's earlier rows are deleted and the new batch becomes
   current. Until it commits, readers see the old rows.
4. A failure at any point rolls that transaction back and is recorded on the
   batch afterwards, in its own transaction (``outcomes``). A load whose process
   died is found by ``locks.import_batches_interrupted_mark`` and marked failed.

Every attempt is written to the audit log (action "import").
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from thinkfamily import worker_lock

from . import records
from .locks import import_batches_interrupted_mark, load_lock
from .models import Dataset, ImportBatch
from .outcomes import batch_audit, batch_duplicate, batch_fail, batch_refuse
from .quarantine import services as quarantine
from .specs import dataset_spec
from .validation import EXCLUDED_REASON, ExtractValidator, excluded_name

logger = logging.getLogger(__name__)

PROGRESS_TIMEOUT = 24 * 3600
# Uploads wait here for their load; a duplicate of an extract not in use is kept in HELD_DIR for
# "make this extract current again", at most HELD_FILE_DAYS (settings.IMPORT_HELD_FILE_DAYS).
UPLOAD_DIR = Path(settings.VAR_DIR) / "uploads"
HELD_DIR = UPLOAD_DIR / "held"
HELD_FILE_DAYS = 7

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


def import_upload_load(*, batch_id: int, path: str | Path, make_current_again: bool = False) -> ImportBatch | None:
    """Load the uploaded file ``path`` into the PENDING batch ``batch_id``, then keep or remove the file.

    The upload door's load (its task runs this). The file is removed once the
    batch has an outcome, unless it duplicates an extract not in use (kept for
    "make this extract current again", ``import_batch_file_keep``). Returns the
    batch, or None when the batch had an outcome already (a redelivered task
    message): the file is removed and nothing else is done.
    """
    path = Path(path)
    batch = ImportBatch.objects.select_related("dataset", "uploaded_by").get(pk=batch_id)
    if batch.status in {ImportBatch.Status.LOADED, ImportBatch.Status.DUPLICATE, ImportBatch.Status.FAILED}:
        path.unlink(missing_ok=True)
        return None
    batch = import_batch_load(dataset=batch.dataset, path_or_file=path, uploaded_by=batch.uploaded_by, batch=batch,
                              make_current_again=make_current_again)
    import_batch_file_keep(batch=batch, path=path)
    return batch


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
    quarantine.quarantined_rows_expire()
    with _binary(path_or_file) as (handle, name):
        checksum = _sha256(handle)
        if batch is None:  # PENDING, with no worker: the interrupted-load check passes over it
            batch = import_batch_create(dataset=dataset, filename=name, uploaded_by=uploaded_by)
        # the lock first, then the status and worker: the scheduled check must never see a load whose lock is not held
        with load_lock(batch):
            batch.checksum = checksum
            batch.status = ImportBatch.Status.VALIDATING
            batch.started_at = timezone.now()
            batch.worker = worker_lock.worker_name()
            batch.save()
            reporter = _Progress(batch, progress)
            try:
                _load(batch=batch, dataset=dataset, handle=handle, reporter=reporter, again=make_current_again)
            except BaseException as exc:
                logger.exception("Import of batch %s (%s) failed", batch.pk, dataset.code)
                batch_fail(batch, reason=f"The load stopped: {exc.__class__.__name__}: {exc}".strip().rstrip(":"))
                if not isinstance(exc, Exception):
                    raise
            finally:
                reporter.clear()
    return batch


def _load(*, batch: ImportBatch, dataset: Dataset, handle, reporter: _Progress, again: bool) -> None:
    spec = dataset_spec(dataset.code)
    if spec is None or excluded_name(dataset.code):
        reason = EXCLUDED_REASON if spec is not None else "this dataset has no definition (see the datasets page)"
        batch_refuse(batch, errors=[{"row": None, "column": "", "reason": reason}], counts={"(file)": {reason: 1}}, reason=reason)
        return
    if (earlier := _loaded_twin(batch, again=again)) is not None:
        batch_duplicate(batch, earlier)
        return
    if again and batch.reinstates_id is None:  # the command's door: name the earlier batch of this file
        batch.reinstates = reinstatable_twin(batch, status_known=True)
    stage = records.Stage(batch)
    quarantines = spec.bad_rows == "quarantine"
    try:
        validator = ExtractValidator(spec, quarantine=quarantines, max_bad_rows=quarantine.QUARANTINE_MAX_ROWS)
        result = validator.validate(handle, sink=stage.add, on_progress=reporter.validated)
        problems = result.problems
        batch.rows_total = result.rows_total
        batch.rows_rejected = problems.rows_rejected
        batch.rows_validated = result.rows_total - problems.rows_rejected
        batch.errors = problems.errors()
        batch.error_counts = problems.error_counts()
        batch.quality = result.quality()
        batch.warnings = result.warnings
        kept_aside: list[quarantine.QuarantinedRow] = []
        if problems:
            refusal = quarantine.quarantine_refusal(result) if quarantines else ""
            if not quarantines or refusal:
                batch_refuse(
                    batch,
                    errors=batch.errors,
                    counts=batch.error_counts,
                    reason=f"{problems.total:,} problem(s) in the file; nothing was loaded and the dataset is unchanged."
                    + (f" The dataset quarantines bad rows, but {refusal}." if refusal else ""),
                )
                return
            kept_aside = quarantine.rows_kept_aside(batch=batch, result=result, handle=handle)
        batch.status = ImportBatch.Status.LOADING
        batch.save()
        reporter.loaded(0)
        with transaction.atomic():
            Dataset.objects.select_for_update().get(pk=dataset.pk)  # one load of a dataset at a time
            if (earlier := _loaded_twin(batch, again=again)) is not None:  # the same file finished meanwhile
                batch_duplicate(batch, earlier)
                return
            loaded = records.write(stage=stage, on_progress=reporter.loaded)
            previous = list(ImportBatch.objects.filter(dataset=dataset, is_current=True).values_list("pk", flat=True))
            # the persons linked to the rows going, and those the replaced batches were still waiting to re-project
            # (two extracts can land before the incremental match that projects them runs)
            waiting = ImportBatch.objects.filter(pk__in=previous).values_list("replaced_persons", flat=True)
            batch.replaced_persons = sorted(
                set(records.linked_persons(batch_ids=previous)).union(*(set(p or []) for p in waiting))
            )
            records.delete(batch_ids=previous)
            ImportBatch.objects.filter(pk__in=previous).update(is_current=False, replaced_persons=[])  # carried over
            quarantine.quarantined_rows_supersede(batch_ids=previous, by=batch)
            quarantine.QuarantinedRow.objects.bulk_create(kept_aside, batch_size=1000)
            batch.status = ImportBatch.Status.LOADED
            batch.is_current = True
            batch.rows_loaded = loaded
            batch.rows_quarantined = len(kept_aside)
            batch.finished_at = timezone.now()
            batch.failure_reason = ""
            batch.save()
            batch_audit(batch, replaced=previous)
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
    ``thinkfamily.orchestration.upload_load_task(batch, path, make_current_again=True)`` on commit).
    Raises ``ImportActionError`` when the file is in use already or no longer kept.
    """
    earlier = reinstatable_twin(duplicate)
    if earlier is None:
        raise ImportActionError("This file is already the dataset's current extract, or was never loaded: nothing to do.")
    held = held_file_path(duplicate)
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    path = UPLOAD_DIR / f"again-{duplicate.pk}-{uuid.uuid4().hex}.csv"
    try:
        held.rename(path)  # atomic: a second request finds nothing to take, before it has written anything
    except FileNotFoundError:
        raise ImportActionError(
            f"The file of batch {duplicate.pk} is no longer kept (files are kept {HELD_FILE_DAYS} days, or it is being "
            "loaded already): upload it again to make it current."
        ) from None
    try:
        batch = import_batch_create(dataset=duplicate.dataset, filename=duplicate.filename, uploaded_by=user)
        batch.reinstates = earlier
        batch.save(update_fields=["reinstates"])
        audit_record(
            action=AuditEvent.Action.IMPORT, request=request, user=user, subject_type="import_batch", subject_id=batch.pk,
            details={"request": "make current again", "dataset": duplicate.dataset.code, "filename": duplicate.filename,
                     "checksum": duplicate.checksum, "duplicate_batch": duplicate.pk, "reinstates_batch": earlier.pk},
        )
    except BaseException:
        path.rename(held)  # the request rolls back: the file stays kept for another try
        raise
    return batch, path
