"""The replay baselines, each run as its own process: a bare consume loop and a naive roll-up.

python -m bench.loops bare                 # read the capacity topic to its end, do nothing
python -m bench.loops naive --limit N --db FILE   # validate, then insert row by row
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from bedboard.settings import Settings
from bench.env import settings_from_env
from consumers.rollup import POLL_MS, Rollup
from consumers.rules import ms_to_utc
from consumers.schema import connect
from schemas.events import CapacityReported
from schemas.records import check


def rollup_consumer(settings: Settings) -> KafkaConsumer:
    """A consumer with exactly the roll-up's client settings, so the baseline is like for like."""
    return Rollup(settings, store=None)._consumer()  # type: ignore[arg-type]


def _capacity_partitions(consumer: KafkaConsumer, settings: Settings) -> dict[TopicPartition, int]:
    topic = settings.topic("capacity")
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(partitions)
    for tp in partitions:
        consumer.seek_to_beginning(tp)
    return consumer.end_offsets(partitions)


def bare(settings: Settings, limit: int | None) -> int:
    """Poll as the roll-up does and only count the records: the ceiling for any consumer."""
    consumer = rollup_consumer(settings)
    try:
        ends = _capacity_partitions(consumer, settings)
        wanted = sum(ends.values()) if limit is None else min(limit, sum(ends.values()))
        read = 0
        while read < wanted:
            for records in consumer.poll(
                timeout_ms=POLL_MS, max_records=settings.rollup_batch
            ).values():
                read += len(records)
    finally:
        consumer.close()
    return read


NAIVE_LINE = """
INSERT INTO current_beds (facility_id, bed_type, usable, occupied, occurred_at, ingested_at,
                          src_partition, src_offset, event_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (facility_id, bed_type) DO UPDATE SET
    usable = excluded.usable, occupied = excluded.occupied, occurred_at = excluded.occurred_at,
    ingested_at = excluded.ingested_at, src_partition = excluded.src_partition,
    src_offset = excluded.src_offset, event_id = excluded.event_id
WHERE (excluded.occurred_at, excluded.ingested_at) > (current_beds.occurred_at,
       current_beds.ingested_at)
"""


def naive(settings: Settings, limit: int | None, db: str) -> int:
    """The same checks, then one INSERT per report, per line and per offset, each committed."""
    consumer = rollup_consumer(settings)
    con = connect(db)
    try:
        ends = _capacity_partitions(consumer, settings)
        wanted = sum(ends.values()) if limit is None else min(limit, sum(ends.values()))
        read = 0
        while read < wanted:
            for tp, records in consumer.poll(
                timeout_ms=POLL_MS, max_records=settings.rollup_batch
            ).items():
                for record in records[: wanted - read]:
                    _apply_one(con, tp, record)
                    read += 1
    finally:
        consumer.close()
        con.close()
    return read


def _apply_one(con: Any, tp: TopicPartition, record: Any) -> None:
    ingested = ms_to_utc(record.timestamp)
    event = check(record.value, ingested)
    if not isinstance(event, CapacityReported):
        raise SystemExit(f"the bench topic holds a record that is not a valid report: {event}")
    at, ingest = event.occurred_at, ingested
    where = (at, ingest, tp.partition, record.offset)
    con.execute("INSERT INTO seen_events VALUES (?, ?)", [str(event.event_id), "capacity"])
    con.execute(
        "INSERT INTO capacity_reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [str(event.event_id), event.facility_id, *where, event.accepting, event.ed_status,
         event.note, event.actor.org, event.actor.user, len(event.beds)],
    )  # fmt: skip
    for bed in event.beds:
        line = [str(event.event_id), event.facility_id, bed.bed_type, bed.usable, bed.occupied]
        con.execute(
            "INSERT INTO capacity_lines (event_id, facility_id, bed_type, usable, occupied, "
            "occurred_at, ingested_at, src_partition, src_offset) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            line + [*where],
        )
        con.execute(NAIVE_LINE, [*line[1:], *where, str(event.event_id)])
    con.execute(
        "INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)",
        [tp.topic, tp.partition, record.offset + 1],
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.loops")
    p.add_argument("loop", choices=["bare", "naive"])
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--db", default=":memory:")
    args = p.parse_args(argv)
    settings = settings_from_env()
    # Timed in here, without interpreter start-up: that favours the baselines, never the roll-up.
    start = time.perf_counter()
    read = (
        bare(settings, args.limit) if args.loop == "bare" else naive(settings, args.limit, args.db)
    )
    seconds = time.perf_counter() - start
    sys.stdout.write(json.dumps({"read": read, "seconds": seconds}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
