"""A replica kept up with the topics: live (a roll-up thread) or caught up once, then stopped."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from kafka.errors import KafkaError

from bedboard.settings import Settings
from consumers import checkpoint
from consumers.rollup import DlqSend, DlqUnavailable, Health, Rollup, TopicsMissing, tune_gc
from consumers.schema import connect
from consumers.store import Store

log = logging.getLogger(__name__)
RETRY_S = (1, 2, 5, 10)
BROKER_PATIENCE_S = 20.0  # how long the broker may stay silent before a catch-up gives up


class LiveReplica:
    """Owns a replica file and a thread that keeps it caught up, retrying while Kafka is away."""

    def __init__(
        self,
        settings: Settings,
        path: Path,
        *,
        dlq_send: DlqSend | None = None,
        dlq_flush: Callable[[], None] | None = None,
        settle_s: float = 0.0,
    ) -> None:
        self.path = path
        seed(settings, path)
        self.con = connect(path)
        self.health = Health()
        self._rollup = Rollup(
            settings, Store(self.con.cursor()), dlq_send, dlq_flush, self.health, settle_s
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bedboard-rollup", daemon=True)
        self._checkpoints = checkpointer(settings, self.con, self._rollup.store.lock)

    def start(self) -> LiveReplica:
        self._thread.start()
        if self._checkpoints:
            self._checkpoints.start()
        return self

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one reader (one per thread or page run)."""
        return self.con.cursor()

    def stop(self) -> None:
        """Stop the roll-up thread and close the replica."""
        self._stop.set()
        if self._checkpoints:
            self._checkpoints.stop()
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
                if isinstance(error, duckdb.Error):  # the file, not Kafka: say which
                    self.health.unwritable = self.health.error
                self.health.checked_at = datetime.now(UTC)
                log.warning("roll-up interrupted, retrying: %s", self.health.error)
                self._stop.wait(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1


class BrokerUnreachable(RuntimeError):
    """The broker did not answer while the replica was catching up."""


def catch_up(
    settings: Settings,
    path: Path,
    dlq_send: DlqSend,
    dlq_flush: Callable[[], None],
    *,
    stop: threading.Event | None = None,
    patience: float = BROKER_PATIENCE_S,
) -> duckdb.DuckDBPyConnection:
    """Bring a replica up to the end of the topics, then stop; returns its open connection.

    Raises BrokerUnreachable when nothing listens or the broker stays silent for `patience`
    seconds, and KeyboardInterrupt when `stop` is set (say, by SIGTERM) before the end.
    """
    listening(settings.bootstrap_servers)
    seed(settings, path)
    con = connect(path)
    stop = stop or threading.Event()
    rollup = Rollup(settings, Store(con), dlq_send, dlq_flush)
    tune_gc()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            rollup.run(stop, until_caught_up=True)
        except BaseException as error:  # handed to the waiting thread, which raises it
            failure.append(error)

    # The consumer waits for an absent broker without end, so the wait is bounded here:
    # the catch-up may take long, but not without the broker answering.
    worker = threading.Thread(target=run, name="bedboard-catch-up", daemon=True)
    worker.start()
    silent_since = time.monotonic()
    while worker.is_alive():
        worker.join(timeout=0.2)
        if rollup.health.connected:
            silent_since = time.monotonic()
        elif time.monotonic() - silent_since > patience:
            stop.set()
            raise BrokerUnreachable(rollup.health.error or f"no answer in {patience:.0f} s")
        if stop.is_set() and worker.is_alive():
            raise KeyboardInterrupt
    if failure:
        con.close()
        raise failure[0]
    return con


def listening(bootstrap: str) -> None:
    """Fail at once when nothing listens at any bootstrap address (the broker is not started)."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            socket.create_connection((host or "localhost", int(port)), timeout=3).close()
            return
        except (OSError, ValueError):
            continue
    raise BrokerUnreachable(f"nothing listens at {bootstrap}")


def seed(settings: Settings, path: Path, folder: Path | None = None) -> checkpoint.Manifest | None:
    """Give a replica with no file of its own the newest valid checkpoint, if there is one.

    From `folder`, else BEDBOARD_CHECKPOINT_DIR, else S3 (BEDBOARD_CHECKPOINT_S3_URL). The
    roll-up then reads on from the checkpoint's offsets: only the tail of the log.
    """
    if str(path) == ":memory:" or path.exists():
        return None
    folder = folder or settings.checkpoint_dir
    if folder is not None and (found := checkpoint.restore(folder, path, settings.topic_prefix)):
        return found
    if settings.checkpoint_s3_url:
        from consumers.checkpoint_s3 import S3Checkpoints

        s3 = S3Checkpoints(settings.checkpoint_s3_url, settings.checkpoint_s3_endpoint)
        return s3.restore(path, settings.topic_prefix)
    return None


def checkpointer(
    settings: Settings, con: duckdb.DuckDBPyConnection, lock: threading.Lock
) -> checkpoint.Checkpointer | None:
    """A checkpoint writer for a live replica where BEDBOARD_CHECKPOINT_DIR is set, else None."""
    if settings.checkpoint_dir is None:
        return None
    upload = None
    if settings.checkpoint_s3_url:
        from consumers.checkpoint_s3 import S3Checkpoints

        upload = S3Checkpoints(settings.checkpoint_s3_url, settings.checkpoint_s3_endpoint).upload
    folder, every = settings.checkpoint_dir, settings.checkpoint_every
    return checkpoint.Checkpointer(con, folder, settings.topic_prefix, every, lock, upload)
