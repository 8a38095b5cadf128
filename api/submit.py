"""Submissions from many requests published together, and each event id answered once."""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from producers.publisher import Publisher
from schemas.events import Event

log = logging.getLogger(__name__)
Status = Literal["live", "queued"]
MAX_BATCH = 500  # events per publish call

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answered (
    event_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    answered_at TEXT NOT NULL
)
"""


class Answers:
    """The first answer given for each event id, kept in SQLite beside the outbox."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL, not FULL: an answer lost to a power cut only lets a resent event be published
        # again, and consumers drop a repeated event id. The outbox itself stays FULL.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def get(self, event_ids: Sequence[str]) -> dict[str, Status]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT event_id, status FROM answered WHERE event_id IN "
                f"({','.join('?' * len(event_ids))})",
                list(event_ids),
            ).fetchall()
        return dict(rows)

    def put(self, answers: dict[str, Status]) -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR IGNORE INTO answered VALUES (?, ?, ?)",
                [(event_id, status, at) for event_id, status in answers.items()],
            )
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


@dataclass
class _Submission:
    events: Sequence[Event]
    done: Future[list[Status]]


class Submitter:
    """One thread publishes what concurrent requests hand it, in one publish call per round.

    Every event id is answered once: a resent id gets the first answer and is not published
    again. Checking and publishing on this one thread is what makes that hold under concurrency.
    """

    def __init__(self, publisher: Publisher, answers: Answers) -> None:
        self.publisher = publisher
        self.answers = answers
        self._queue: queue.Queue[_Submission | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="bedboard-api-submit", daemon=True)
        self._thread.start()

    async def submit(self, events: Sequence[Event]) -> list[Status]:
        """Each event's status: `live` (acknowledged) or `queued` (kept in the outbox)."""
        done: Future[list[Status]] = Future()
        self._queue.put(_Submission(events, done))
        return await asyncio.wrap_future(done)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while (first := self._queue.get()) is not None:
            round_ = [first]
            closing = False
            while sum(len(s.events) for s in round_) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    closing = True
                    break
                round_.append(more)
            try:
                self._publish(round_)
            except Exception as error:  # noqa: BLE001  (handed to each waiting request)
                log.exception("publishing a round of submissions failed")
                for submission in round_:
                    if not submission.done.done():
                        submission.done.set_exception(error)
            if closing:
                return

    def _publish(self, round_: list[_Submission]) -> None:
        ids = [str(event.event_id) for s in round_ for event in s.events]
        known: dict[str, Status] = self.answers.get(ids)
        fresh: dict[str, Event] = {}
        for submission in round_:
            for event in submission.events:
                key = str(event.event_id)
                if key not in known:
                    fresh.setdefault(key, event)  # the same id twice in one round: sent once
        if fresh:
            receipt = self.publisher.publish(list(fresh.values()), source="api")
            answered: dict[str, Status] = {
                key: "live" if live else "queued"
                for key, live in zip(fresh, receipt.live, strict=True)
            }
            self.answers.put(answered)
            known |= answered
        for submission in round_:
            submission.done.set_result([known[str(e.event_id)] for e in submission.events])
