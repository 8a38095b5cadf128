"""A replica kept live by a roll-up thread: what the dashboard process owns, once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from kafka.errors import KafkaError

from bedboard.settings import Settings
from consumers.rollup import DlqSend, DlqUnavailable, Health, Rollup, TopicsMissing
from consumers.store import Store, connect

log = logging.getLogger(__name__)
RETRY_S = (1, 2, 5, 10)


class LiveReplica:
    """Owns a replica file and a thread that keeps it caught up, retrying while Kafka is away."""

    def __init__(
        self,
        settings: Settings,
        path: Path,
        *,
        dlq_send: DlqSend | None = None,
        dlq_flush: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self.con = connect(path)
        self.health = Health()
        self._rollup = Rollup(settings, Store(self.con.cursor()), dlq_send, dlq_flush, self.health)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bedboard-rollup", daemon=True)

    def start(self) -> LiveReplica:
        self._thread.start()
        return self

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one reader (one per thread or page run)."""
        return self.con.cursor()

    def stop(self) -> None:
        """Stop the roll-up thread and close the replica."""
        self._stop.set()
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.con.close()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._rollup.run(self._stop)
                failures = 0
            # Anything the outside world does to us is retried: the replica itself stays
            # consistent, since a batch and its offsets commit together or not at all.
            except (KafkaError, TopicsMissing, DlqUnavailable, OSError, duckdb.Error) as error:
                self.health.connected = False
                self.health.error = f"{type(error).__name__}: {error}"[:300]
                self.health.checked_at = datetime.now(UTC)
                log.warning("roll-up interrupted, retrying: %s", self.health.error)
                self._stop.wait(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1
