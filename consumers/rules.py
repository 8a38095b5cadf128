"""The rules as pure functions: the roll-up's fold, occupancy, level, stale, overdue, alerts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from fractions import Fraction

from schemas.events import CapacityReported, Event

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Where a record stands among others: occurred_at, then ingest time, partition and offset.
Order = tuple[datetime, datetime, int, int]
# The same order in the replica: the columns that hold it, and newest first as SQL sorts it
# (property tests hold the tables and queries equal to fold_capacity).
ORDER_COLUMNS = ("occurred_at", "ingested_at", "src_partition", "src_offset")
NEWEST = ", ".join(f"{column} DESC" for column in ORDER_COLUMNS)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid event and where and when the broker took it in."""

    event: Event
    ingested_at: datetime  # the broker's LogAppendTime, aware UTC
    partition: int = 0
    offset: int = 0
    source: str = "unknown"  # the record's `source` header (form, csv, cli...); older: unknown

    @property
    def order(self) -> Order:
        """Newest occurred_at wins; on a tie the later ingest (then partition, offset) wins."""
        return (self.event.occurred_at, self.ingested_at, self.partition, self.offset)


@dataclass(frozen=True, slots=True)
class Line:
    usable: int
    occupied: int
    occurred_at: datetime
    event_id: str
    secured: int | None = None  # v2 only: a line is current whole, so a v1 line has none
    oxygen: int | None = None


@dataclass
class CapacityState:
    """Current bed lines per (facility, bed type) and each facility's newest status fields."""

    lines: dict[tuple[str, str], Line] = field(default_factory=dict)
    line_order: dict[tuple[str, str], Order] = field(default_factory=dict)
    status: dict[tuple[str, str], str] = field(default_factory=dict)  # (facility, field) -> value
    status_order: dict[tuple[str, str], Order] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    applied: int = 0
    duplicates: int = 0

    def last_report(self, facility_id: str) -> datetime | None:
        """occurred_at of the facility's newest report (its lines are all current)."""
        times = [line.occurred_at for (f, _), line in self.lines.items() if f == facility_id]
        return max(times, default=None)


STATUS_FIELDS = ("accepting", "ed_status")


