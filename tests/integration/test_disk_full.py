"""A replica's disk fills up: a clear error, nothing half-written, and it goes on given room."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bedboard.settings import Settings
from bench.reports import encode, history, produce
from consumers.store import connect
from tests import replica_state

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 30_000  # three of the roll-up's full batches
# A tmpfs of its own, mounted in a mount namespace of its own: a real ENOSPC from a real
# filesystem, without root (a user namespace maps this user to its root) and seen by no one else.
# What the disk held when the roll-up stopped is copied out before the namespace goes.
ON_SMALL_DISK = (
    'mount -t tmpfs -o size="$1" tmpfs "$2" || exit 99\n'
    '"$3" -m bedboard rollup --until-caught-up --db "$2/replica.duckdb"\n'
    "code=$?\n"
    'cp -a "$2"/. "$4"/\n'
    "exit $code\n"
)


def bedboard_env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        "BEDBOARD_LANG": "en",
    }


def rollup(settings: Settings, db: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bedboard", "rollup", "--until-caught-up", "--db", str(db)]
    return subprocess.run(
        command, env=bedboard_env(settings), cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def counts(db: Path) -> list[tuple[int, ...]]:
    con = connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT read, applied, duplicates, rejected FROM ingest_counts"
        ).fetchall()
    finally:
        con.close()


def test_a_full_disk_stops_the_roll_up_clearly_and_half_writes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    span = timedelta(days=2)
    records = [encode(e) for e in history(EVENTS, 500, datetime.now(UTC), span)]
    produce(settings, records, "capacity")
    roomy = tmp_path / "roomy.duckdb"
    assert rollup(settings, roomy).returncode == 0
    # A disk with room for half of what the whole replica takes.
    room = roomy.stat().st_size // 2
    small, kept = tmp_path / "small", tmp_path / "kept"
    small.mkdir()
    kept.mkdir()

    full = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", ON_SMALL_DISK, "sh"]
        + [str(room), str(small), sys.executable, str(kept)],
        env=bedboard_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert full.returncode == 1, full.stderr
    assert "is its disk full?" in full.stderr and "No space left on device" in full.stderr
    assert "Traceback" not in full.stderr
    replica = kept / "replica.duckdb"
    # What it committed reconciles with its offsets; the batch that failed left nothing.
    stopped_at = replica_state.reconciled(replica)
    assert stopped_at < EVENTS
    # With room again it goes on from there, to the same answer as the roll-up that had room.
    assert rollup(settings, replica).returncode == 0
    assert counts(replica) == counts(roomy) == [(EVENTS, EVENTS, 0, 0)]
    con, want = connect(replica, read_only=True), connect(roomy, read_only=True)
    try:
        assert replica_state.current(con) == replica_state.current(want)
    finally:
        con.close()
        want.close()
