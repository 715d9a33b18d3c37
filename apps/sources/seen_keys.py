"""Duplicate record keys in an extract, found in bounded memory whatever the file's size."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile


class SeenKeys:
    """The row each record key was first seen in, in bounded memory whatever the file's size.

    Keys are kept as 16-byte BLAKE2b digests: the latest ``memory_keys`` in a
    dict, older ones spilled to a temporary SQLite file on disk. A Bloom filter
    of fixed size (``bloom_bytes``) over every key seen answers "never seen"
    for almost every new key without a look at the disk; a "maybe" is settled
    by the file. Memory stays near ``memory_keys`` entries plus the filter.
    """

    def __init__(self, *, memory_keys: int = 200_000, bloom_bytes: int = 1 << 24):
        self.memory_keys = memory_keys
        self._bits = bloom_bytes * 8
        self._bloom = bytearray(bloom_bytes)
        self._recent: dict[bytes, int] = {}
        self._spilled: sqlite3.Connection | None = None
        self._spill_file = None

    def first_row(self, key: tuple[str, ...], row: int) -> int | None:
        """The row ``key`` was first seen in; None (and ``row`` is remembered) when it is new."""
        digest = hashlib.blake2b("\x1f".join(key).encode("utf-8", "surrogatepass"), digest_size=16).digest()
        first = self._recent.get(digest)
        if first is not None:
            return first
        value, bits, bloom = int.from_bytes(digest, "little"), self._bits, self._bloom
        positions = (value % bits, (value >> 40) % bits, (value >> 80) % bits)
        if self._spilled is not None and all(bloom[b >> 3] & (1 << (b & 7)) for b in positions):
            found = self._spilled.execute("SELECT row FROM seen WHERE k = ?", (digest,)).fetchone()
            if found:
                return found[0]
        for b in positions:
            bloom[b >> 3] |= 1 << (b & 7)
        self._recent[digest] = row
        if len(self._recent) >= self.memory_keys:
            self._spill()
        return None

    def _spill(self) -> None:
        if self._spilled is None:
            self._spill_file = tempfile.NamedTemporaryFile(prefix="tf-import-keys-", suffix=".sqlite3")  # noqa: SIM115
            self._spilled = sqlite3.connect(self._spill_file.name, isolation_level=None)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -8192"):
                self._spilled.execute(f"PRAGMA {pragma}")
            self._spilled.execute("CREATE TABLE seen (k BLOB PRIMARY KEY, row INTEGER) WITHOUT ROWID")
        self._spilled.execute("BEGIN")
        self._spilled.executemany("INSERT INTO seen VALUES (?, ?)", sorted(self._recent.items()))
        self._spilled.execute("COMMIT")
        self._recent = {}

    def close(self) -> None:
        if self._spilled is not None:
            self._spilled.close()
            self._spill_file.close()
            self._spilled = None
