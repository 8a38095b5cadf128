"""A replica's current state and the reference fold's, in one shape for comparing them."""

from __future__ import annotations

from typing import Any

import duckdb

from consumers.rules import CapacityState

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
