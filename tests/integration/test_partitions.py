"""The roll-up over a three-partition capacity topic: per-partition offsets, the fold's state."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka import TopicPartition

from bedboard.admin import create_topics, end_offsets
from bedboard.settings import Settings
from bench.reports import encode, history, produce
from consumers.queries import state
from consumers.rollup import Rollup
from consumers.rules import Accepted, fold_capacity, ms_to_utc
from consumers.store import Store, connect
from schemas.records import Rejection, check
from schemas.topics import GROUP_PARTITIONS
from tests import replica_state
from tests.kafka_log import topic_records
from tests.local_kafka import on_session_broker

NOW = datetime.now(UTC).replace(microsecond=0)


def roll(settings: Settings, db: Path) -> int:
    con = connect(db)
    try:
        return Rollup(settings, Store(con)).run(threading.Event(), until_caught_up=True)
    finally:
        con.close()


def test_three_partitions_roll_up_to_the_fold_and_resume_per_partition(
    broker: str, broker_credentials: Path, tmp_path: Path
) -> None:
    prefix = f"p{uuid.uuid4().hex[:12]}."
    settings = on_session_broker(broker, broker_credentials, tmp_path, topic_prefix=prefix)
    create_topics(settings, partitions=3)
    db = tmp_path / "replica.duckdb"
    reports = list(history(900, 40, NOW - timedelta(minutes=1), timedelta(days=2)))
    produce(settings, (encode(r) for r in reports[:500]), "capacity")
    assert roll(settings, db) == 500

    # The same event ids again with other numbers (same key, so the same partition): the first
    # stands. And a record no one can read, which is refused, not lost.
    repeats = [r | {"beds": [{"bed_type": "hcu", "usable": 1, "occupied": 1}]} for r in reports[:5]]
    later = [encode(r) for r in reports[500:] + repeats] + [(b"BN-00001", b"{not json")]
    produce(settings, later, "capacity")
    assert roll(settings, db) == len(later)

    records = topic_records(settings, "capacity")
    assert {r.partition for r in records} == {0, 1, 2}
    log = []
    for r in records:  # each partition's log order; across partitions the fold needs none
        outcome = check(r.value, ms_to_utc(r.timestamp))
        if not isinstance(outcome, Rejection):
            log.append(Accepted(outcome, ms_to_utc(r.timestamp), r.partition, r.offset))
    ends = end_offsets(settings, [settings.topic("capacity")])
    con = connect(db, read_only=True)
    try:
        stored = con.execute(
            "SELECT partition, next_offset FROM offsets WHERE topic = ?",
            [settings.topic("capacity")],
        ).fetchall()
        assert dict(stored) == {tp.partition: end for tp, end in ends.items()}
        assert con.execute(
            "SELECT read, applied, duplicates, rejected FROM ingest_counts WHERE topic = 'capacity'"
        ).fetchall() == [(900 + 5 + 1, 900, 5, 1)]
        assert replica_state.current(con) == replica_state.folded(fold_capacity(log))
        for as_of in (NOW - timedelta(days=1), NOW):
            folded = fold_capacity(log, as_of=as_of)
            got = state(con.cursor(), as_of, NOW + timedelta(hours=1), timedelta(hours=6))
            assert {
                (r["facility_id"], r["bed_type"]): (r["usable"], r["occupied"])
                for r in got.to_pylist()
            } == {k: (v.usable, v.occupied) for k, v in folded.lines.items()}
    finally:
        con.close()


def test_alerts_have_several_partitions(settings: Settings) -> None:
    ends = end_offsets(settings, [settings.topic("alerts")])
    assert sorted(tp.partition for tp in ends) == list(range(GROUP_PARTITIONS))
    assert TopicPartition(settings.topic("capacity"), 1) not in end_offsets(
        settings, [settings.topic("capacity")]
    )
