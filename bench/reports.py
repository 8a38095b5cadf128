"""Valid `capacity.reported` events, pre-encoded, and a raw producer that gets them in fast."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from kafka import KafkaProducer

from bedboard.settings import Settings
from schemas.events import CapacityReported, parse_event

JST = timezone(timedelta(hours=9))
# The eight bed types a national board follows; a report names about four of them.
BED_TYPES = (
    "adult_icu",
    "hcu",
    "emergency",
    "medical_surgical",
    "pediatrics",
    "neonatal_icu",
    "negative_flow_isolation",
    "other_isolation",
)
LINES_PER_REPORT = 4
ACCEPTING = ("open", "open", "open", "limited", "closed")


def facility_id(number: int) -> str:
    return f"BN-{number:05d}"


def report(
    number: int, facility: int, occurred_at: datetime, *, usable_bonus: int = 0
) -> dict[str, Any]:
    """Report `number` of a facility: four of the eight bed types, counts that vary."""
    beds = []
    for k in range(LINES_PER_REPORT):
        # Steps of 2 through 8 types: the four are distinct, and successive reports rotate.
        kind = (number + 2 * k) % len(BED_TYPES)
        usable = 20 + (facility * 7 + kind * 13) % 180 + usable_bonus
        occupied = usable * ((number * 37 + kind * 11) % 101) // 100
        beds.append({"bed_type": BED_TYPES[kind], "usable": usable, "occupied": occupied})
    return {
        "type": "capacity.reported",
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": occurred_at.astimezone(JST).isoformat(timespec="seconds"),
        "actor": {"org": "hospital", "user": "bench"},
        "facility_id": facility_id(facility),
        "accepting": ACCEPTING[number % len(ACCEPTING)],
        "beds": beds,
    }


def encode(event: dict[str, Any]) -> tuple[bytes, bytes]:
    """(key, value) as the contract wants them: the facility id, compact UTF-8 JSON."""
    value = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    return event["facility_id"].encode(), value


def history(count: int, facilities: int, end: datetime, span: timedelta) -> Iterator[dict]:
    """`count` reports spread evenly over `span` up to `end`, round-robin over the facilities."""
    start = end - span
    step = span / max(count, 1)
    for number in range(count):
        yield report(number, number % facilities, start + step * number)


def check_sample(events: Iterable[dict[str, Any]], every: int) -> int:
    """Validate every n-th event against the contract; a generator bug must not go unnoticed."""
    checked = 0
    for number, event in enumerate(events):
        if number % every == 0:
            if not isinstance(parse_event(event), CapacityReported):
                raise AssertionError(f"not a capacity report: {event}")
            checked += 1
    return checked


def fast_producer(settings: Settings) -> KafkaProducer:
    """Big batches, one acknowledgement: loading a topic, not the product's publish path."""
    return KafkaProducer(
        **settings.kafka_options(),
        acks=1,
        enable_idempotence=False,
        linger_ms=20,
        batch_size=1024 * 1024,
        max_request_size=8 * 1024 * 1024,
    )


def produce(settings: Settings, records: Iterable[tuple[bytes, bytes]], topic: str) -> int:
    """Send (key, value) records to a topic and wait for all; returns how many."""
    producer = fast_producer(settings)
    sent = 0
    try:
        full = settings.topic(topic)
        for key, value in records:
            producer.send(full, value=value, key=key)
            sent += 1
        producer.flush()
    finally:
        producer.close()
    return sent
