"""Exactly once across crashes: SIGKILL `bedboard rollup` at random points, restart, compare."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from bedboard.settings import Settings
from consumers.queries import state
from consumers.rules import Accepted, fold_capacity, ms_to_utc
from consumers.store import connect
from producers.publisher import make_producer
from schemas.events import BED_TYPES
from schemas.records import Rejection, check
from tests import replica_state

ROOT = Path(__file__).resolve().parents[2]
BATCH = 10_000  # the roll-up's catch-up batch here (BEDBOARD_ROLLUP_BATCH)
EVENTS = 100_000  # ten full batches: room for kills between the roll-up's commits
KILLS = 3  # kills that land mid-stream, after some commits and before the last
ATTEMPTS = 20
SEED = int(os.environ.get("BEDBOARD_CRASH_SEED", random.randrange(1 << 30)))


def history(rng: random.Random, start: datetime) -> list[tuple[str, bytes]]:
    """Capacity reports as a city sends them in a surge: partial, late, repeated, some broken."""
    sent: list[tuple[str, bytes]] = []
    bodies: list[dict[str, Any]] = []
    for i in range(EVENTS):
        facility = f"HJ-{rng.randrange(1, 60):04d}"
        roll = rng.random()
        if roll < 0.04 and bodies:  # a retry of an earlier report, sometimes with other numbers
            body = dict(rng.choice(bodies))
            if rng.random() < 0.5:
                body["beds"] = [{"bed_type": "hcu", "usable": 9, "occupied": rng.randrange(10)}]
            sent.append((body["facility_id"], json.dumps(body).encode()))
            continue
        if roll < 0.05:
            sent.append((facility, rng.choice([b"{oops", b"[]", b'{"type": "capacity.x"}'])))
            continue
        late = timedelta(minutes=rng.randrange(0, 300)) if roll < 0.15 else timedelta()
        lines = rng.sample(BED_TYPES, rng.randrange(1, 4))
        body = {
            "type": "capacity.reported",
            "version": 1,
            "event_id": str(uuid.uuid4()),
            "occurred_at": (start + timedelta(seconds=i) - late).isoformat(),
            "actor": {"org": "hospital", "user": "sim"},
            "facility_id": facility,
            "beds": [
                {"bed_type": b, "usable": rng.randrange(50), "occupied": rng.randrange(60)}
                for b in lines
            ],
        }
        if rng.random() < 0.3:
            body["accepting"] = rng.choice(["open", "limited", "closed"])
        bodies.append(body)
        sent.append((facility, json.dumps(body).encode()))
    return sent


def produce(settings: Settings, records: list[tuple[str, bytes]]) -> None:
    producer = make_producer(settings, timeout=60, linger_ms=5, batch_size=256 * 1024)
    for key, value in records:
        producer.send(settings.topic("capacity"), value=value, key=key.encode())
    producer.flush(timeout=120)
    producer.close()


def reference(settings: Settings) -> tuple[list[Accepted], int, int]:
    """The topic as the broker holds it, with its ingest times: accepted, rejected, its end."""
    consumer = KafkaConsumer(**settings.kafka_options(), group_id=None, enable_auto_commit=False)
    tp = TopicPartition(settings.topic("capacity"), 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    end = consumer.end_offsets([tp])[tp]
    accepted, rejected = [], 0
    while consumer.position(tp) < end:
        for records in consumer.poll(timeout_ms=500, max_records=10_000).values():
            for r in records:
                ingested = ms_to_utc(r.timestamp)
                outcome = check(r.value, ingested)
                if isinstance(outcome, Rejection):
                    rejected += 1
                else:
                    accepted.append(Accepted(outcome, ingested, r.partition, r.offset))
    consumer.close()
    return accepted, rejected, end


def rollup(settings: Settings, db: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        # Many commits in a run, so that kills land between them as well as before the first.
        "BEDBOARD_ROLLUP_BATCH": str(BATCH),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bedboard", "rollup", "--db", str(db), *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def footprint(db: Path) -> tuple[int, ...]:
    """Sizes and times of the replica and its WAL: they change with every commit."""
    marks: list[int] = []
    for path in (db, db.with_name(db.name + ".wal")):
        try:
            info = path.stat()
            marks += [info.st_size, info.st_mtime_ns]
        except FileNotFoundError:
            marks += [-1, -1]
    return tuple(marks)


def kill_after_changes(process: subprocess.Popen[bytes], db: Path, changes: int) -> bool:
    """SIGKILL the roll-up once its files have changed `changes` times; False if it finished."""
    seen, last = 0, footprint(db)
    deadline = time.monotonic() + 300
    while seen < changes:
        assert time.monotonic() < deadline, "the roll-up neither progressed nor finished"
        try:
            process.wait(timeout=0.005)  # the poll interval; returns at once if it ended
            return False
        except subprocess.TimeoutExpired:
            pass
        now = footprint(db)
        seen, last = seen + (now != last), now
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return True


def test_sigkill_at_random_points_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    start = datetime.now(UTC) - timedelta(days=1)
    produce(settings, history(rng, start))
    accepted, rejected, end = reference(settings)
    assert end == EVENTS
    db = tmp_path / "replica.duckdb"

    progress: list[int] = []
    for _ in range(ATTEMPTS):  # until enough kills landed; a run may finish before its kill
        run = rollup(settings, db, "--until-caught-up")
        if kill_after_changes(run, db, rng.randrange(1, 5)):
            progress.append(replica_state.reconciled(db))
        if sum(0 < read < EVENTS for read in progress) >= KILLS:
            break
    assert sum(0 < read < EVENTS for read in progress) >= KILLS, f"{progress}, seed {SEED}"
    final = rollup(settings, db, "--until-caught-up")
    assert final.wait(timeout=600) == 0, f"seed {SEED}"

    want = fold_capacity(accepted)
    con = connect(db, read_only=True)
    try:
        tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()
        if tables == [(0,)]:  # killed before its first commit: an empty file is consistent too
            return 0
        counts = con.execute(
            "SELECT read, applied, duplicates, rejected FROM ingest_counts"
        ).fetchall()
        assert counts == [(EVENTS, want.applied, want.duplicates, rejected)], f"seed {SEED}"
        assert con.execute(
            "SELECT next_offset FROM offsets WHERE topic LIKE '%capacity'"
        ).fetchall() == [(EVENTS,)]
        assert con.execute("SELECT count(*) FROM capacity_reports").fetchall() == [(want.applied,)]
        assert con.execute("SELECT count(*) FROM rejected").fetchall() == [(rejected,)]
        beds = con.execute(
            "SELECT facility_id, bed_type, usable, occupied, event_id FROM current_beds"
        ).fetchall()
        assert {(f, b): (u, o, e) for f, b, u, o, e in beds} == {
            k: (v.usable, v.occupied, v.event_id) for k, v in want.lines.items()
        }, f"seed {SEED}"
        status = con.execute("SELECT facility_id, field, value FROM current_status").fetchall()
        assert {(f, n): v for f, n, v in status} == want.status
        for hours in (2, 6, 12, 30):
            as_of = start + timedelta(hours=hours)
            past = fold_capacity(accepted, as_of=as_of)
            rows = state(con.cursor(), as_of, datetime.now(UTC), timedelta(hours=6)).to_pylist()
            assert {
                (r["facility_id"], r["bed_type"]): (r["usable"], r["occupied"]) for r in rows
            } == {k: (v.usable, v.occupied) for k, v in past.lines.items()}, (
                f"as of {as_of}, seed {SEED}"
            )
    finally:
        con.close()
