"""Bad records on a real topic: each goes to the DLQ and the rejected table; the counts add up."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from bedboard.settings import Settings
from consumers.rollup import Rollup
from consumers.store import Store, connect
from producers.publisher import Publisher
from tests import factories
from tests.factories import beds, capacity_body

ROOT = Path(__file__).resolve().parents[2]


def report(facility: str = "HJ-0001", occurred_at: datetime | None = None, **extra: Any) -> bytes:
    """A capacity report's bytes, five minutes old unless told otherwise."""
    at = occurred_at or datetime.now(UTC) - timedelta(minutes=5)
    return factories.raw(capacity_body(facility, at, beds=beds(adult_icu=(12, 7))) | extra)


# (what, raw bytes, reason): one of each kind of bad record, between good ones.
BAD: list[tuple[str, bytes | None, str]] = [
    ("too large", report(note="x" * 70_000), "too_large"),
    ("not utf-8", b'{"type": "capacity.reported", "note": "\xff"}', "invalid_json"),
    ("broken json", b'{"type": "capacity.reported",', "invalid_json"),
    ("an array", b"[1, 2, 3]", "invalid_json"),
    ("no value", None, "invalid_json"),
    ("unknown type", report(type="capacity.guessed"), "schema"),
    ("bad count", report(beds=[{"bed_type": "hcu", "usable": -3, "occupied": 0}]), "schema"),
    (
        "from the future",
        report(occurred_at=datetime.now(UTC) + timedelta(hours=2)),
        "future_timestamp",
    ),
]


def env_of(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        "BEDBOARD_LANG": "en",
    }


def bedboard(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bedboard", *args],
        env=env_of(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def send_all(settings: Settings, values: list[bytes | None]) -> None:
    with Publisher(settings) as publisher:
        for value in values:
            publisher.send_raw("capacity", b"HJ-0001", value)  # type: ignore[arg-type]


def read_all(settings: Settings, short: str, count: int, within: float = 60) -> list[Any]:
    """The first `count` records of a topic, polling until they are there or time runs out."""
    consumer = KafkaConsumer(**settings.kafka_options(), group_id=None, enable_auto_commit=False)
    try:
        tp = TopicPartition(settings.topic(short), 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        found: list[Any] = []
        deadline = time.monotonic() + within
        while len(found) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                found.extend(records)
        return found
    finally:
        consumer.close()


def test_bad_records_go_to_the_dlq_and_the_rejected_table_and_reconcile(
    settings: Settings, tmp_path: Path
) -> None:
    values: list[bytes | None] = [report(facility="HJ-0001")]
    for _, raw, _ in BAD:
        values += [raw, report(facility="HJ-0002")]  # the consumer goes on after each
    send_all(settings, values)
    db = tmp_path / "replica.duckdb"

    done = bedboard(settings, "rollup", "--until-caught-up", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert f"rolled up {len(values)} records" in done.stdout

    shown = bedboard(settings, "status", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split("\n")[2].split() == ["capacity", "17", "9", "0", "8", "yes"]
    assert "rejected on capacity: 4 × invalid_json" in shown.stdout
    assert "rejected on capacity: 2 × schema" in shown.stdout

    con = connect(db, read_only=True)
    rejected = con.execute(
        'SELECT "offset", reason, detail, detail_ja, raw FROM rejected ORDER BY 1'
    ).fetchall()
    (beds,) = con.execute("SELECT count(*) FROM capacity_reports").fetchall()[0]
    con.close()
    assert beds == 9
    assert [(o, r) for o, r, *_ in rejected] == [
        (1 + 2 * i, reason) for i, (_, _, reason) in enumerate(BAD)
    ]
    for (_, raw, _), (_, _, detail, detail_ja, stored) in zip(BAD, rejected, strict=True):
        assert stored == raw
        assert detail and detail_ja

    dlq = read_all(settings, "dlq", len(BAD))
    assert len(dlq) == len(BAD)
    for (what, raw, reason), record in zip(BAD, dlq, strict=True):
        headers = {k: v.decode() for k, v in record.headers}
        offset = values.index(raw)
        assert record.key == f"{settings.topic('capacity')}:0:{offset}".encode(), what
        assert record.value == (raw if raw is not None else b""), what
        assert headers["error.reason"] == reason, what
        assert headers["error.detail"], what
        assert headers["source.topic"] == settings.topic("capacity")
        assert (headers["source.partition"], headers["source.offset"]) == ("0", str(offset))
    future_detail = dict(record.headers)["error.detail"].decode()
    assert "occurred_at" in future_detail and "10 minutes" in future_detail


def test_a_second_replica_writes_the_same_dlq_keys(settings: Settings, tmp_path: Path) -> None:
    send_all(settings, [b"not json", report(), b"[]"])
    with Publisher(settings) as publisher:
        for name in ("one", "two"):
            con = connect(tmp_path / f"{name}.duckdb")
            job = Rollup(settings, Store(con), publisher.send_dlq, publisher.flush)
            assert job.run(threading.Event(), until_caught_up=True) == 3
            con.close()
    keys = [r.key for r in read_all(settings, "dlq", 4)]
    # Compaction (asynchronous) keeps one of each; what matters is that the keys are equal.
    assert sorted(keys) == sorted(
        2 * [f"{settings.topic('capacity')}:0:{o}".encode() for o in (0, 2)]
    )


def test_status_says_when_there_is_no_replica(settings: Settings, tmp_path: Path) -> None:
    shown = bedboard(settings, "status", "--db", str(tmp_path / "none.duckdb"))
    assert shown.returncode == 1
    assert "there is no replica" in shown.stderr
