"""Alerts derived from the capacity stream: pure rules, and the consumer group that applies them."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition

from bedboard.settings import Settings
from consumers.rules import (
    Accepted,
    CapacityState,
    Rejection,
    check,
    fold_capacity,
    ms_to_utc,
    occupancy_rate,
)
from schemas.events import Actor, AlertCleared, AlertRaised, CapacityReported, Event

log = logging.getLogger(__name__)

ACTOR = Actor(org="system", user="bedboard-alerts")
# Event ids are derived, not random: the same transition decided twice (say, after a crash
# before the offsets were committed) has the same id, and every replica ignores the repeat.
NAMESPACE = uuid.UUID("5f0c4a63-0a7e-4d8e-9a52-6c1f4c1b7a10")
POLL_MS = 500
STALE_CHECK_S = 30.0

Clock = Callable[[], datetime]
Publish = Callable[[Sequence[Event]], Any]


@dataclass(frozen=True)
class Wanted:
    """An alert that the current state says should be open."""

    alert_id: str
    facility_id: str
    kind: str
    detail: dict[str, Any]
    cause: str  # what made it true: the line's event id, a status position, a stale deadline


def alert_id(facility_id: str, kind: str, bed_type: str | None = None) -> str:
    """`<facility>:<kind>[:<bed_type>]`: one id per thing that can be wrong."""
    return f"{facility_id}:{kind}:{bed_type}" if bed_type else f"{facility_id}:{kind}"


def wanted_alerts(
    state: CapacityState,
    facility_id: str,
    now: datetime,
    *,
    threshold: float,
    stale_after: timedelta,
) -> dict[str, Wanted]:
    """The alerts one facility should have open now, from its current (newest) state."""
    wanted: dict[str, Wanted] = {}

    def want(kind: str, detail: dict[str, Any], cause: str, bed_type: str | None = None) -> None:
        key = alert_id(facility_id, kind, bed_type)
        wanted[key] = Wanted(key, facility_id, kind, detail, cause)

    for (facility, bed_type), line in state.lines.items():
        if facility != facility_id:
            continue
        facts = {
            "bed_type": bed_type,
            "usable": line.usable,
            "occupied": line.occupied,
            "reported_at": line.occurred_at.isoformat(),
        }
        rate = occupancy_rate(line.usable, line.occupied)
        if rate is not None and rate >= threshold:
            detail = facts | {"occupancy_rate": rate, "threshold": threshold}
            want("occupancy_high", detail, line.event_id, bed_type)
        if line.occupied > line.usable:
            want("over_capacity", facts, line.event_id, bed_type)
    if state.status.get((facility_id, "accepting")) == "closed":
        at, _, partition, offset = state.status_order[(facility_id, "accepting")]
        detail = {"accepting": "closed", "reported_at": at.isoformat()}
        want("not_accepting", detail, f"{partition}:{offset}")
    last = state.last_report(facility_id)
    if last is not None and now - last > stale_after:
        detail = {
            "last_report": last.isoformat(),
            "stale_after_s": int(stale_after.total_seconds()),
        }
        want("stale_report", detail, f"stale:{last.isoformat()}")
    return wanted


def transitions(
    wanted: dict[str, Wanted], open_now: dict[str, Opened], facility_id: str, now: datetime
) -> list[Event]:
    """alert.raised for what should be open and is not; alert.cleared for the reverse."""
    events: list[Event] = []
    for key, alert in sorted(wanted.items()):
        if key not in open_now:
            events.append(
                AlertRaised(
                    type="alert.raised",
                    version=1,
                    event_id=uuid.uuid5(NAMESPACE, f"{key}|raised|{alert.cause}"),
                    occurred_at=now,
                    actor=ACTOR,
                    alert_id=key,
                    facility_id=facility_id,
                    kind=alert.kind,  # type: ignore[arg-type]
                    detail=alert.detail,
                )
            )
    for key, opened in sorted(open_now.items()):
        if key not in wanted:
            events.append(
                AlertCleared(
                    type="alert.cleared",
                    version=1,
                    # One clear per raise, whoever decides it and however often.
                    event_id=uuid.uuid5(NAMESPACE, f"{key}|cleared|{opened.raised_by}"),
                    occurred_at=now,
                    actor=ACTOR,
                    alert_id=key,
                    facility_id=facility_id,
                    kind=opened.kind,  # type: ignore[arg-type]
                    detail={},
                )
            )
    return events


@dataclass(frozen=True)
class Opened:
    """An open alert: its kind and the event id of the raise that opened it."""

    kind: str
    raised_by: str


@dataclass
class OpenAlerts:
    """Which alerts are open, per facility: derived from the alerts topic itself."""

    by_facility: dict[str, dict[str, Opened]] = field(default_factory=dict)

    def apply(self, events: Iterable[Event]) -> None:
        """Raises open, clears close, in log order."""
        for event in events:
            if isinstance(event, AlertRaised) and event.facility_id:
                opened = Opened(event.kind, str(event.event_id))
                self.by_facility.setdefault(event.facility_id, {})[event.alert_id] = opened
            elif isinstance(event, AlertCleared) and event.facility_id:
                self.by_facility.get(event.facility_id, {}).pop(event.alert_id, None)

    def of(self, facility_id: str) -> dict[str, Opened]:
        return dict(self.by_facility.get(facility_id, {}))


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
