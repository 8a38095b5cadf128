"""Reading a topic back in tests, from its first record, polling with a deadline."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from bedboard.settings import Settings


def topic_records(
    settings: Settings, short: str, count: int | None = None, within: float = 30
) -> list[ConsumerRecord]:
    """A topic's records from the start: `count` of them, or all there were when asked.

    Polls until they are there; raises when `within` seconds pass first.
    """
    consumer = KafkaConsumer(**settings.kafka_options(), group_id=None, enable_auto_commit=False)
    try:
        tp = TopicPartition(settings.topic(short), 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        wanted = consumer.end_offsets([tp])[tp] if count is None else count
        found: list[ConsumerRecord] = []
        deadline = time.monotonic() + within
        while len(found) < wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {wanted} records on {tp.topic} in {within} s")
            for batch in consumer.poll(timeout_ms=500).values():
                found.extend(batch)
        return found
    finally:
        consumer.close()
