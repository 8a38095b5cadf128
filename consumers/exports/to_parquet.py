"""Parquet: typed columns, the snapshot metadata in the file's key-value metadata."""

from __future__ import annotations

import io
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq

from consumers.exports.snapshot import COLUMNS, Snapshot

MIME = "application/vnd.apache.parquet"


def schema(timezone: str) -> pa.Schema:
    """Column types; reported_at is a zoned timestamp so that tools keep the zone."""
    count = pa.int32()
    types = {
        "usable": count,
        "occupied": count,
        "available": count,
        "occupancy_rate": pa.float64(),
        "reported_at": pa.timestamp("us", tz=timezone),
        "stale": pa.bool_(),
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])


def render(snapshot: Snapshot) -> bytes:
    """The rows as one Parquet file with as_of, known_at, ..., sha256 as key-value pairs."""
    columns = {name: [row[name] for row in snapshot.rows] for name in COLUMNS}
    columns["reported_at"] = [datetime.fromisoformat(text) for text in columns["reported_at"]]
    table = pa.table(columns, schema=schema(snapshot.timezone))
    metadata = {key: str(value) for key, value in snapshot.metadata().items()}
    out = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), out)
    return out.getvalue()
