"""Reading a topic back in tests, from its first record, polling with a deadline."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from bedboard.settings import Settings


def topic_records(
    settings: Settings, short: str, count: int | None = None, within: float = 30
) -> list[ConsumerRecord]:
    """A topic's records from the start, every partition: `count` of them, or all there were.

    Polls until they are there; raises when `within` seconds pass first. Records come in
    (partition, offset) order: each partition's log order, partition after partition.
    """
    consumer = KafkaConsumer(**settings.kafka_options(), group_id=None, enable_auto_commit=False)
    try:
        topic = settings.topic(short)
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        wanted = sum(consumer.end_offsets(tps).values()) if count is None else count
        found: list[ConsumerRecord] = []
        deadline = time.monotonic() + within
        while len(found) < wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {wanted} records on {topic} in {within} s")
            for batch in consumer.poll(timeout_ms=500).values():
                found.extend(batch)
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()
