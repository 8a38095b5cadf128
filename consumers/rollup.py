"""The one module that polls Kafka: records in, batches into the replica, rejects to the DLQ."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import duckdb
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError

from bedboard.settings import Settings
from consumers.bulk import Raw, check_raw
from consumers.rules import ms_to_utc
from consumers.store import Batch, Store
from schemas.records import SOURCE_HEADER, Rejection

log = logging.getLogger(__name__)
T = TypeVar("T")

ROLLED_UP = ("capacity", "facilities", "placements", "notices", "city", "alerts")
# Commits of thousands of rows run several times faster than commits of a hundred, so while the
# roll-up lags behind the log, polls are gathered into one batch until it is Settings.rollup_batch
# big or has waited this long with the writer free. Once caught up, what was read is written at
# once: waiting adds latency only.
MAX_BATCH_WAIT_S = 0.5
POLL_MS = 200
# How old the consumer's view of the cluster (leaders, in-sync copies) may get: a node that
# comes back is seen within this long, not within kafka-python's default five minutes.
METADATA_MAX_AGE_MS = 10_000
FETCH_WAIT_MS = 50
BUSY_POLL_MS = 5
CONNECT_TIMEOUT_S = 10.0
HEALTH_EVERY_S = 2.0
LOGGED_REJECTIONS = 5  # per batch; every one is in the DLQ and the rejected table anyway
DLQ_TRIES = (0.5, 1.0, 2.0, 4.0)  # seconds between tries before giving up on the DLQ

DlqSend = Callable[[str, bytes | None, list[tuple[str, bytes]]], None]


class TopicsMissing(RuntimeError):
    """The topics to roll up do not exist on the broker."""


class DlqUnavailable(RuntimeError):
    """Rejected records could not be written to the DLQ; the batch was not applied."""


@dataclass
class Health:
    """What the dashboard shows about the feed: connected, lag, the newest event's ingest time."""

    connected: bool = False
    checked_at: datetime | None = None
    last_ingest: datetime | None = None
    lag: int | None = None
    error: str | None = None
    applied_batches: int = 0
    # Partitions read that have fewer in-sync copies than replicas: a broker of the cluster is
    # away. The feed goes on (two of three copies take writes); the page says so until it is back.
    short_of_copies: int = 0
    # Why the replica itself cannot be written (a full disk), until a batch is written again.
    unwritable: str | None = None


