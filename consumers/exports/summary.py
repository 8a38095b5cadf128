"""The meeting summary: what changed since the last meeting, as known at one moment.

Read from the replica into one structure (the page and the PDF both render it); like a snapshot,
the summary as known at K is the same whenever it is made again.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from consumers import waiting
from consumers.exports.snapshot import Row, canonical_json, rfc3339
from consumers.queries import state
from consumers.rules import occupancy_rate
from schemas import glossary

# The waiting list's length comes from one source. Until the health centre's cases are on the
# log, its count of people awaiting admission per district (district.counted) is that list.
POINTS = 96  # about one point an hour over the usual three to four days between meetings
# Hachioji's hospitals, care and the health centre met twice a week (Monday and Thursday
# mornings): by default a summary covers the time since the meeting before.
MEETING_DAYS = (0, 3)
MEETING_TIME = time(10, 0)
PLACEMENT_KINDS = ("requested", *glossary.PLACEMENT_DECISIONS, *glossary.PLACEMENT_OUTCOMES)


class SinceNotBefore(ValueError):
    """The summary's start is not before the moment it is known at."""


@dataclass(frozen=True)
class MeetingSummary:
    """Changes between `since` and `known_at` (the state as of then and as of now, both as
    known at `known_at`), the placements in between and the waiting list over time."""

    since: datetime
    known_at: datetime
    timezone: str
    by_bed_type: tuple[Row, ...]
    by_district: tuple[Row, ...]
    placements: dict[str, int]
    reasons: tuple[Row, ...]  # why requests were declined: reason and count, most said first
    waiting: tuple[Row, ...]  # at (RFC 3339) and waiting (None: never counted by then)
    waiting_source: str  # cases (the waiting list) or district_counts (the daily counts)

    def content(self) -> dict[str, Any]:
        """Everything the summary says, as the hash sees it."""
        return {
            "since": rfc3339(self.since, self.timezone),
            "known_at": rfc3339(self.known_at, self.timezone),
            "by_bed_type": list(self.by_bed_type),
            "by_district": list(self.by_district),
            "placements": self.placements,
            "reasons": list(self.reasons),
            "waiting": list(self.waiting),
            "waiting_source": self.waiting_source,
        }

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json([self.content()])).hexdigest()

    def waiting_then_now(self) -> tuple[int | None, int | None]:
        """The waiting list's length at `since` and at `known_at`."""
        return self.waiting[0]["waiting"], self.waiting[-1]["waiting"]


def previous_meeting(now: datetime, timezone: str) -> datetime:
    """The newest meeting time on an earlier day than `now`'s (3 or 4 days back)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    for back in range(1, 8):
        day = today - timedelta(days=back)
        if day.weekday() in MEETING_DAYS:
            return datetime.combine(day, MEETING_TIME, tzinfo=ZoneInfo(timezone))
    raise ValueError("MEETING_DAYS names no weekday")


def build(
    cur: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    known_at: datetime,
    timezone: str,
    stale_after: timedelta,
) -> MeetingSummary:
    """Read the summary of what changed from `since` to `known_at`, as known at `known_at`."""
    if since >= known_at:
        raise SinceNotBefore(f"since {since.isoformat()} is not before {known_at.isoformat()}")
    then = state(cur, since, known_at, stale_after).to_pylist()
    now = state(cur, known_at, known_at, stale_after).to_pylist()
    times = grid(since, known_at)
    source, by_district_waiting = waiting_counts(cur, times, known_at)
    waiting = tuple(
        {"at": rfc3339(at, timezone), "waiting": _total(by_district_waiting.get(at))}
        for at in times
    )
    counted_then = by_district_waiting.get(since, {})
    counted_now = by_district_waiting.get(known_at, {})
    by_district = [
        {**row, "waiting_then": counted_then.get(row["district"] or ""),
         "waiting_now": counted_now.get(row["district"] or "")}
        for row in changes(then, now, "district")
    ]  # fmt: skip
    events = placement_events(cur, since, known_at)
    return MeetingSummary(
        since=since,
        known_at=known_at,
        timezone=timezone,
        by_bed_type=tuple(changes(then, now, "bed_type")),
        by_district=tuple(by_district),
        placements=placement_counts(events),
        reasons=declined_reasons(events),
        waiting=waiting,
        waiting_source=source,
    )


def changes(then: list[Row], now: list[Row], by: str) -> list[Row]:
    """Lines summed per bed type or district, then and now, with the differences."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for when, lines in (("then", then), ("now", now)):
        for line in lines:
            group = sums[line[by] or ""]  # '' for lines of unregistered sources (no district)
            for quantity in ("usable", "occupied", "available"):
                group[f"{quantity}_{when}"] += int(line[quantity])
    rows = []
    for key in _ordered(sums, by):
        s = sums[key]
        row: Row = {by: key or None}
        for quantity in ("usable", "occupied", "available"):
            row[f"{quantity}_then"] = s[f"{quantity}_then"]
            row[f"{quantity}_now"] = s[f"{quantity}_now"]
            row[f"{quantity}_change"] = s[f"{quantity}_now"] - s[f"{quantity}_then"]
        row["occupancy_rate_then"] = occupancy_rate(s["usable_then"], s["occupied_then"])
        row["occupancy_rate_now"] = occupancy_rate(s["usable_now"], s["occupied_now"])
        rows.append(row)
    return rows


