"""The dashboard process's one runtime: its live replica, its one publisher, its outbox drain."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from bedboard.settings import Settings
from consumers.replica import LiveReplica
from consumers.rollup import tune_gc
from producers.publisher import Publisher

# Tests and screenshots open a prepared replica (BEDBOARD_DB) without consuming from Kafka.
NO_FEED_ENV = "BEDBOARD_DASHBOARD_NO_FEED"
PREFIX = "BEDBOARD_"  # Settings' env_prefix


def settings() -> Settings:
    """The configuration from BEDBOARD_*, signed in to Kafka as the dashboard; made again only
    when those variables change (tests change them)."""
    return _settings(tuple(sorted(kv for kv in os.environ.items() if kv[0].startswith(PREFIX))))


@functools.lru_cache(maxsize=4)
def _settings(environment: tuple[tuple[str, str], ...]) -> Settings:
    # Building Settings reads and validates the environment: ~5 ms, and the pages ask for it per
    # word they translate (texts.lang), per row, per session, on every refresh.
    del environment  # the cache's key; Settings reads os.environ itself
    return Settings().as_principal("dashboard")


def feed_enabled() -> bool:
    """Whether this process consumes from Kafka (else it shows the replica as it is)."""
    return os.environ.get(NO_FEED_ENV, "") not in ("1", "true", "yes")


@dataclass
class Runtime:
    """What one dashboard process owns: the replica, the publisher, and when it started."""

    replica: LiveReplica
    publisher: Publisher
    feed: bool
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def start(self) -> Runtime:
        """Start the roll-up (when fed) and the drain that sends queued submissions."""
        if self.feed:
            tune_gc()  # this process now holds a roll-up's batches
            self.replica.start()
        # Queued submissions go out when the broker is back, even if nobody submits again
        # (and those a `bedboard publish` left while it was down), with backoff.
        self.publisher.drain_in_background()
        return self

    def stop(self) -> None:
        """Stop the threads and close the replica and the publisher (and its drain)."""
        if self.feed:
            self.replica.stop()
        else:  # the roll-up thread never started: only the file to close
            self.replica.con.close()
        self.publisher.close()


def get() -> Runtime:
    """This process's runtime for the current settings, started on first use."""
    config = settings()
    return _open(
        str(config.replica_path("dashboard")),
        feed_enabled(),
        config.bootstrap_servers,
        config.topic_prefix,
        str(config.outbox_path),
    )


def _release(runtime: Runtime) -> None:
    # A cleared cache must not leave a second roll-up thread writing the same file.
    runtime.stop()


@st.cache_resource(show_spinner=False, on_release=_release)
def _open(path: str, feed: bool, bootstrap: str, prefix: str, outbox: str) -> Runtime:
    """One runtime per replica file and Kafka (the arguments are the cache's key)."""
    config = settings()
    publisher = Publisher(config)
    # Records that fail validation go to the DLQ from here too (the roll-up retries them).
    replica = LiveReplica(
        config, Path(path), dlq_send=publisher.send_dlq, dlq_flush=publisher.flush
    )
    return Runtime(replica, publisher, feed).start()
