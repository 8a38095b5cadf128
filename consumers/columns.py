"""A batch's events as Arrow columns, the form in which DuckDB takes many rows at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pyarrow as pa

from consumers.rules import ORDER_COLUMNS, Accepted
from schemas.events import CapacityReported

AWARE = pa.timestamp("us", tz="UTC")
REJECTED_SCHEMA = pa.schema(
    [("topic", pa.string()), ("partition", pa.int32()), ("offset", pa.int64())]
    + [("reason", pa.string()), ("detail", pa.string()), ("detail_ja", pa.string())]
    + [("raw", pa.binary()), ("ingested_at", AWARE)]
)
REJECTED_COLUMNS = tuple(REJECTED_SCHEMA.names)


def uuids(records: Iterable[Accepted]) -> pa.Array:
    return pa.array([r.event.event_id.bytes for r in records], pa.uuid())


def times(moments: list[datetime]) -> pa.Array:
    # Aware times to UTC in Arrow's C++ (any offset they carry), for TIMESTAMPTZ columns.
    return pa.array(moments, AWARE)


def report_columns(records: list[Accepted]) -> pa.Table:
    """One row per report; the loop reads each model once (about 1 µs a report)."""
    ids, occurred, ingested, partitions, offsets = [], [], [], [], []
    facility, accepting, ed_status, note, org, user, beds = [], [], [], [], [], [], []
    for r in records:
        e: CapacityReported = r.event  # type: ignore[assignment]
        ids.append(e.event_id.bytes)
        occurred.append(e.occurred_at)
        ingested.append(r.ingested_at)
        partitions.append(r.partition)
        offsets.append(r.offset)
        facility.append(e.facility_id)
        accepting.append(e.accepting)
        ed_status.append(e.ed_status)
        note.append(e.note)
        org.append(e.actor.org)
        user.append(e.actor.user)
        beds.append(len(e.beds))
    return pa.table(
        {
            "event_id": pa.array(ids, pa.uuid()),
            "facility_id": pa.array(facility, pa.string()),
            "occurred_at": times(occurred),
            "ingested_at": times(ingested),
            "src_partition": pa.array(partitions, pa.int32()),
            "src_offset": pa.array(offsets, pa.int64()),
            "accepting": pa.array(accepting, pa.string()),
            "ed_status": pa.array(ed_status, pa.string()),
            "note": pa.array(note, pa.string()),
            "actor_org": pa.array(org, pa.string()),
            "actor_user": pa.array(user, pa.string()),
            "bed_types": pa.array(beds, pa.int32()),
        }
    )


def line_columns(records: list[Accepted], reports: pa.Table) -> pa.Table:
    """One row per bed line; its report's columns are repeated by Arrow's take, not in Python."""
    report, bed_type, usable, occupied = [], [], [], []
    for i, r in enumerate(records):
        for line in r.event.beds:  # type: ignore[attr-defined]
            report.append(i)
            bed_type.append(line.bed_type)
            usable.append(line.usable)
            occupied.append(line.occupied)
    lines = reports.select(["event_id", "facility_id", *ORDER_COLUMNS]).take(pa.array(report))
    return (
        lines.append_column("bed_type", pa.array(bed_type, pa.string()))
        .append_column("usable", pa.array(usable, pa.int32()))
        .append_column("occupied", pa.array(occupied, pa.int32()))
    )