def _ordered(sums: dict[str, Any], by: str) -> list[str]:
    """Bed types in the contract's order, districts by name (unregistered sources last)."""
    if by == "bed_type":
        order = {code: i for i, code in enumerate(glossary.BED_TYPE_NAMES)}
        return sorted(sums, key=lambda code: (order.get(code, len(order)), code))
    return sorted(sums, key=lambda district: (district == "", district))


def grid(since: datetime, known_at: datetime) -> list[datetime]:
    """The times the waiting list is counted at: since, about POINTS whole minutes apart, and
    known_at itself (where the summary ends)."""
    step = max(timedelta(minutes=1), ((known_at - since) / POINTS))
    step = timedelta(minutes=int(step.total_seconds() // 60))
    times = []
    at = since
    while at < known_at:
        times.append(at)
        at += step
    return [*times, known_at]


# --- The waiting list's source: the one place to change when cases come onto the log --------

# Each district's newest count of people awaiting admission at each time of the grid, as known
# at K: the fold's rule (consumers.city) taken at many times by one as-of join.
_WAITING_FROM_COUNTS = """
WITH counted AS (
    SELECT district, occurred_at,
           arg_max(awaiting_admission, (ingested_at, src_partition, src_offset)) AS waiting
    FROM district_counts
    WHERE awaiting_admission IS NOT NULL AND ingested_at <= $known_at
    GROUP BY ALL),
asked AS (
    SELECT t.moment, d.district FROM unnest($times::TIMESTAMPTZ[]) AS t(moment)
    CROSS JOIN (SELECT DISTINCT district FROM counted) d)
SELECT asked.moment, asked.district, counted.waiting
FROM asked ASOF JOIN counted
    ON asked.district = counted.district AND asked.moment >= counted.occurred_at
"""


def waiting_counts(
    cur: duckdb.DuckDBPyConnection, times: list[datetime], known_at: datetime
) -> tuple[str, dict[datetime, dict[str, int]]]:
    """The waiting at each time by district, and where it was counted: from the waiting list's
    cases once the health centre keeps one, else from its daily counts (入院等調整中)."""
    from_cases = waiting.waiting_by_district(cur, times, known_at)
    if from_cases is not None:
        return "cases", from_cases
    return "district_counts", waiting_by_district(cur, times, known_at)


def waiting_by_district(
    cur: duckdb.DuckDBPyConnection, times: list[datetime], known_at: datetime
) -> dict[datetime, dict[str, int]]:
    """At each time, each district's number of people waiting for a bed (入院等調整中)."""
    rows = cur.execute(_WAITING_FROM_COUNTS, {"times": times, "known_at": known_at}).fetchall()
    out: dict[datetime, dict[str, int]] = {}
    for at, district, count in rows:
        out.setdefault(at, {})[district] = int(count)
    return out


def _total(districts: dict[str, int] | None) -> int | None:
    return sum(districts.values()) if districts is not None else None


# --- Placements between the two times ----------------------------------------------------------

# A response counts when it is the asked facility's (another's stays in the history, unapplied,
# as in the replica's placements); what a placement was is read from its events known at K.
_PLACEMENT_EVENTS = """
WITH known AS (SELECT * FROM placement_events WHERE ingested_at <= $known_at),
asked AS (
    SELECT placement_id, any_value(facility_id) AS asked
    FROM known WHERE type = 'placement.requested' GROUP BY ALL)
SELECT k.type, json_extract_string(k.detail, '$.decision') AS decision,
       json_extract_string(k.detail, '$.outcome') AS outcome,
       json_extract_string(k.detail, '$.reason') AS reason
FROM known k LEFT JOIN asked a USING (placement_id)
WHERE k.occurred_at > $since AND k.occurred_at <= $known_at
  AND (k.type <> 'placement.responded' OR a.asked IS NULL OR a.asked = k.facility_id)
ORDER BY k.occurred_at, k.event_id
"""


def placement_events(
    cur: duckdb.DuckDBPyConnection, since: datetime, known_at: datetime
) -> list[Row]:
    """The placement events that happened after `since`, up to and known at `known_at`."""
    table = cur.sql(_PLACEMENT_EVENTS, params={"since": since, "known_at": known_at})
    return table.to_arrow_table().to_pylist()


def placement_kind(event: Row) -> str | None:
    """requested, accepted, declined, admitted, cancelled or expired."""
    if event["type"] == "placement.requested":
        return "requested"
    return event["decision"] or event["outcome"]


def placement_counts(events: list[Row]) -> dict[str, int]:
    """How many placements were requested, answered each way and closed each way."""
    counted = Counter(placement_kind(event) for event in events)
    return {kind: counted.get(kind, 0) for kind in PLACEMENT_KINDS}


def declined_reasons(events: list[Row]) -> tuple[Row, ...]:
    """Each reason given for declining, with how often; the same words with other spacing count
    as one reason."""
    said = Counter(
        " ".join((event["reason"] or "").split())
        for event in events
        if placement_kind(event) == "declined"
    )
    ranked = sorted(said.items(), key=lambda item: (-item[1], item[0]))
    return tuple({"reason": reason, "count": count} for reason, count in ranked)
