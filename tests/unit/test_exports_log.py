"""The fixture event log of the export tests, written into a replica through Store.write."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from consumers.exports.snapshot import Snapshot, build
from consumers.rules import Accepted
from consumers.store import Batch, opened
from schemas.events import parse_event
from schemas.topics import TOPIC_OF_TYPE

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "exports"
ZONE = "Asia/Tokyo"
STALE_AFTER = timedelta(hours=6)
AS_OF = datetime.fromisoformat("2026-11-26T09:00:00+09:00")
KNOWN_AT = datetime.fromisoformat("2026-11-26T09:10:00+09:00")
GENERATED_AT = datetime.fromisoformat("2026-11-26T09:15:00+09:00")


def log() -> list[tuple[str, Accepted]]:
    """The fixture records in log order: (short topic, accepted record with its ingest time)."""
    records, offsets = [], {}
    for line in (GOLDEN / "events.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        event = parse_event(item["event"])
        topic = TOPIC_OF_TYPE[item["event"]["type"]]
        offset = offsets.get(topic, 0)
        offsets[topic] = offset + 1
        ingested = datetime.fromisoformat(item["ingested_at"])
        records.append((topic, Accepted(event, ingested, 0, offset)))
    return records


def write_log(path: Path, records: list[tuple[str, Accepted]] | None = None) -> Path:
    """Apply records one batch each, as the roll-up would, into a replica file."""
    with opened(path) as store:
        for topic, record in records if records is not None else log():
            store.write(
                Batch(
                    accepted={topic: [record]},
                    read={topic: 1},
                    next_offsets={(f"bedboard.{topic}", 0): record.offset + 1},
                )
            )
    return path


def snapshot_of(path: Path, *, known_at: datetime = KNOWN_AT, as_of: datetime = AS_OF) -> Snapshot:
    """The fixture snapshot with its generated_at fixed, read from a replica file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return build(
            con.cursor(),
            as_of=as_of,
            known_at=known_at,
            timezone=ZONE,
            stale_after=STALE_AFTER,
            generated_at=GENERATED_AT,
        )
    finally:
        con.close()


def test_the_fixture_log_reconciles(tmp_path: Path) -> None:
    path = write_log(tmp_path / "replica.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    counts = dict(
        (topic, (read, applied, dups))
        for topic, read, applied, dups in con.execute(
            "SELECT topic, read, applied, duplicates FROM ingest_counts"
        ).fetchall()
    )
    con.close()
    assert counts == {"facilities": (3, 3, 0), "capacity": (9, 8, 1)}
