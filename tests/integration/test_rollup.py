"""The roll-up against a real broker: the rules of design.md "Time", restarts, the live replica."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bedboard.settings import Settings
from consumers.queries import board, state
from consumers.replica import LiveReplica
from consumers.rollup import Rollup, TopicsMissing
from consumers.rules import Accepted, fold_capacity, ms_to_utc
from consumers.store import Store, connect
from producers.publisher import Publisher
from schemas.events import Event
from schemas.records import Rejection, check
from tests.factories import beds, capacity, event
from tests.kafka_log import topic_records
from tests.local_kafka import on_session_broker

NOW = datetime.now(UTC).replace(microsecond=0)


def capacity_log(settings: Settings) -> list[Accepted]:
    """The capacity topic as the broker holds it, checked like the roll-up checks it."""
    found = []
    for r in topic_records(settings, "capacity"):
        outcome = check(r.value, ms_to_utc(r.timestamp))
        if not isinstance(outcome, Rejection):
            found.append(Accepted(outcome, ms_to_utc(r.timestamp), r.partition, r.offset))
    return found


def publish(settings: Settings, *events: Event) -> None:
    with Publisher(settings) as publisher:
        receipt = publisher.publish(list(events))
    assert receipt.status == "live", receipt


def roll(settings: Settings, db: Path) -> int:
    con = connect(db)
    try:
        return Rollup(settings, Store(con)).run(threading.Event(), until_caught_up=True)
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_roll_up_follows_the_time_rules_and_applies_nothing_twice(
    settings: Settings, tmp_path: Path
) -> None:
    db = tmp_path / "replica.duckdb"
    nine, eight = NOW - timedelta(hours=1), NOW - timedelta(hours=2)
    half_past = NOW - timedelta(minutes=30)
    first = capacity("HJ-0001", nine, beds=beds(adult_icu=(12, 11), hcu=(6, 2)))
    publish(
        settings,
        event(
            "facility.registered",
            eight,
            facility_id="HJ-0001",
            name={"ja": "八王子中央病院"},
            kind="hospital",
            district="八王子市",
        ),
        first,
        capacity("HJ-0001", eight, beds=beds(adult_icu=(12, 3))),  # late: history only
        capacity("HJ-0001", half_past, beds=beds(hcu=(6, 6))),  # partial: hcu only
        capacity("HJ-0099", nine, beds=beds(burn=(2, 1))),  # an unregistered source
    )
    # The same event id again, with other numbers: the first one stands.
    repeat = json.loads(first.model_dump_json()) | {
        "beds": [{"bed_type": "adult_icu", "usable": 1, "occupied": 1}]
    }
    with Publisher(settings) as publisher:
        publisher.send_raw("capacity", b"HJ-0001", json.dumps(repeat).encode())

    assert roll(settings, db) == 6
    con = connect(db, read_only=True)
    rows = {(r["facility_id"], r["bed_type"]): r for r in board(con.cursor()).to_pylist()}
    con.close()
    assert {k: (r["usable"], r["occupied"]) for k, r in rows.items()} == {
        ("HJ-0001", "adult_icu"): (12, 11),
        ("HJ-0001", "hcu"): (6, 6),
        ("HJ-0099", "burn"): (2, 1),
    }
    assert (
        rows[("HJ-0001", "hcu")]["registered"]
        and rows[("HJ-0001", "hcu")]["name_ja"] == "八王子中央病院"
    )
    assert not rows[("HJ-0099", "burn")]["registered"]  # listed as an unregistered source
    assert query(
        db, "SELECT topic, read, applied, duplicates, rejected FROM ingest_counts ORDER BY 1"
    ) == [
        ("capacity", 5, 4, 1, 0),
        ("facilities", 1, 1, 0, 0),
    ]

    # A restart reads on from the stored offsets: nothing is applied twice.
    assert roll(settings, db) == 0
    publish(settings, capacity("HJ-0001", NOW, beds=beds(adult_icu=(12, 12))))
    assert roll(settings, db) == 1
    assert query(db, "SELECT count(*) FROM capacity_reports") == [(5,)]
    assert query(
        db, "SELECT read, applied, duplicates FROM ingest_counts WHERE topic = 'capacity'"
    ) == [(6, 5, 1)]
    assert query(
        db,
        "SELECT usable, occupied FROM current_beds "
        "WHERE bed_type = 'adult_icu' AND facility_id = 'HJ-0001'",
    ) == [(12, 12)]

    # As-of queries on the replica agree with the reference fold over the same log.
    log = capacity_log(settings)
    con = connect(db, read_only=True)
    for as_of in (eight, nine, NOW - timedelta(minutes=45), NOW):
        for known_at in (log[2].ingested_at, NOW + timedelta(hours=1)):
            reference = fold_capacity(log, as_of=as_of, known_at=known_at)
            got = state(con.cursor(), as_of, known_at, timedelta(hours=6)).to_pylist()
            assert {
                (r["facility_id"], r["bed_type"]): (r["usable"], r["occupied"]) for r in got
            } == {k: (v.usable, v.occupied) for k, v in reference.lines.items()}, (as_of, known_at)
    con.close()


def test_placements_notices_and_alerts_are_rolled_up(settings: Settings, tmp_path: Path) -> None:
    pid, nid = str(uuid.uuid4()), str(uuid.uuid4())
    publish(
        settings,
        event(
            "placement.requested",
            NOW - timedelta(minutes=20),
            placement_id=pid,
            facility_id="HJ-0003",
            bed_type="adult_icu",
            patient={"age_band": "80-89", "severity": "moderate", "needs": ["oxygen"]},
        ),
        event(
            "placement.responded",
            NOW - timedelta(minutes=10),
            placement_id=pid,
            facility_id="HJ-0003",
            decision="accepted",
        ),
        event(
            "notice.posted",
            NOW - timedelta(minutes=5),
            notice_id=nid,
            severity="info",
            title="訓練",
            body="",
        ),
        event(
            "alert.raised",
            NOW - timedelta(minutes=1),
            alert_id="HJ-0003:not_accepting",
            facility_id="HJ-0003",
            kind="not_accepting",
            detail={"accepting": "closed"},
        ),
    )
    db = tmp_path / "replica.duckdb"
    assert roll(settings, db) == 4
    assert query(db, "SELECT status, facility_id FROM placements") == [("accepted", "HJ-0003")]
    assert query(db, "SELECT title, withdrawn_at FROM notices") == [("訓練", None)]
    assert query(db, "SELECT alert_id, kind, cleared_at FROM alerts") == [
        ("HJ-0003:not_accepting", "not_accepting", None)
    ]
    publish(settings, event("notice.withdrawn", NOW, notice_id=nid))
    assert roll(settings, db) == 1
    assert query(db, "SELECT withdrawn_at IS NOT NULL FROM notices") == [(True,)]


def test_missing_topics_are_named(broker: str, broker_credentials: Path, tmp_path: Path) -> None:
    bare = on_session_broker(
        broker, broker_credentials, tmp_path, topic_prefix=f"none{uuid.uuid4().hex[:6]}."
    )
    con = connect(tmp_path / "r.duckdb")
    with pytest.raises(TopicsMissing, match="bedboard topics"):
        Rollup(bare, Store(con)).run(threading.Event(), until_caught_up=True)
    con.close()


def poll_until(found: Any, within: float = 60) -> Any:
    """Ask `found()` again every tenth of a second until it answers or time runs out."""
    deadline, tick = time.monotonic() + within, threading.Event()
    while not (answer := found()) and time.monotonic() < deadline:
        tick.wait(0.1)
    return answer


def test_a_live_replica_keeps_up_and_reports_its_health(settings: Settings, tmp_path: Path) -> None:
    replica = LiveReplica(settings, tmp_path / "live.duckdb").start()
    try:
        publish(settings, capacity("HJ-0005", NOW, beds=beds(hcu=(4, 3))))
        rows = poll_until(
            lambda: replica.cursor().execute("SELECT usable, occupied FROM current_beds").fetchall()
        )
        assert rows == [(4, 3)]
        assert poll_until(lambda: replica.health.lag == 0 and replica.health.connected)
        assert replica.health.error is None
        assert replica.health.last_ingest is not None
    finally:
        replica.stop()
