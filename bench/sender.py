"""Processes for the live measures: a paced sender of reports, and a bare watcher (the baseline).

    python -m bench.sender send --rate R --seconds S --out FILE
    python -m bench.sender watch --count N --seconds S --out FILE

Times are CLOCK_MONOTONIC nanoseconds, the same clock in every process of this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bedboard.settings import Settings
from bench.core import now_utc
from bench.env import settings_from_env
from bench.reports import encode, report
from bench.reports import fast_producer as _fast_producer

FACILITIES = 8_000


def product_producer(settings: Settings) -> Any:
    """The producer as the product configures it (acks, linger), so send-to-ack is realistic."""
    try:
        from producers.publisher import make_producer
    except ImportError:  # the publisher is not written yet: its defaults, acks from all replicas
        return _fast_producer(settings)
    return make_producer(settings)


def send(
    settings: Settings, rate: float, seconds: float, *, usable_bonus: int = 0
) -> list[tuple[str, int]]:
    """Send `rate` reports a second for `seconds`; the event id and send time of each."""
    producer = product_producer(settings)
    topic = settings.topic("capacity")
    count = int(rate * seconds)
    pace = threading.Event()  # never set: its wait() is the pacing between sends
    sent: list[tuple[str, int]] = []
    start = time.monotonic()
    try:
        for number in range(count):
            ahead = start + number / rate - time.monotonic()
            if ahead > 0:
                pace.wait(ahead)
            event = report(number, number % FACILITIES, now_utc(), usable_bonus=usable_bonus)
            key, value = encode(event)
            sent.append((event["event_id"], time.monotonic_ns()))
            producer.send(topic, value=value, key=key)
        producer.flush()
    finally:
        producer.close()
    return sent


def watch(settings: Settings, count: int, seconds: float, ready: Path | None) -> dict[str, int]:
    """Read the capacity topic with a bare consumer; when each event id arrived."""
    from bench.loops import rollup_consumer  # the same client settings as the roll-up

    consumer = rollup_consumer(settings)
    seen: dict[str, int] = {}
    try:
        from kafka import TopicPartition

        topic = settings.topic("capacity")
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        consumer.poll(timeout_ms=0)  # connect and fetch metadata before the sender starts
        if ready is not None:
            ready.write_text("ready\n")
        deadline = time.monotonic() + seconds
        while len(seen) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=100).values():
                arrived = time.monotonic_ns()
                for record in records:
                    seen[json.loads(record.value)["event_id"]] = arrived
    finally:
        consumer.close()
    return seen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sender")
    p.add_argument("role", choices=["send", "watch"])
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--usable-bonus", type=int, default=0)
    p.add_argument("--ready", type=Path, default=None)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    settings = settings_from_env()
    if args.role == "send":
        result: Any = send(settings, args.rate, args.seconds, usable_bonus=args.usable_bonus)
    else:
        result = watch(settings, args.count, args.seconds, args.ready)
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