def fold_capacity(
    records: Iterable[Accepted],
    state: CapacityState | None = None,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> CapacityState:
    """The reference roll-up: records in log order -> current (or as-of) state."""
    state = state or CapacityState()
    for record in records:
        event = record.event
        key = str(event.event_id)
        if key in state.seen:  # the first event with an id stands, even if the second differs
            state.duplicates += 1
            continue
        state.seen.add(key)
        state.applied += 1
        if not isinstance(event, CapacityReported):
            continue
        if as_of is not None and event.occurred_at > as_of:
            continue
        if known_at is not None and record.ingested_at > known_at:
            continue
        order = record.order
        for bed in event.beds:
            slot = (event.facility_id, bed.bed_type)
            if slot not in state.line_order or order > state.line_order[slot]:
                state.line_order[slot] = order
                state.lines[slot] = Line(
                    bed.usable,
                    bed.occupied,
                    event.occurred_at,
                    key,
                    getattr(bed, "secured", None),
                    getattr(bed, "oxygen", None),
                )
        for name in STATUS_FIELDS:
            value = getattr(event, name)
            field_slot = (event.facility_id, name)
            if value is not None and (
                field_slot not in state.status_order or order > state.status_order[field_slot]
            ):
                state.status_order[field_slot] = order
                state.status[field_slot] = value
    return state


PLACES = 4  # occupancy is shown and exported to 4 places (a percentage with 2 decimals)
_SCALE = 10**PLACES
NEARLY_FULL = Fraction(9, 10)  # occupancy from which a ward counts as nearly full

# Levels of a (facility, bed type) line, from most room to none; the pages' words use these keys.
ROOM, NEARLY, FULL, OVER, NONE = "room", "nearly", "full", "over", "none"
LEVELS = (ROOM, NEARLY, FULL, OVER, NONE)

# The contract's alert kinds (AlertKind, a test ties them), most urgent first as pages list them.
ALERT_KINDS = ("over_capacity", "not_accepting", "stale_report", "occupancy_high")


def occupancy_rate(usable: int, occupied: int) -> float | None:
    """occupied / usable to 4 places, half away from zero on the exact ratio (as Excel does).

    None (shown as a dash) when usable is 0. Integer arithmetic, not round() on a double:
    117/160 is 0.73125 exactly, but the double nearest it is below, and round() gives 0.7312.
    """
    if not usable:
        return None
    # Counts are never negative, so half away from zero is half up: floor(x + 1/2).
    return ((2 * _SCALE * occupied + usable) // (2 * usable)) / _SCALE


def occupancy_sql(usable: str, occupied: str) -> str:
    """occupancy_rate as a DuckDB expression over two integer columns (a test holds them equal)."""
    u, o = f"({usable})::BIGINT", f"({occupied})::BIGINT"
    return f"CASE WHEN {u} > 0 THEN ((2 * {_SCALE} * {o} + {u}) // (2 * {u})) / {_SCALE} END"


def available(usable: int, occupied: int) -> int:
    """Free beds: usable - occupied, never below 0 (a surge shows as 0 free, not negative)."""
    return max(usable - occupied, 0)


def available_sql(usable: str, occupied: str) -> str:
    """available as a DuckDB expression over two integer columns."""
    return f"greatest({usable} - {occupied}, 0)"


def level(usable: int, occupied: int) -> str:
    """How full a line is: none (no usable beds), over, full, nearly (90% or more) or room."""
    if usable <= 0:
        return NONE
    if occupied > usable:
        return OVER
    if occupied == usable:
        return FULL
    return NEARLY if Fraction(occupied, usable) >= NEARLY_FULL else ROOM


def is_stale(last_report: datetime | None, now: datetime, stale_after: timedelta) -> bool:
    """Whether a facility's newest report is older than stale_after (never reported: not stale)."""
    return last_report is not None and now - last_report > stale_after


def stale_sql(last_report: str, now: str, stale_after: str) -> str:
    """is_stale as a DuckDB expression (NULL when the facility never reported)."""
    # One subtraction per query, not per row: subtracting zoned times goes through ICU, which
    # cost the as-of state ~0.7 µs a line (equal in the UTC session, whose days are 24 h).
    return f"({last_report} < {now} - {stale_after})"


DAY = timedelta(days=1)


def report_due(
    last_report: datetime, every_hours: int | None, daily_by: time | None
) -> datetime | None:
    """When the report after last_report is due under a facility's cadence (None: it has none).

    Daily by a time (with its offset): due at the first such deadline a full day or more after
    the report, so that one report covers the one deadline in the day after it.
    """
    if every_hours is not None:
        return last_report + timedelta(hours=every_hours)
    if daily_by is None:
        return None
    earliest = (last_report + DAY).astimezone(daily_by.tzinfo)
    deadline = datetime.combine(earliest.date(), daily_by.replace(tzinfo=None), daily_by.tzinfo)
    return deadline if deadline >= earliest else deadline + DAY


def overdue(
    last_report: datetime | None, now: datetime, every_hours: int | None, daily_by: time | None
) -> datetime | None:
    """Since when a facility's next report is overdue; None when it is not (or, as for stale,
    when it never reported)."""
    if last_report is None:
        return None
    due = report_due(last_report, every_hours, daily_by)
    return due if due is not None and now > due else None


def seconds_utc(daily_by: time) -> int:
    """A daily deadline as seconds after midnight UTC (what overdue_sql reads)."""
    offset = daily_by.utcoffset() or timedelta(0)
    local = daily_by.hour * 3600 + daily_by.minute * 60 + daily_by.second
    return int((local - offset.total_seconds()) % 86400)


def overdue_sql(last_report: str, now: str, every_hours: str, daily_by_s: str) -> str:
    """overdue as a DuckDB expression: the time it became overdue, or NULL (a test holds them
    equal). The daily deadline is found in whole microseconds since the epoch, zone-free."""
    day_us = 86_400 * 10**6
    earliest = f"({last_report} + INTERVAL 1 DAY)"
    wait = f"((({daily_by_s})::BIGINT * 1000000 - epoch_us({earliest})) % {day_us} + {day_us})"
    due = (
        f"CASE WHEN {every_hours} IS NOT NULL THEN {last_report} + to_hours({every_hours}) "
        f"WHEN {daily_by_s} IS NOT NULL THEN {earliest} + to_microseconds({wait} % {day_us}) END"
    )
    return f"(CASE WHEN {now} > {due} THEN {due} END)"


def alert_conditions(
    lines: Iterable[tuple[str, int, int]],
    accepting: str | None,
    last_report: datetime | None,
    now: datetime,
    *,
    threshold: float,
    stale_after: timedelta,
) -> list[tuple[str, str | None]]:
    """(kind, bed type or None) of every alert a facility's current state calls for.

    `lines` are its current (bed type, usable, occupied). A surge line is both over capacity
    and at or over the threshold: it raises both alerts.
    """
    found: list[tuple[str, str | None]] = []
    for bed_type, usable, occupied in lines:
        rate = occupancy_rate(usable, occupied)
        if rate is not None and rate >= threshold:
            found.append(("occupancy_high", bed_type))
        if occupied > usable:
            found.append(("over_capacity", bed_type))
    if accepting == "closed":
        found.append(("not_accepting", None))
    if is_stale(last_report, now, stale_after):
        found.append(("stale_report", None))
    return found


def ms_to_utc(ms: int) -> datetime:
    """A Kafka timestamp (milliseconds since the epoch) as an aware UTC time, exactly."""
    return EPOCH + timedelta(milliseconds=ms)
