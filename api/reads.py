"""What systems that read get: the board, one facility, a daily snapshot, from the API's replica."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from typing import Any

import pyarrow.compute as pc

from api.errors import ApiError
from bedboard.settings import Settings
from consumers import queries
from consumers.exports import FORMATS, snapshot
from consumers.replica import LiveReplica
from schemas.problems import Problem

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
CUTOFF = re.compile(r"\d{1,2}:\d{2}")


def _plain(row: dict[str, Any], zone: Any) -> dict[str, Any]:
    """A replica row as JSON: times RFC 3339 in the configured zone, JSON columns as objects."""
    return {name: _value(name, value, zone) for name, value in row.items()}


def _value(name: str, value: Any, zone: Any) -> Any:
    if isinstance(value, datetime):
        # Naive times in the replica are UTC.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(zone).isoformat()
    if name == "licensed_beds" and isinstance(value, str):
        return json.loads(value)  # stored as JSON text
    return value


def board(replica: LiveReplica, settings: Settings) -> dict[str, Any]:
    """Every (facility, bed type) line as it stands now, sorted by facility and bed type."""
    with replica.cursor() as cur:
        rows = queries.board(cur).to_pylist()
    rows.sort(key=lambda row: (row["facility_id"], row["bed_type"]))
    return {"lines": [_plain(row, settings.zone) for row in rows]}


def facility(replica: LiveReplica, settings: Settings, facility_id: str) -> dict[str, Any]:
    """One facility's registry entry and current lines; 404 when nothing is known of it."""
    with replica.cursor() as cur:
        lines = queries.board(cur)
        registry = queries.facilities(cur)
    mine = lines.filter(pc.equal(lines["facility_id"], facility_id)).to_pylist()
    entry = registry.filter(pc.equal(registry["facility_id"], facility_id)).to_pylist()
    if not mine and not entry:
        context = (("facility_id", facility_id),)
        raise ApiError(404, [Problem("facility_id", "unknown_facility", context)])
    mine.sort(key=lambda row: row["bed_type"])
    return {
        "facility_id": facility_id,
        "registered": bool(entry),
        "facility": _plain(entry[0], settings.zone) if entry else None,
        "lines": [_plain(row, settings.zone) for row in mine],
    }


def snapshot_of(
    replica: LiveReplica, settings: Settings, day: str | None, cutoff: str | None, fmt: str
) -> tuple[bytes, str, str]:
    """A daily snapshot rendered in a format: the bytes, their media type and a file name."""
    problems = []
    if day is None or not DAY.fullmatch(day) or not _parses(date.fromisoformat, day):
        problems.append(Problem("date", "bad_date"))
    if cutoff is not None and (not CUTOFF.fullmatch(cutoff) or not _parses(_time, cutoff)):
        problems.append(Problem("cutoff", "bad_cutoff"))
    if fmt not in FORMATS:
        problems.append(Problem("format", "literal_error", (("expected", ", ".join(FORMATS)),)))
    if problems:
        raise ApiError(422, problems)
    assert day is not None  # checked above
    as_of = snapshot.daily_as_of(
        date.fromisoformat(day),
        _time(cutoff) if cutoff else settings.snapshot_cutoff,
        settings.timezone,
    )
    with replica.cursor() as cur:
        taken = snapshot.build(
            cur,
            as_of=as_of,
            known_at=known_at(replica, queries.last_ingest(cur)),
            timezone=settings.timezone,
            stale_after=settings.stale_after,
        )
    chosen = FORMATS[fmt]
    return chosen.render(taken), chosen.mime, f"snapshot-{day}{chosen.suffix}"


def known_at(replica: LiveReplica, applied: datetime | None) -> datetime:
    """The newest time up to which this replica holds every report.

    That is the ingest time of the newest record applied (`applied`, naive UTC), or, when the
    roll-up last found itself caught up, that moment. Claiming `now` could name a snapshot that
    a later rerun with the same known_at would not reproduce.
    """
    health = replica.health
    seen = [applied.replace(tzinfo=UTC)] if applied else []
    if health.lag == 0 and health.checked_at is not None:
        seen.append(health.checked_at)
    moment = max(seen, default=datetime(1970, 1, 1, tzinfo=UTC))
    # Not cut to the second: that would leave out a report received within the same second.
    return min(moment, datetime.now(UTC))


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _parses(parse: Any, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True
