"""A batch's reports as Arrow columns, the form in which DuckDB takes many rows at once."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from consumers.rules import ORDER_COLUMNS, Accepted
from schemas.events import CapacityReported

AWARE = pa.timestamp("us", tz="UTC")
REJECTED_SCHEMA = pa.schema(
    [("topic", pa.string()), ("partition", pa.int32()), ("offset", pa.int64())]
    + [("reason", pa.string()), ("detail", pa.string()), ("detail_ja", pa.string())]
    + [("raw", pa.binary()), ("ingested_at", AWARE)]
)
REJECTED_COLUMNS = tuple(REJECTED_SCHEMA.names)
COUNTS = pa.list_(pa.int32())
# One row per report, its bed lines as three lists: what consumers.bulk's SQL gives, and what
# report_columns makes of reports checked one by one. `position` is the place in the batch.
REPORTS_SCHEMA = pa.schema(
    [("position", pa.int32()), ("event_id", pa.string()), ("facility_id", pa.string())]
    + [("occurred_at", AWARE), ("ingested_at", AWARE)]
    + [("src_partition", pa.int32()), ("src_offset", pa.int64())]
    + [("accepting", pa.string()), ("ed_status", pa.string()), ("note", pa.string())]
    + [("actor_org", pa.string()), ("actor_user", pa.string()), ("bed_types", pa.int32())]
    + [("bed_type", pa.list_(pa.string())), ("usable", COUNTS), ("occupied", COUNTS)]
    # Contract v2: each line's secured and oxygen beds, None where a line (any v1 line) has none.
    + [("secured", COUNTS), ("oxygen", COUNTS)]
)


def times(moments: list[datetime]) -> pa.Array:
    # Aware times to UTC in Arrow's C++ (any offset they carry), for TIMESTAMPTZ columns.
    return pa.array(moments, AWARE)


def report_columns(records: list[tuple[int, Accepted]]) -> pa.Table:
    """(position, report) pairs as REPORTS_SCHEMA; the loop reads each model once."""
    columns: dict[str, list] = {name: [] for name in REPORTS_SCHEMA.names}
    for position, r in records:
        e: CapacityReported = r.event  # type: ignore[assignment]
        row = (
            position,
            str(e.event_id),
            e.facility_id,
            e.occurred_at,
            r.ingested_at,
            r.partition,
            r.offset,
            e.accepting,
            e.ed_status,
            e.note,
            e.actor.org,
            e.actor.user,
            len(e.beds),
            [b.bed_type for b in e.beds],
            [b.usable for b in e.beds],
            [b.occupied for b in e.beds],
            [getattr(b, "secured", None) for b in e.beds],
            [getattr(b, "oxygen", None) for b in e.beds],
        )
        for values, value in zip(columns.values(), row, strict=True):
            values.append(value)
    return pa.table(columns, schema=REPORTS_SCHEMA)


def line_columns(reports: pa.Table) -> pa.Table:
    """One row per bed line; its report's columns are repeated by Arrow's take, not in Python."""
    bed_type = reports.column("bed_type").combine_chunks()
    parent = pc.list_parent_indices(bed_type)
    lines = reports.select(["event_id", "facility_id", *ORDER_COLUMNS]).take(parent)
    for name in ("bed_type", "usable", "occupied", "secured", "oxygen"):
        lines = lines.append_column(name, pc.list_flatten(reports.column(name).combine_chunks()))
    return lines
