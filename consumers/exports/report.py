"""The range report: per day, district and bed type, the beds at that day's cutoff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb

from consumers.exports import to_csv, to_xlsx
from consumers.exports.snapshot import Row, daily_as_of, now, rfc3339
from consumers.queries import state
from consumers.rules import occupancy_rate

COLUMNS = ("date", "district", "bed_type", "usable", "occupied", "occupancy_rate")
MAX_DAYS = 366


class RangeTooLong(ValueError):
    """More days than one report covers."""


@dataclass(frozen=True)
class RangeReport:
    """One row per day x district x bed type, summed over the facilities in the district."""

    first: date
    last: date
    cutoff: time
    timezone: str
    known_at: datetime
    generated_at: datetime
    rows: tuple[Row, ...]

    def metadata(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "cutoff": self.cutoff.strftime("%H:%M"),
            "timezone": self.timezone,
            "known_at": rfc3339(self.known_at, self.timezone),
            "generated_at": rfc3339(self.generated_at, self.timezone),
        }


def days(first: date, last: date) -> list[date]:
    """Every day from first to last, both included."""
    if last < first:
        raise ValueError("the last day is before the first")
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise RangeTooLong(f"{count} days; at most {MAX_DAYS}")
    return [first + timedelta(days=n) for n in range(count)]


def build(
    cur: duckdb.DuckDBPyConnection,
    first: date,
    last: date,
    *,
    cutoff: time,
    timezone: str,
    stale_after: timedelta,
    known_at: datetime | None = None,
    generated_at: datetime | None = None,
) -> RangeReport:
    """Sum each day's snapshot rows (the same state rule as the snapshot) by district."""
    known_at = known_at or now()
    rows: list[Row] = []
    for day in days(first, last):
        as_of = daily_as_of(day, cutoff, timezone)
        totals: dict[tuple[str, str], list[int]] = {}
        for line in state(cur, as_of, known_at, stale_after).to_pylist():
            key = (line["district"] or "", line["bed_type"])
            usable_occupied = totals.setdefault(key, [0, 0])
            usable_occupied[0] += line["usable"]
            usable_occupied[1] += line["occupied"]
        for (district, bed_type), (usable, occupied) in sorted(totals.items()):
            rows.append(
                {
                    "date": day.isoformat(),
                    "district": district or None,  # empty: unregistered sources
                    "bed_type": bed_type,
                    "usable": usable,
                    "occupied": occupied,
                    "occupancy_rate": occupancy_rate(usable, occupied),
                }
            )
    return RangeReport(first, last, cutoff, timezone, known_at, generated_at or now(), tuple(rows))


def render_csv(report: RangeReport) -> bytes:
    return to_csv.table_csv(COLUMNS, report.rows)


def render_xlsx(report: RangeReport) -> bytes:
    return to_xlsx.workbook(COLUMNS, report.rows, "report", report.metadata(), report.generated_at)


REPORT_FORMATS: dict[str, tuple[Callable[[RangeReport], bytes], str]] = {
    "csv": (render_csv, to_csv.MIME),
    "xlsx": (render_xlsx, to_xlsx.MIME),
}
