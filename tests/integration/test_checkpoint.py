"""New replicas from checkpoints: a folder or S3 (moto's server on loopback), then the tail."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bedboard.settings import Settings
from bench.reports import encode, history, produce
from consumers import checkpoint
from consumers.replica import seed
from consumers.rollup import Rollup
from consumers.store import Store, connect

NOW = datetime.now(UTC).replace(microsecond=0)
TABLES = (
    "SELECT facility_id, bed_type, usable, occupied, occurred_at, src_partition, src_offset, "
    "event_id FROM current_beds ORDER BY ALL",
    "SELECT * FROM current_status ORDER BY ALL",
    "SELECT * FROM offsets ORDER BY ALL",
    "SELECT * FROM ingest_counts ORDER BY ALL",
    "SELECT count(*), count(DISTINCT event_id) FROM capacity_lines",
)


def roll(settings: Settings, db: Path) -> int:
    con = connect(db)
    try:
        return Rollup(settings, Store(con)).run(threading.Event(), until_caught_up=True)
    finally:
        con.close()


def contents(db: Path) -> list[list[tuple]]:
    con = connect(db, read_only=True)
    try:
        return [con.execute(sql).fetchall() for sql in TABLES]
    finally:
        con.close()


def log_of(count: int) -> list[tuple[bytes, bytes]]:
    return [encode(r) for r in history(count, 30, NOW - timedelta(minutes=1), timedelta(days=1))]


def test_a_replica_from_a_checkpoint_catches_up_to_the_one_replayed_from_zero(
    settings: Settings, tmp_path: Path
) -> None:
    records = log_of(600)
    produce(settings, records[:400], "capacity")
    first = tmp_path / "first.duckdb"
    assert roll(settings, first) == 400
    con = connect(first)
    made = checkpoint.write(con, tmp_path / "checkpoints", settings.topic_prefix)
    con.close()
    produce(settings, records[400:], "capacity")

    fresh = tmp_path / "fresh.duckdb"
    assert seed(settings, fresh, tmp_path / "checkpoints") == made
    assert roll(settings, fresh) == 200  # only the tail
    from_zero = tmp_path / "zero.duckdb"
    assert roll(settings, from_zero) == 600
    assert contents(fresh) == contents(from_zero)
    # A replica with its own file keeps it: a checkpoint never overwrites one.
    assert seed(settings, fresh, tmp_path / "checkpoints") is None


def test_the_rollup_command_starts_from_a_checkpoint_and_writes_one(
    settings: Settings, tmp_path: Path
) -> None:
    produce(settings, log_of(50), "capacity")
    env = {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),  # where the broker's credentials are
        "BEDBOARD_LANG": "en",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }

    def bedboard(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bedboard", *args], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    bedboard("rollup", "--until-caught-up", "--db", str(tmp_path / "a.duckdb"))
    out = bedboard("checkpoint", "--db", str(tmp_path / "a.duckdb"), "--to", str(tmp_path / "cp"))
    assert "wrote checkpoint" in out
    produce(settings, log_of(7), "capacity")
    out = bedboard(
        "rollup", "--until-caught-up", "--db", str(tmp_path / "b.duckdb"),
        "--from-checkpoint", str(tmp_path / "cp"),
    )  # fmt: skip
    assert "starts from checkpoint" in out and "rolled up 7 records" in out


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[str]:
    """moto's S3-compatible server, a process of its own on a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_checkpoint_goes_to_s3_and_a_new_replica_starts_from_it(
    settings: Settings, tmp_path: Path, s3: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from consumers.checkpoint_s3 import S3Checkpoints

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=s3).create_bucket(Bucket="replicas")
    produce(settings, log_of(120), "capacity")
    live = tmp_path / "live.duckdb"
    roll(settings, live)
    con = connect(live)
    made = checkpoint.write(con, tmp_path / "cp", settings.topic_prefix)
    con.close()
    store = S3Checkpoints("s3://replicas/hachioji", s3)
    store.upload(tmp_path / "cp" / made.name)
    assert store.names() == [made.name]

    remote = settings.model_copy(
        update={"checkpoint_s3_url": "s3://replicas/hachioji", "checkpoint_s3_endpoint": s3}
    )
    fresh = tmp_path / "elsewhere" / "fresh.duckdb"
    assert seed(remote, fresh) == made
    assert contents(fresh) == contents(live)
    assert roll(remote, fresh) == 0  # caught up already: the offsets came with it
