"""The notifier: a consumer group member that owes each matching event to each subscription once,
records that in its store, commits its offsets after, and sends what it owes with backoff."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from bedboard.settings import Settings
from consumers.notify_rules import (
    REGISTRY_TOPIC,
    Context,
    kind_of,
    matches,
    message,
    notified_topics,
    retry_delay,
)
from consumers.notify_store import Delivery, NotifyStore
from consumers.rules import ms_to_utc
from consumers.senders import DeliveryFailed, Send
from schemas.events import Event
from schemas.records import Rejection, check

log = logging.getLogger(__name__)

POLL_MS = 200  # short: a request should reach its hospital's phone within a second or two
# Topics replayed from their start on assignment: a placement's later events name only its id,
# so the notifier learns each request's facility and bed type from the log itself.
CONTEXT_TOPICS = ("placements",)
SESSION_TIMEOUT_MS = 10_000
# Sending stops for a poll after this long: slow receivers must not keep the member from
# polling past max.poll.interval.ms (5 min), or the group would hand its partitions on.
SEND_BUDGET_S = 30.0


class _Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Note what the group gives and takes; replay context topics (runs on the poll's thread,
    so it must not block: the main loop asks where to start sending)."""

    def __init__(self, notifier: Notifier, consumer: KafkaConsumer) -> None:
        self.notifier, self.consumer = notifier, consumer

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self.notifier.send_from.pop(tp, None)
            self.notifier.assigned.discard(tp)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        context = {self.notifier.settings.topic(name) for name in CONTEXT_TOPICS}
        for tp in assigned:
            if tp.topic in context:
                self.consumer.seek_to_beginning(tp)
        self.notifier.assigned |= set(assigned)


