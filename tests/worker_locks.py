"""Test helpers for ``thinkfamily.worker_lock``: a live worker on another connection, and a dead process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time

from django.db import connection


@contextlib.contextmanager
def lock_held_by_another_session(namespace: int, key: int):
    """PostgreSQL: hold ``(namespace, key)`` on a second connection, as a live worker does, until the block ends
    (the connection then closes, as a killed worker's does). Yields a callable that closes it early. SQLite: nothing."""
    if connection.vendor != "postgresql":
        yield lambda: None
        return
    other = connection.get_new_connection(connection.get_connection_params())
    cursor = other.cursor()
    cursor.execute("SELECT pg_advisory_lock(%s, %s), pg_backend_pid()", [namespace, key])
    backend = cursor.fetchone()[1]

    def dies():
        """Close the connection and wait until the server has ended its backend (it drops the locks then)."""
        other.close()
        with connection.cursor() as mine:
            for _ in range(400):
                mine.execute("SELECT count(*) FROM pg_locks WHERE pid = %s", [backend])
                if not mine.fetchone()[0]:
                    return
                time.sleep(0.025)
        raise AssertionError(f"backend {backend} still holds locks 10 s after its connection closed")

    try:
        yield dies
    finally:
        other.close()


def dead_worker() -> str:
    """``host:pid`` of a process that has exited: a worker killed part-way."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return f"{socket.gethostname()}:{done.stdout.strip()}"


def live_worker() -> str:
    """``host:pid`` of this test's own, living, process."""
    import os

    return f"{socket.gethostname()}:{os.getpid()}"
