"""The one module that produces to Kafka: publish events, or queue them while the broker is away."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError

from bedboard.settings import Settings
from producers.outbox import Outbox, Record
from schemas.events import Event, to_json
from schemas.records import SOURCE_HEADER
from schemas.topics import TOPIC_OF_TYPE, TOPICS

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0  # seconds to wait for the broker's acknowledgement
DRAIN_BATCH = 500
# The background drain looks this often while all is well, and backs off to the longest
# wait while the broker stays away (each failed try costs a producer timeout).
DRAIN_EVERY_S = 2.0
DRAIN_BACKOFF_MAX_S = 30.0
# The producer itself fails a record after the timeout (delivery_timeout_ms); this much longer we
# wait for it to say so, so that our view of what was acknowledged is the producer's own.
GRACE = 2.0


class PublishError(RuntimeError):
    """The broker did not acknowledge a record sent with `send_raw` or `send_dlq`."""


class Future(Protocol):
    def get(self, timeout: float | None = None) -> Any: ...


class Producer(Protocol):
    """The part of KafkaProducer that the publisher uses (a test may pass a stand-in)."""

    def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Future: ...

    def close(self, timeout: float | None = None) -> None: ...


ProducerFactory = Callable[[Settings], Producer]


@dataclass(frozen=True)
class Receipt:
    """What became of one `publish` call: acknowledged by the broker, or kept in the outbox."""

    sent: int
    queued: int
    drained: int = 0  # earlier queued records that went out first
    live: tuple[bool, ...] = ()  # per event of the call: acknowledged (True) or queued

    @property
    def status(self) -> Literal["live", "queued"]:
        return "queued" if self.queued else "live"


def make_producer(settings: Settings, *, timeout: float = DEFAULT_TIMEOUT, **overrides: Any) -> Any:
    """A KafkaProducer that can be built while the broker is down and gives up after `timeout`."""
    timeout_ms = int(timeout * 1000)
    linger_ms = 5
    config: dict[str, Any] = settings.kafka_options() | {
        # kafka_options carries api_version: with it the constructor does not probe the broker
        # (which blocks for 30 s and then fails while the broker is down).
        "client_id": "bedboard-producer",
        # Every in-sync copy has it before it counts (two of three on a cluster: min.insync), and
        # the broker drops a retried batch it already has, so a failover neither loses an
        # acknowledged record nor writes one twice.
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": linger_ms,
        # send() waits this long for metadata, so a down broker costs one timeout, not 60 s.
        "max_block_ms": timeout_ms,
        "request_timeout_ms": timeout_ms,
        "delivery_timeout_ms": timeout_ms + linger_ms,
        # The default backoff grows to 30 s, far too slow to notice that the broker is back.
        "reconnect_backoff_max_ms": 1000,
    }
    return KafkaProducer(**(config | overrides))


class Publisher:
    """Publishes events in order; what the broker does not acknowledge waits in the outbox."""

    def __init__(
        self,
        settings: Settings,
        *,
        producer_factory: ProducerFactory | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry_after: float = 5.0,
        outbox: Path | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.retry_after = retry_after
        self._factory: ProducerFactory = producer_factory or (
            lambda s: make_producer(s, timeout=timeout)
        )
        self._producer: Producer | None = None
        self._outbox = Outbox(outbox or settings.outbox_path)
        self._lock = threading.RLock()
        # After a failure, submissions go straight to the outbox for a while instead of each
        # waiting out the timeout again.
        self._down_until = 0.0
        self._pending: list[Future] = []  # send_dlq records not yet acknowledged
        self._stop_draining = threading.Event()
        self._drainer: threading.Thread | None = None

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def queued(self) -> int:
        """How many records wait in the outbox (from any process sharing it)."""
        return len(self._outbox)

    def publish(self, events: Sequence[Event], source: str = "") -> Receipt:
        """Send events after anything already queued; keep what is not acknowledged.

        `source` says how they were entered (form, csv, api, cli, simulator); it travels as the
        records' `source` header, which the replica keeps for the audit page.
        """
        records = [self._record(event, source) for event in events]
        none_live = (False,) * len(records)
        with self._lock, self._outbox.exclusive():
            drained = 0
            if time.monotonic() < self._down_until:
                return Receipt(0, self._outbox.put(records), 0, none_live)
            if len(self._outbox):
                drained = self._drain_locked()
                if len(self._outbox):
                    return Receipt(0, self._outbox.put(records), drained, none_live)
            acked = self._send(records)
            queued = self._outbox.put(r for r, ok in zip(records, acked, strict=True) if not ok)
            if queued:
                log.warning("the broker did not acknowledge %d record(s); queued them", queued)
            return Receipt(len(records) - queued, queued, drained, tuple(acked))

    def drain_in_background(
        self, every: float = DRAIN_EVERY_S, backoff_max: float = DRAIN_BACKOFF_MAX_S
    ) -> Publisher:
        """Send what the outbox holds from a thread, so that nothing waits for a next submission."""
        if self._drainer is None:
            self._drainer = threading.Thread(
                target=self._drain_loop, args=(every, backoff_max), name="bedboard-outbox",
                daemon=True,
            )  # fmt: skip
            self._drainer.start()
        return self

    def _drain_loop(self, every: float, backoff_max: float) -> None:
        wait = every
        while not self._stop_draining.wait(wait):
            try:
                # The outbox may be filled by another process (a `bedboard publish` that ran
                # while the broker was down), so it is looked at, not only our own queueing.
                waiting = len(self._outbox)
                failed = bool(waiting) and self.drain() == 0
            except (KafkaError, OSError, sqlite3.Error) as error:
                log.warning("outbox drain failed, retrying: %s", error)
                failed = True
            wait = min(wait * 2, backoff_max) if failed else every

    def drain(self) -> int:
        """Send what the outbox holds, oldest first; returns how many were acknowledged."""
        with self._lock, self._outbox.exclusive():
            return self._drain_locked()

    def send_raw(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Any:
        """Send bytes as they are (DLQ, tests); raises PublishError unless acknowledged."""
        full = self.settings.topic(topic) if topic in TOPICS else topic
        with self._lock:
            try:
                future = self._get_producer().send(full, value=value, key=key, headers=headers)
                return future.get(timeout=self.timeout + GRACE)
            except KafkaError as error:
                self._reset()
                raise PublishError(f"{full}: the broker did not acknowledge ({error})") from error

    def send_dlq(self, key: str, value: bytes | None, headers: list[tuple[str, bytes]]) -> None:
        """Start sending a rejected record to the DLQ; `flush` waits for the acknowledgements."""
        full = self.settings.topic("dlq")
        with self._lock:
            try:
                future = self._get_producer().send(
                    full, value=value, key=key.encode(), headers=headers
                )
            except KafkaError as error:
                self._reset()
                raise PublishError(f"{full}: could not send ({error})") from error
            self._pending.append(future)

    def flush(self) -> None:
        """Wait until every `send_dlq` record is acknowledged; raises PublishError otherwise."""
        with self._lock:
            pending, self._pending = self._pending, []
            deadline = time.monotonic() + self.timeout + GRACE
            try:
                for future in pending:
                    future.get(timeout=max(0.0, deadline - time.monotonic()))
            except KafkaError as error:
                self._reset()
                raise PublishError(f"the broker did not acknowledge ({error})") from error

    def close(self) -> None:
        self._stop_draining.set()
        if self._drainer is not None and self._drainer is not threading.current_thread():
            self._drainer.join(timeout=self.timeout + GRACE + 1)
        with self._lock:
            producer, self._producer = self._producer, None
            try:
                if producer is not None:
                    producer.close(timeout=self.timeout + GRACE)
            except KafkaError as error:  # close() raises when its flush times out
                log.warning("closing the producer: %s", error)
            finally:
                self._outbox.close()

    def _record(self, event: Event, source: str) -> Record:
        topic = TOPIC_OF_TYPE[event.type]  # type: ignore[attr-defined]
        key_field = TOPICS[topic].key_field
        key = getattr(event, key_field, None) if key_field else None  # case events: unkeyed
        key_bytes = None if key is None else str(key).encode()
        return Record(self.settings.topic(topic), key_bytes, to_json(event), source=source)

    def _drain_locked(self) -> int:
        drained = 0
        while batch := self._outbox.peek(DRAIN_BATCH):
            acked = self._send(batch)
            self._outbox.remove([r.id for r, ok in zip(batch, acked, strict=True) if ok])
            drained += sum(acked)
            if not all(acked):
                break
        if drained:
            log.info("sent %d queued record(s) from the outbox", drained)
        return drained

    def _send(self, records: Sequence[Record]) -> list[bool]:
        """Which records the broker acknowledged within the timeout."""
        if not records:
            return []
        futures: list[Future] = []
        try:
            producer = self._get_producer()
            for record in records:
                headers = [(SOURCE_HEADER, record.source.encode())] if record.source else None
                futures.append(
                    producer.send(record.topic, value=record.value, key=record.key, headers=headers)
                )
        except KafkaError as error:
            # Typically no metadata within the timeout: the broker is down or the topic missing.
            log.warning("could not send to the broker: %s", error)
        # Every batch was created by now, so each future resolves within the timeout.
        deadline = time.monotonic() + self.timeout + GRACE
        acked = []
        for future in futures:
            try:
                future.get(timeout=max(0.0, deadline - time.monotonic()))
                acked.append(True)
            except KafkaError:
                acked.append(False)
        acked += [False] * (len(records) - len(futures))
        if all(acked):
            self._down_until = 0.0
        else:
            self._reset()
        return acked

    def _get_producer(self) -> Producer:
        if self._producer is None:
            self._producer = self._factory(self.settings)
        return self._producer

    def _reset(self) -> None:
        # A fresh producer next time, so that nothing of the failed one (expired batches, stale
        # connections, a fenced producer id) carries over; its records have all failed by now.
        self._down_until = time.monotonic() + self.retry_after
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=GRACE)
            except KafkaError as error:  # close() raises when its flush times out
                log.warning("closing the failed producer: %s", error)
