"""Checkpoints: the manifest says what the file holds, and nothing unverified is ever used."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from consumers import checkpoint
from consumers.checkpoint import CheckpointInvalid
from consumers.rules import Accepted
from consumers.store import Batch, Store, connect
from schemas.events import parse_event

PREFIX = "t."
AT = datetime(2026, 11, 26, tzinfo=UTC)


def replica(path: Path, reports: int = 3, partitions: int = 2) -> duckdb.DuckDBPyConnection:
    con = connect(path)
    records = []
    for i in range(reports):
        body = {
            "type": "capacity.reported",
            "version": 1,
            "event_id": str(uuid.uuid4()),
            "occurred_at": f"2026-11-26T09:0{i}:00+09:00",
            "actor": {"org": "hospital", "user": "u"},
            "facility_id": f"HJ-000{i}",
            "beds": [{"bed_type": "hcu", "usable": 5, "occupied": i}],
        }
        records.append(Accepted(parse_event(body), AT, i % partitions, i // partitions))
    Store(con).write(
        Batch(
            accepted={"capacity": records},
            read={"capacity": reports},
            next_offsets={(f"{PREFIX}capacity", p): 10 + p for p in range(partitions)},
        )
    )
    return con


def test_a_checkpoint_holds_the_replica_and_its_offsets(tmp_path: Path) -> None:
    con = replica(tmp_path / "live.duckdb")
    manifest = checkpoint.write(con, tmp_path / "cp", PREFIX)
    con.close()
    assert manifest.offsets == {f"{PREFIX}capacity:0": 10, f"{PREFIX}capacity:1": 11}
    assert manifest.schema_version == checkpoint.SCHEMA_VERSION
    (found,) = checkpoint.checkpoints(tmp_path / "cp")
    assert checkpoint.verify(found, PREFIX) == manifest
    assert checkpoint.restore(tmp_path / "cp", tmp_path / "new.duckdb", PREFIX) == manifest
    copy = connect(tmp_path / "new.duckdb", read_only=True)
    assert copy.execute("SELECT count(*) FROM current_beds").fetchall() == [(3,)]
    copy.close()


@pytest.mark.parametrize("damage", ["bytes", "schema", "prefix", "offsets", "manifest", "file"])
def test_a_damaged_checkpoint_is_refused_and_the_older_one_used(
    tmp_path: Path, damage: str
) -> None:
    con = replica(tmp_path / "live.duckdb")
    older = checkpoint.write(con, tmp_path / "cp", PREFIX)
    newer = checkpoint.write(con, tmp_path / "cp", PREFIX)
    con.close()
    folder = tmp_path / "cp" / newer.name
    data = json.loads((folder / "manifest.json").read_text())
    if damage == "bytes":
        with (folder / "replica.duckdb").open("r+b") as f:
            f.seek(5000)
            f.write(b"\x00garbage")
    elif damage == "file":
        (folder / "replica.duckdb").unlink()
    elif damage == "manifest":
        (folder / "manifest.json").write_text("{")
    else:
        key = {"schema": "schema_version", "prefix": "topic_prefix", "offsets": "offsets"}[damage]
        data[key] = {"t.capacity:0": 3} if key == "offsets" else "other"
        (folder / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(CheckpointInvalid):
        checkpoint.verify(folder, PREFIX)
    assert checkpoint.restore(tmp_path / "cp", tmp_path / "new.duckdb", PREFIX) == older


def test_nothing_to_restore_leaves_no_file_and_partial_folders_are_ignored(
    tmp_path: Path,
) -> None:
    (tmp_path / "cp" / ".20261126T000000.000000Z.partial").mkdir(parents=True)
    assert checkpoint.restore(tmp_path / "cp", tmp_path / "new.duckdb", PREFIX) is None
    assert checkpoint.restore(tmp_path / "nowhere", tmp_path / "new.duckdb", PREFIX) is None
    assert not (tmp_path / "new.duckdb").exists()


def test_only_the_newest_few_are_kept(tmp_path: Path) -> None:
    con = replica(tmp_path / "live.duckdb")
    names = [checkpoint.write(con, tmp_path / "cp", PREFIX).name for _ in range(5)]
    con.close()
    kept = [p.name for p in checkpoint.checkpoints(tmp_path / "cp")]
    assert kept == sorted(names, reverse=True)[: checkpoint.KEEP]


def test_checkpoints_taken_while_batches_commit_are_each_one_committed_state(
    tmp_path: Path,
) -> None:
    con = connect(tmp_path / "live.duckdb")
    store = Store(con.cursor())
    stop = threading.Event()

    def roll() -> None:  # batches of one report each, the offset one past it
        offset = 0
        while not stop.is_set():
            records = [report_record(offset)]
            store.write(
                Batch(
                    accepted={"capacity": records},
                    read={"capacity": 1},
                    next_offsets={(f"{PREFIX}capacity", 0): offset + 1},
                )
            )
            offset += 1

    writer = threading.Thread(target=roll)
    writer.start()
    try:
        made = [checkpoint.write(con, tmp_path / "cp", PREFIX, store.lock) for _ in range(3)]
    finally:
        stop.set()
        writer.join()
        con.close()
    for manifest in made:
        copy = duckdb.connect(str(tmp_path / "cp" / manifest.name / "replica.duckdb"))
        ((reports, read),) = copy.execute(
            "SELECT (SELECT count(*) FROM capacity_reports), "
            "(SELECT coalesce(sum(read), 0) FROM ingest_counts)"
        ).fetchall()
        copy.close()
        assert manifest.offsets.get(f"{PREFIX}capacity:0", 0) == reports == read


def report_record(offset: int) -> Accepted:
    body = {
        "type": "capacity.reported",
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-26T09:00:00+09:00",
        "actor": {"org": "hospital", "user": "u"},
        "facility_id": f"HJ-{offset % 50}",
        "beds": [{"bed_type": "hcu", "usable": 5, "occupied": offset % 5}],
    }
    return Accepted(parse_event(body), AT, 0, offset)
