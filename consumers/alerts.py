"""The alert processor: a consumer group member that publishes the alert rules' transitions."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition

from bedboard.settings import Settings
from consumers.alert_rules import OpenAlerts, transitions, wanted_alerts
from consumers.rules import Accepted, CapacityState, fold_capacity, ms_to_utc
from schemas.events import AlertCleared, AlertRaised, CapacityReported, Event
from schemas.records import Rejection, check

log = logging.getLogger(__name__)

POLL_MS = 500
STALE_CHECK_S = 30.0

Clock = Callable[[], datetime]
Publish = Callable[[Sequence[Event]], Any]


class _Replay(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, read each partition again from its start (it runs on the IO thread, so
    it must not block: the main loop asks for the partitions' ends)."""

    def __init__(self, processor: AlertProcessor, consumer: KafkaConsumer) -> None:
        self.processor, self.consumer = processor, consumer

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self.processor.replay_until.pop(tp, None)
            self.processor.assigned.discard(tp)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        for tp in assigned:
            self.consumer.seek_to_beginning(tp)
        self.processor.assigned |= set(assigned)


@dataclass
class AlertProcessor:
    """A consumer group member: folds the capacity stream, publishes alert transitions."""

    settings: Settings
    publish: Publish
    clock: Clock = field(default=lambda: datetime.now(UTC))
    state: CapacityState = field(default_factory=CapacityState)
    open: OpenAlerts = field(default_factory=OpenAlerts)
    assigned: set[TopicPartition] = field(default_factory=set)
    replay_until: dict[TopicPartition, int] = field(default_factory=dict)
    live: set[TopicPartition] = field(default_factory=set)
    facilities: dict[TopicPartition, set[str]] = field(default_factory=dict)

    @property
    def group_id(self) -> str:
        return self.settings.topic("alerts-processor")

    def run(self, stop: threading.Event, *, until_caught_up: bool = False) -> int:
        """Publish transitions until stopped (or caught up); returns how many were published."""
        self.open.apply(self._alert_history())
        consumer = KafkaConsumer(
            **self.settings.kafka_options(),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        consumer.subscribe([self.settings.topic("capacity")], listener=_Replay(self, consumer))
        published = 0
        next_stale_check = time.monotonic() + STALE_CHECK_S
        try:
            while not stop.is_set():
                polled = consumer.poll(timeout_ms=POLL_MS)
                if fresh := self.assigned - set(self.replay_until):
                    ends = consumer.end_offsets(list(fresh))
                    self.replay_until |= ends
                    log.info("alerts: assigned %s, replaying up to %s", sorted(fresh), ends)
                touched = self._fold(polled)
                touched |= self._newly_live(consumer)
                if time.monotonic() >= next_stale_check:  # staleness grows with the clock
                    touched |= set().union(*(self.facilities.get(tp, set()) for tp in self.live))
                    next_stale_check = time.monotonic() + STALE_CHECK_S
                published += self._evaluate(touched)
                if polled:
                    consumer.commit()
                caught_up = self.replay_until and self.live >= set(self.replay_until)
                if until_caught_up and caught_up:
                    break
        finally:
            consumer.close(autocommit=False)
        return published

    def _alert_history(self) -> list[Event]:
        """Every valid alert event on the alerts topic, in log order."""
        consumer = KafkaConsumer(
            **self.settings.kafka_options(), group_id=None, enable_auto_commit=False
        )
        try:
            topic = self.settings.topic("alerts")
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            ends = consumer.end_offsets(partitions)
            events: list[Event] = []
            while any(consumer.position(tp) < end for tp, end in ends.items()):
                for records in consumer.poll(timeout_ms=POLL_MS).values():
                    for record in records:
                        outcome = check(record.value, ms_to_utc(record.timestamp))
                        if isinstance(outcome, AlertRaised | AlertCleared):
                            events.append(outcome)
            return events
        finally:
            consumer.close()

    def _fold(self, polled: dict[TopicPartition, list[Any]]) -> set[str]:
        """Fold records into the state; returns the facilities touched in live partitions."""
        touched: set[str] = set()
        for tp, records in polled.items():
            accepted = []
            for record in records:
                outcome = check(record.value, ms_to_utc(record.timestamp))
                if isinstance(outcome, Rejection) or not isinstance(outcome, CapacityReported):
                    continue  # the roll-up puts bad records in the DLQ; here they change nothing
                accepted.append(
                    Accepted(outcome, ms_to_utc(record.timestamp), tp.partition, record.offset)
                )
                self.facilities.setdefault(tp, set()).add(outcome.facility_id)
                if tp in self.live:
                    touched.add(outcome.facility_id)
            fold_capacity(accepted, self.state)
        return touched

    def _newly_live(self, consumer: KafkaConsumer) -> set[str]:
        """Partitions whose replay just ended: evaluate all their facilities once."""
        touched: set[str] = set()
        for tp, end in self.replay_until.items():
            if tp not in self.live and consumer.position(tp) >= end:
                self.live.add(tp)
                touched |= self.facilities.get(tp, set())
        self.live &= set(self.replay_until)
        return touched

    def _evaluate(self, facilities: set[str]) -> int:
        now = self.clock()
        events: list[Event] = []
        for facility_id in sorted(facilities):
            wanted = wanted_alerts(
                self.state,
                facility_id,
                now,
                threshold=self.settings.occupancy_alert_threshold,
                stale_after=self.settings.stale_after,
            )
            events += transitions(wanted, self.open.of(facility_id), facility_id, now)
        if events:
            self.publish(events)
            self.open.apply(events)
            for event in events:
                log.info("%s %s", event.type, event.alert_id)  # type: ignore[attr-defined]
        return len(events)
