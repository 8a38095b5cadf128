"""The snapshot every export format is written from: its metadata and its rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from consumers.queries import event_count, state

# The contract's "Snapshot exports" columns, in order.
COLUMNS = (
    "facility_id",
    "facility_name",
    "district",
    "bed_type",
    "usable",
    "occupied",
    "available",
    "occupancy_rate",
    "accepting",
    "ed_status",
    "reported_at",
    "stale",
)
Row = dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    """The state of the beds as of `as_of`, as known at `known_at`, ready to export."""

    as_of: datetime
    known_at: datetime
    generated_at: datetime
    timezone: str
    events: int
    rows: tuple[Row, ...]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.rows)).hexdigest()

    def metadata(self) -> dict[str, Any]:
        """as_of, known_at, generated_at (RFC 3339 in the zone), timezone, events, sha256."""
        return {
            "as_of": rfc3339(self.as_of, self.timezone),
            "known_at": rfc3339(self.known_at, self.timezone),
            "generated_at": rfc3339(self.generated_at, self.timezone),
            "timezone": self.timezone,
            "events": self.events,
            "sha256": self.sha256,
        }


def build(
    cur: duckdb.DuckDBPyConnection,
    *,
    as_of: datetime,
    known_at: datetime,
    timezone: str,
    stale_after: timedelta,
    generated_at: datetime | None = None,
) -> Snapshot:
    """Read the snapshot rows and the event count from a replica."""
    table = state(cur, as_of, known_at, stale_after)
    rows = tuple(_row(raw, timezone) for raw in table.to_pylist())
    return Snapshot(
        as_of=as_of,
        known_at=known_at,
        generated_at=generated_at or now(),
        timezone=timezone,
        events=event_count(cur, as_of, known_at),
        rows=rows,
    )


def _row(raw: dict[str, Any], timezone: str) -> Row:
    row = {name: raw[name] for name in COLUMNS}
    for name in ("usable", "occupied", "available"):
        row[name] = int(row[name])
    if row["occupancy_rate"] is not None:
        row["occupancy_rate"] = float(row["occupancy_rate"])
    # Stored times are aware (UTC); people read them in the configured zone.
    row["reported_at"] = rfc3339(row["reported_at"], timezone)
    row["stale"] = bool(row["stale"])
    return row


def canonical_json(rows: Sequence[Row]) -> bytes:
    """Rows as the hash sees them: keys sorted, no spaces, UTF-8, empty values as null."""
    return json.dumps(
        list(rows), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def rfc3339(moment: datetime, timezone: str) -> str:
    """An aware time as RFC 3339 in the zone, e.g. 2026-11-26T09:00:00+09:00."""
    return moment.astimezone(ZoneInfo(timezone)).isoformat()


def now() -> datetime:
    """The current time to the whole second, so that it can be given back as --known-at."""
    return datetime.now(UTC).replace(microsecond=0)


def daily_as_of(day: date, cutoff: time, timezone: str) -> datetime:
    """The as_of of a daily snapshot: the day at the cutoff in the configured zone."""
    return datetime.combine(day, cutoff, tzinfo=ZoneInfo(timezone))
