"""A durable local outbox in SQLite for records the broker has not acknowledged yet."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key BLOB,
    value BLOB NOT NULL,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class Record:
    """One record waiting to be sent: the full topic name, key and value bytes."""

    topic: str
    key: bytes | None
    value: bytes
    id: int = 0  # assigned by the outbox; 0 before it is stored
    source: str = ""  # how it was entered (form, csv, cli...): the record's `source` header


@dataclass(frozen=True)
class Waiting:
    """The records of one topic waiting in the outbox."""

    topic: str
    count: int
    oldest: datetime


def waiting_in(path: Path) -> list[Waiting]:
    """What waits in an outbox file, without creating one where there is none."""
    if not Path(path).exists():
        return []
    box = Outbox(path)
    try:
        return box.waiting()
    finally:
        box.close()


class Outbox:
    """Records in the order they were queued, shared safely by threads and processes."""

    def __init__(self, path: Path, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only from the first byte (SQLite gives its WAL files the same mode): what waits
        # here is a hospital's unsent report.
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._lock = threading.Lock()
        # One connection per Outbox guarded by a lock; SQLite's own locking covers other processes.
        self._db = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a queued submission must survive a power cut, not only a crash of this process.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "source" not in columns:  # an outbox from before records carried their source
            self._db.execute("ALTER TABLE outbox ADD COLUMN source TEXT NOT NULL DEFAULT ''")

    def put(self, records: Iterable[Record]) -> int:
        """Append records in order, in one transaction; returns how many were stored."""
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        rows = [(r.topic, r.key, r.value, now, r.source) for r in records]
        if not rows:
            return 0
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT INTO outbox (topic, key, value, created_at, source) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def peek(self, n: int) -> list[Record]:
        """The n oldest records, oldest first, without removing them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, key, value, source FROM outbox ORDER BY id LIMIT ?", (n,)
            ).fetchall()
        return [Record(topic, key, value, id_, source) for id_, topic, key, value, source in rows]

    def remove(self, ids: Sequence[int]) -> None:
        """Forget records that the broker has acknowledged."""
        if not ids:
            return
        with self._lock, self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def waiting(self) -> list[Waiting]:
        """What waits, per topic: how many records and since when."""
        with self._lock:
            rows = self._db.execute(
                "SELECT topic, count(*), min(created_at) FROM outbox GROUP BY topic ORDER BY topic"
            ).fetchall()
        return [Waiting(topic, int(n), datetime.fromisoformat(oldest)) for topic, n, oldest in rows]

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        return int(count)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the outbox's sending lock, so that only one sender drains it at a time."""
        # flock on a fresh descriptor excludes other processes and other threads alike.
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