@dataclass
class Rollup:
    """Consumes the topics into a replica; offsets live in the replica, not in Kafka."""

    settings: Settings
    store: Store
    dlq_send: DlqSend | None = None
    dlq_flush: Callable[[], None] | None = None
    health: Health = field(default_factory=Health)
    # Once caught up, how long a batch may go on gathering before it is written (0: at once).
    # A process whose reads may lag a little (the API) trades that for fewer, larger commits.
    settle_s: float = 0.0

    def run(self, stop: threading.Event, *, until_caught_up: bool = False) -> int:
        """Apply records until stopped (or caught up); returns the number of records read."""
        consumer = self._consumer()
        # A checking and a writing thread, both mostly in DuckDB (outside the GIL): batch N is
        # written while batch N+1 is checked and batch N+2 polled. Batches are written one at a
        # time in log order, each in its own transaction; the check has a cursor of its own.
        checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bedboard-check")
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bedboard-replica")
        checking = self.store.con.cursor()
        pending: Future[None] | None = None
        read = 0
        try:
            partitions = self._assign(consumer)
            position = self.store.offsets()
            targets = self._end_offsets(consumer, partitions) if until_caught_up else {}
            next_check = 0.0
            while not stop.is_set():
                # The consumer's position, not the stored offset: it also moves past records
                # that retention or compaction removed.
                if until_caught_up and all(consumer.position(tp) >= e for tp, e in targets.items()):
                    break
                if time.monotonic() >= next_check:
                    self._check_health(consumer, partitions, position)
                    next_check = time.monotonic() + HEALTH_EVERY_S
                batch = self._gather(consumer, stop, pending)
                if len(batch):
                    checked = checker.submit(self._check, checking, batch)
                    if pending is not None:
                        pending.result()  # raises what the writer (or a check) raised
                    pending = writer.submit(self._write, batch, checked)
                    position.update(batch.next_offsets)
                    read += len(batch)
            if pending is not None:
                pending.result()
        finally:
            checker.shutdown(wait=True)
            writer.shutdown(wait=True)
            checking.close()
            consumer.close()
        return read

    def _consumer(self) -> KafkaConsumer:
        return KafkaConsumer(
            **self.settings.kafka_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            # One fetch is in flight at a time. One sent while a partition still had records
            # to hand out leaves that partition out, and the broker holds it for up to this
            # long when the others are quiet: Kafka's 500 ms default was the live p99.
            fetch_max_wait_ms=FETCH_WAIT_MS,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )

    def _assign(self, consumer: KafkaConsumer) -> list[TopicPartition]:
        partitions = []
        for short in ROLLED_UP:
            topic = self.settings.topic(short)
            ids = _within(CONNECT_TIMEOUT_S, consumer.partitions_for_topic, topic)
            if not ids:
                raise TopicsMissing(f"topic {topic} does not exist: run `bedboard topics` first")
            partitions += [TopicPartition(topic, p) for p in sorted(ids)]
        consumer.assign(partitions)
        stored = self.store.offsets()
        for tp in partitions:
            if (tp.topic, tp.partition) in stored:
                consumer.seek(tp, stored[(tp.topic, tp.partition)])
            else:
                consumer.seek_to_beginning(tp)
        return partitions

    def _end_offsets(
        self, consumer: KafkaConsumer, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        return {tp: o for tp, o in consumer.end_offsets(partitions).items() if o > 0}

    def _check_health(
        self,
        consumer: KafkaConsumer,
        partitions: list[TopicPartition],
        position: dict[tuple[str, int], int],
    ) -> None:
        try:
            ends = consumer.end_offsets(partitions, timeout_ms=2000)
        except KafkaError as error:
            self.health.connected, self.health.error = False, type(error).__name__
        else:
            self.health.lag = sum(
                max(end - position.get((tp.topic, tp.partition), 0), 0) for tp, end in ends.items()
            )
            self.health.connected, self.health.error = True, None
            self.health.short_of_copies = short_of_copies(consumer, partitions)
        self.health.checked_at = datetime.now(UTC)

    def _gather(
        self, consumer: KafkaConsumer, stop: threading.Event, writing: Future[None] | None
    ) -> Batch:
        """Poll until caught up with the writer free, or the batch is big or has waited long."""
        batch = Batch()
        deadline = time.monotonic() + MAX_BATCH_WAIT_S
        settled: float | None = None
        most = self.settings.rollup_batch
        while len(batch) < most and not stop.is_set():
            # Once something is gathered, poll briefly: the batch goes as soon as the writer is
            # free, with whatever came in while it wrote (one write's wait, not two).
            polled = consumer.poll(
                timeout_ms=BUSY_POLL_MS if len(batch) else POLL_MS,
                max_records=most - len(batch),
            )
            if polled:
                self._add(batch, polled)
                settled = settled or time.monotonic() + self.settle_s
            elif not len(batch):
                break
            free = writing is None or writing.done()
            # While the writer is busy, gathering on costs no latency: the batch could not go.
            if time.monotonic() >= deadline and free:
                break
            if settled is not None and time.monotonic() < settled:
                continue
            if free and _caught_up(consumer):
                break
        return batch

    def _add(self, batch: Batch, polled: dict[TopicPartition, list[Any]]) -> None:
        """Keep the polled records as they are: they are checked in bulk on the writer thread."""
        newest = 0
        prefix = self.settings.topic_prefix
        for tp, records in polled.items():
            short = tp.topic.removeprefix(prefix)
            raw = batch.raw.setdefault(short, Raw())
            raw.values += [r.value for r in records]
            # The broker's LogAppendTime, exact to the millisecond.
            stamps = [r.timestamp for r in records]
            raw.timestamps += stamps
            raw.partitions += [tp.partition] * len(records)
            raw.offsets += [r.offset for r in records]
            newest = max(newest, *stamps)
            raw.sources += [_source(r.headers) for r in records]
            batch.read[short] = batch.read.get(short, 0) + len(records)
            batch.next_offsets[(tp.topic, tp.partition)] = records[-1].offset + 1
        if newest:
            last = ms_to_utc(newest)
            self.health.last_ingest = max(self.health.last_ingest or last, last)

    def _write(self, batch: Batch, checked: Future[None]) -> None:
        checked.result()
        # The DLQ is written before the offsets move: a crash between repeats the same
        # coordinates as keys, which the compacted DLQ keeps once.
        if batch.rejected:
            for row in batch.rejected[:LOGGED_REJECTIONS]:
                log.warning(
                    "rejected %s:%s:%s %s: %s",
                    row["topic"],
                    row["partition"],
                    row["offset"],
                    row["reason"],
                    row["detail"],
                )
            if len(batch.rejected) > LOGGED_REJECTIONS:  # a flood: the rest are in the DLQ
                more = len(batch.rejected) - LOGGED_REJECTIONS
                log.warning("rejected %d more records in this batch", more)
            if self.dlq_send:
                self._to_dlq(batch.rejected)
        self.store.write(batch)
        self.health.applied_batches += 1
        self.health.unwritable = None

    def _check(self, con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
        """Check the raw records in bulk (consumers.bulk); the refused become rejected rows."""
        prefix = self.settings.topic_prefix
        for short, raw in batch.raw.items():
            checked = check_raw(con, raw)
            batch.checked[short] = checked
            for i, rejection in checked.rejected:
                batch.rejected.append(
                    _rejected_row(
                        short,
                        TopicPartition(prefix + short, raw.partitions[i]),
                        raw.offsets[i],
                        raw.values[i],
                        rejection,
                        ms_to_utc(raw.timestamps[i]),
                    )
                )
        batch.raw.clear()

    def _to_dlq(self, rows: list[dict[str, Any]]) -> None:
        """Send rejected records to the DLQ, retrying with backoff; then give up loudly."""
        assert self.dlq_send is not None
        for attempt, pause in enumerate((*DLQ_TRIES, None)):
            try:
                for row in rows:
                    # A null value would be a tombstone and compaction would erase the record.
                    self.dlq_send(row["dlq_key"], row["raw"] or b"", row["headers"])
                if self.dlq_flush:
                    self.dlq_flush()
                return
            except (KafkaError, OSError, RuntimeError) as error:
                if pause is None:
                    raise DlqUnavailable(
                        f"could not write {len(rows)} rejected record(s) to the DLQ: {error}"
                    ) from error
                log.warning("DLQ write failed (try %d), retrying: %s", attempt + 1, error)
                time.sleep(pause)


def short_of_copies(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> int:
    """How many of the partitions have fewer in-sync copies than replicas, as the consumer's
    last metadata answer says (no request of its own)."""
    # kafka-python keeps each partition's replicas and in-sync replicas from its metadata
    # answers but offers no accessor for them; read defensively, so that another shape of its
    # internals reads as "nothing known", never as an error in the roll-up.
    known = getattr(getattr(getattr(consumer, "_client", None), "cluster", None), "_partitions", {})
    short = 0
    for tp in partitions:
        found = known.get(tp.topic, {}).get(tp.partition)
        replicas = getattr(found, "replica_nodes", None) or ()
        in_sync = getattr(found, "isr_nodes", None) or ()
        short += len(in_sync) < len(replicas)
    return short


def _caught_up(consumer: KafkaConsumer) -> bool:
    """Whether every record the broker last reported has been read (no fetch: local state only)."""
    for tp in consumer.assignment():
        # The high watermark comes with each fetch response; unknown means nothing is known to wait.
        end = consumer.highwater(tp)
        if end is not None and (consumer.position(tp, timeout_ms=0) or 0) < end:
            return False
    return True


def tune_gc() -> None:
    """Keep Python's cyclic GC from rescanning the events a batch holds (call after set-up)."""
    # Two batches live at once (one gathered, one written): ~20,000 validated events, half a
    # million objects. With the default threshold of 700 the collector walked them again and
    # again, which made checking a record 4-5x dearer; with a threshold above what two batches
    # allocate it costs nothing measurable. The roll-up frees its objects by reference counting:
    # only cyclic garbage waits longer (docs/benchmarks.md measures the dashboard's peak RSS so).
    gc.freeze()  # what set-up made lives on: never scan it again
    gc.set_threshold(1_000_000, 10, 10)


def _within(seconds: float, call: Callable[..., T], *args: Any) -> T:
    """Run a kafka-python call that has no deadline of its own (metadata) with one."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bedboard-metadata")
    try:
        return pool.submit(call, *args).result(timeout=seconds)
    except TimeoutError as error:
        raise KafkaTimeoutError(f"no answer from Kafka in {seconds:.0f} s") from error
    finally:
        pool.shutdown(wait=False)  # closing the consumer ends the stuck call


def _rejected_row(
    short: str,
    tp: TopicPartition,
    offset: int,
    value: bytes | None,
    rejection: Rejection,
    ingested: datetime,
) -> dict[str, Any]:
    headers = [
        ("error.reason", rejection.reason.encode()),
        ("error.detail", rejection.detail.encode()),
        ("source.topic", tp.topic.encode()),
        ("source.partition", str(tp.partition).encode()),
        ("source.offset", str(offset).encode()),
    ]
    return {
        "topic": short,
        "partition": tp.partition,
        "offset": offset,
        "reason": rejection.reason,
        "detail": rejection.detail,
        "detail_ja": rejection.detail_ja,
        "raw": value,
        "ingested_at": ingested,
        "dlq_key": f"{tp.topic}:{tp.partition}:{offset}",
        "headers": headers,
    }


def _source(headers: list[tuple[str, bytes]] | None) -> str:
    """How a record was entered, as its publisher said in the `source` header; else unknown."""
    for name, value in headers or ():
        if name == SOURCE_HEADER:
            return value.decode(errors="replace")[:20] or "unknown"
    return "unknown"