@dataclass
class Notifier:
    """Reads the notifying topics as the `notifier` group; `send` raises DeliveryFailed."""

    settings: Settings
    store: NotifyStore
    send: Send
    # A group that has never committed starts at the log's end (no flood of old news) unless
    # this is set; after its first start it always resumes where it committed.
    from_beginning: bool = False
    clock: Callable[[], float] = time.time
    context: Context = field(default_factory=Context)
    assigned: set[TopicPartition] = field(default_factory=set)
    send_from: dict[TopicPartition, int] = field(default_factory=dict)

    @property
    def group_id(self) -> str:
        return self.settings.topic("notifier")

    def run(self, stop: threading.Event, *, until_caught_up: bool = False) -> int:
        """Owe and send until stopped (or caught up with nothing pending); returns how many
        deliveries were made."""
        registry = self._registry()
        consumer = KafkaConsumer(
            **self.settings.kafka_options(),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if self.from_beginning else "latest",
            group_instance_id=self.settings.notify_member,
            # A member that died without a word hands its partitions on after this long.
            session_timeout_ms=SESSION_TIMEOUT_MS,
        )
        topics = [self.settings.topic(name) for name in notified_topics()]
        consumer.subscribe(topics, listener=_Assignments(self, consumer))
        delivered = 0
        try:
            self._learn_registry(registry, to_end=True)
            while not stop.is_set():
                self._learn_registry(registry)
                polled = consumer.poll(timeout_ms=POLL_MS)
                self._place(consumer)
                self._owe(polled)
                self._commit(consumer, polled)  # only once what is owed is in the store
                delivered += self.deliver_due(stop)
                if until_caught_up and self._caught_up(consumer) and not self.store.pending():
                    break
        finally:
            consumer.close(autocommit=False)
            registry.close()
        return delivered

    def _registry(self) -> KafkaConsumer:
        """Every member reads the whole registry (no group): any event may name any facility."""
        consumer = KafkaConsumer(
            **self.settings.kafka_options(), group_id=None, enable_auto_commit=False
        )
        topic = self.settings.topic(REGISTRY_TOPIC)
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return consumer

    def _learn_registry(self, registry: KafkaConsumer, *, to_end: bool = False) -> None:
        ends = registry.end_offsets(list(registry.assignment())) if to_end else {}
        while True:
            for records in registry.poll(timeout_ms=POLL_MS if to_end else 0).values():
                for event in _events(records):
                    self.context.learn(event)
            if all(registry.position(tp) >= end for tp, end in ends.items()):
                return

    def _place(self, consumer: KafkaConsumer) -> None:
        """Where to start sending in newly assigned partitions: where the group committed."""
        fresh = [tp for tp in self.assigned if tp not in self.send_from]
        if not fresh:
            return
        never = []
        for tp in fresh:
            committed = consumer.committed(tp)
            if committed is None:
                never.append(tp)
            else:
                self.send_from[tp] = committed
        if never:
            start = dict.fromkeys(never, 0) if self.from_beginning else consumer.end_offsets(never)
            self.send_from |= start
            # Committed at once: what arrives while the notifier is down is owed, not skipped.
            consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in start.items()})
        log.info("notify: assigned %s, sending from %s", sorted(fresh), self.send_from)

    def _owe(self, polled: dict[TopicPartition, list[Any]]) -> None:
        owed: list[Delivery] = []
        subscriptions = None
        for tp, records in polled.items():
            start = self.send_from.get(tp)
            for record, event in zip(records, _events(records, keep_gaps=True), strict=True):
                if event is None:
                    continue
                self.context.learn(event)
                kind = kind_of(event)
                if kind is None or start is None or record.offset < start:
                    continue  # context only: sent before, or before the notifier's time
                if subscriptions is None:
                    subscriptions = self.store.subscriptions()
                about = self.context.about(event)
                for sub in subscriptions:
                    if matches(sub, kind, about):
                        words = message(kind, event, about, sub.lang)
                        owed.append(
                            Delivery(
                                str(event.event_id), sub.id, sub.username, kind, sub.channel,
                                sub.target, words.subject, words.text,
                            )
                        )  # fmt: skip
        if owed:
            new = self.store.owe(owed, self.clock())
            log.info("notify: %d deliveries owed (%d already known)", new, len(owed) - new)

    def _commit(self, consumer: KafkaConsumer, polled: dict[TopicPartition, list[Any]]) -> None:
        # Never while replaying context: that would move the group's offset backwards.
        offsets = {
            tp: OffsetAndMetadata(position, "", -1)
            for tp in polled
            if tp in self.send_from and (position := consumer.position(tp)) >= self.send_from[tp]
        }
        if offsets:
            consumer.commit(offsets)

    def deliver_due(self, stop: threading.Event | None = None) -> int:
        """Try every delivery that is due (until asked to stop); returns how many went out."""
        delivered = 0
        budget = time.monotonic() + SEND_BUDGET_S
        for delivery in self.store.due(self.clock()):
            if time.monotonic() > budget or (stop is not None and stop.is_set()):
                break  # the rest after the next poll, or the next start
            try:
                self.send(delivery)
            except DeliveryFailed as error:
                attempts = delivery.attempts + 1
                retry_at = None
                if attempts < self.settings.notify_attempts:
                    retry_at = self.clock() + retry_delay(
                        attempts,
                        self.settings.notify_first_retry.total_seconds(),
                        self.settings.notify_longest_retry.total_seconds(),
                    )
                self.store.attempt_failed(delivery, str(error), retry_at)
                log.warning(
                    "notify: %s to %s of %s failed (attempt %d): %s",
                    delivery.channel, delivery.username, delivery.event_id, attempts, error,
                )  # fmt: skip
                continue
            self.store.sent(delivery)
            delivered += 1
        return delivered

    def _caught_up(self, consumer: KafkaConsumer) -> bool:
        if not self.assigned or any(tp not in self.send_from for tp in self.assigned):
            return False
        ends = consumer.end_offsets(list(self.assigned))
        return all(consumer.position(tp) >= end for tp, end in ends.items())


def _events(records: list[Any], *, keep_gaps: bool = False) -> list[Any]:
    """The valid events of some records (None in place of a bad one, if gaps are kept): bad
    records are the roll-up's to send to the DLQ; here they notify nobody."""
    out: list[Event | None] = []
    for record in records:
        outcome = check(record.value, ms_to_utc(record.timestamp))
        if isinstance(outcome, Rejection):
            if keep_gaps:
                out.append(None)
            continue
        out.append(outcome)
    return out
