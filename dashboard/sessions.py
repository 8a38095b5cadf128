"""Signed-in sessions kept on the server: hashes of random ids, with idle and absolute ends."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

COOKIE = "bedboard_session"
HANDOFF_SECONDS = 60.0  # a sign-in's one-time code must reach the cookie endpoint within this
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    via TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (username);
"""


def digest(secret: str) -> str:
    """The stored form of a session id or code: its SHA-256 (the id itself has 256 random bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Stored:
    """One session as the store holds it; `key` is the hash of its id."""

    key: str
    username: str
    via: str  # "password" or "sso"
    created_at: datetime
    last_seen: datetime


class SessionStore:
    """Sessions in a small sqlite file (mode 0600); a session lives until idle, old or ended."""

    def __init__(self, path: Path, *, idle: timedelta, ttl: timedelta) -> None:
        self.path, self.idle, self.ttl = Path(path), idle, ttl
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Create the file owner-only before sqlite opens it: it names who is signed in.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(self.path, 0o600)
        with self._db() as db:
            db.executescript(SCHEMA)

    def start(self, username: str, via: str) -> str:
        """A new session for this account; returns its id (the only time it exists in clear)."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        with self._db() as db:
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                (digest(session_id), username, via, now, now),
            )
        return session_id

    def find(self, key: str, *, touch: bool = True) -> Stored | None:
        """The live session with this key (a hash), seen now; None if ended, idle or too old."""
        now = time.time()
        with self._db() as db:
            row = db.execute(
                "SELECT username, via, created_at, last_seen FROM sessions WHERE id_hash = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            username, via, created, seen = row
            if now - seen >= self.idle.total_seconds() or now - created >= self.ttl.total_seconds():
                db.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
                return None
            if touch:
                db.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (now, key))
                seen = now
        return Stored(key, username, via, _at(created), _at(seen))

    def end(self, key: str) -> None:
        """End one session: every tab and browser holding its cookie is signed out."""
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))

    def end_all(self, username: str) -> int:
        """End every session of an account (an admin's action, a disabled account)."""
        with self._db() as db:
            return db.execute("DELETE FROM sessions WHERE username = ?", (username,)).rowcount

    def count(self, username: str) -> int:
        """How many live-looking sessions an account has (idle ones are removed when found)."""
        with self._db() as db:
            row = db.execute("SELECT count(*) FROM sessions WHERE username = ?", (username,))
            return int(row.fetchone()[0])

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:  # one transaction, committed on success
                yield db
        finally:
            db.close()


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Handoffs:
    """One-time codes that carry a new session id from a page run to the cookie endpoint.

    The page's script sees only the code; the endpoint trades it, once and within a minute, for
    the session id, which it puts in an HttpOnly cookie. Both run in the one server process.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._pending: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def issue(self, session_id: str) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            self._pending = {k: v for k, v in self._pending.items() if v[1] > now}
            self._pending[digest(code)] = (session_id, now + HANDOFF_SECONDS)
        return code

    def redeem(self, code: str) -> str | None:
        """The session id for this code, once; None if unknown, used or late."""
        with self._lock:
            found = self._pending.pop(digest(code), None)
        if found is None or found[1] <= self._clock():
            return None
        return found[0]


HANDOFFS = Handoffs()  # shared by the page runs and the endpoint of one server process
