"""The placements processor: a consumer group member that puts lapsed requests and holds on the
log, so that a lapse is an event every replica reproduces, not a guess each page makes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition

from bedboard.settings import Settings
from consumers.cases import CasesState, Lapse, due_lapses, fold_cases
from consumers.rules import Accepted, ms_to_utc
from schemas.events import Actor, Event
from schemas.events_v2 import PlacementLapsed
from schemas.records import Rejection, check

log = logging.getLogger(__name__)

POLL_MS = 500
ACTOR = Actor(org="system", user="bedboard-placements")
GROUP = "placements-processor"

Clock = Callable[[], datetime]
Publish = Callable[[Sequence[Event]], Any]


class _FromStart(ConsumerRebalanceListener):  # type: ignore[misc]
    """The member that gets the partition reads it whole from its start (on the IO thread: it
    must not block, so the main loop asks for the end offsets)."""

    def __init__(self, processor: LapseProcessor, consumer: KafkaConsumer) -> None:
        self.processor, self.consumer = processor, consumer

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.processor.assigned, self.processor.ends = [], None

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        for tp in assigned:
            self.consumer.seek_to_beginning(tp)
        self.processor.state = CasesState()
        self.processor.assigned, self.processor.ends = list(assigned), None


@dataclass
class LapseProcessor:
    """Folds the placements topic from its start; once caught up, publishes what is due."""

    settings: Settings
    publish: Publish
    clock: Clock = field(default=lambda: datetime.now(UTC))
    state: CasesState = field(default_factory=CasesState)
    sent: set[str] = field(default_factory=set)  # event ids published, until read back
    assigned: list[TopicPartition] = field(default_factory=list)
    ends: dict[TopicPartition, int] | None = None  # where the replay of the history ends

    @property
    def group_id(self) -> str:
        return self.settings.topic(GROUP)

    def run(self, stop: threading.Event, *, until_caught_up: bool = False) -> int:
        """Publish lapses until stopped (or until caught up once); returns how many."""
        consumer = KafkaConsumer(
            **self.settings.kafka_options(),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        # A group of its own: of several processors, the one given the (single) partition
        # decides. It reads the topic whole on assignment: the fold needs all of it, its own
        # lapses included, which is how a restart knows what it already published.
        consumer.subscribe([self.settings.topic("placements")], listener=_FromStart(self, consumer))
        published = 0
        try:
            while not stop.is_set():
                self._fold(consumer.poll(timeout_ms=POLL_MS))
                if self.assigned and self.ends is None:
                    self.ends = consumer.end_offsets(self.assigned)
                if not self.ends or any(consumer.position(tp) < e for tp, e in self.ends.items()):
                    continue  # still replaying: what is due is decided on the whole history
                published += self._publish_due()
                if until_caught_up:
                    break
        finally:
            consumer.close(autocommit=False)
        return published

    def _fold(self, polled: dict[TopicPartition, list[Any]]) -> None:
        for tp, records in polled.items():
            accepted = []
            for record in records:
                outcome = check(record.value, ms_to_utc(record.timestamp))
                if isinstance(outcome, Rejection):
                    continue  # the roll-up puts bad records in the DLQ; here they change nothing
                accepted.append(
                    Accepted(outcome, ms_to_utc(record.timestamp), tp.partition, record.offset)
                )
            fold_cases(accepted, self.state)

    def _publish_due(self) -> int:
        due = [
            lapse
            for lapse in due_lapses(
                self.state.placements.values(),
                self.clock(),
                answer_within=self.settings.answer_within,
                hold_for=self.settings.hold_for,
            )
            if str(lapse.event_id) not in self.state.seen | self.sent
        ]
        if not due:
            return 0
        events = [self._event(lapse) for lapse in due]
        self.publish(events)
        self.sent |= {str(e.event_id) for e in events}
        for lapse in due:
            log.info("placement.lapsed %s %s", lapse.lapse, lapse.placement_id)
        return len(events)

    def _event(self, lapse: Lapse) -> PlacementLapsed:
        within = self.settings.answer_within if lapse.lapse == "answer" else self.settings.hold_for
        return PlacementLapsed(
            type="placement.lapsed",
            version=2,
            event_id=lapse.event_id,
            occurred_at=self.clock(),
            actor=ACTOR,
            placement_id=lapse.placement_id,  # type: ignore[arg-type]
            facility_id=lapse.facility_id,
            lapse=lapse.lapse,  # type: ignore[arg-type]
            after_s=int(within.total_seconds()),
        )
