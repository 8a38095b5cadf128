"""A replica's current state and the reference fold's, in one shape for comparing them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from consumers.rules import CapacityState
from consumers.store import connect

Lines = dict[tuple[str, str], tuple[int, int, str]]
Status = dict[tuple[str, str], Any]


def current(con: duckdb.DuckDBPyConnection) -> tuple[Lines, Status]:
    """The replica's current lines (usable, occupied, event id) and status fields."""
    beds = con.execute(
        "SELECT facility_id, bed_type, usable, occupied, event_id FROM current_beds"
    ).fetchall()
    status = con.execute("SELECT facility_id, field, value FROM current_status").fetchall()
    return {(f, b): (u, o, e) for f, b, u, o, e in beds}, {(f, n): v for f, n, v in status}


def folded(state: CapacityState) -> tuple[Lines, Status]:
    """The same of a reference fold."""
    lines = {k: (v.usable, v.occupied, v.event_id) for k, v in state.lines.items()}
    return lines, state.status


def reconciled(db: Path) -> int:
    """After a kill or a failed write: whatever a one-partition replica committed reconciles
    and matches its offsets; returns how many records it read."""
    if not db.exists():
        return 0
    con = connect(db, read_only=True)
    try:
        tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()
        if tables == [(0,)]:  # killed before its first commit: an empty file is consistent too
            return 0
        counts = con.execute(
            "SELECT read, applied, duplicates, rejected FROM ingest_counts"
        ).fetchall()
        offsets = con.execute("SELECT next_offset FROM offsets").fetchall()
        reports = con.execute("SELECT count(*) FROM capacity_reports").fetchall()
    finally:
        con.close()
    if not counts:
        assert offsets == [] and reports == [(0,)]
        return 0
    ((read, applied, duplicates, rejected),) = counts
    assert read == applied + duplicates + rejected
    assert offsets == [(read,)]  # one partition: the offset is the number of records read
    assert reports == [(applied,)]
    return int(read)
