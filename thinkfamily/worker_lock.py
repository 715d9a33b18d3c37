"""Telling a long job whose process died from one that is still working.

Imports, match runs and indicator refreshes each keep a row that says
"validating", "running" and so on. A process killed part-way (OOM killer,
``kill -9``, a lost host) never updates its row, so the row alone cannot say
whether anyone is still working. The process that works on a row holds a lock
named after it for the whole of its life:

* **PostgreSQL**: a session-level advisory lock ``(namespace, row id)``. The
  server drops it the moment the holder's connection ends, however the process
  ended, so "nobody holds the lock" means "nobody is working on it". The check
  takes the lock itself while the caller marks the row, so a worker that is just
  starting cannot slip in between the check and the mark.
* **SQLite** (one host, no server to hold locks): the row records its worker as
  ``host:pid``; the job is alive while that process exists (``kill(pid, 0)``).
  A worker on another host cannot be checked from here and counts as alive; a
  recycled pid makes a dead job look alive, never the reverse.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

from django.db import DatabaseError, connection


def worker_name() -> str:
    """``host:pid`` of this process, recorded on the row it works on."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lock_acquire(namespace: int, key: int) -> None:
    """PostgreSQL: take the session lock ``(namespace, key)``, waiting for it (nothing elsewhere)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [namespace, key])


def lock_release(namespace: int, key: int) -> None:
    if connection.vendor == "postgresql":
        # a lost connection has already dropped the lock
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])


@contextlib.contextmanager
def lock_held(namespace: int, key: int) -> Iterator[None]:
    """Hold the lock ``(namespace, key)`` for the block: the working process's side."""
    lock_acquire(namespace, key)
    try:
        yield
    finally:
        lock_release(namespace, key)


def _process_alive(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # cannot tell from here: assume it is still working
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def unless_worker_alive(namespace: int, key: int, *, worker: str) -> Iterator[bool]:
    """Yield True when no process works on the row ``key`` (the checking side), else False.

    On PostgreSQL the lock is held by the caller for the block when it yields
    True, so the caller can mark the row before any worker can take it.
    ``worker`` (``host:pid``, blank when no process ever took the row) is what
    SQLite checks instead.
    """
    if connection.vendor != "postgresql":
        yield not worker or not _process_alive(worker)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
        free = cursor.fetchone()[0]
    try:
        yield free
    finally:
        if free:
            lock_release(namespace, key)
