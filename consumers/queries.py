"""Read queries over a replica shared by the dashboard, the exports and the CLI.

Every time in and out is aware: the replica keeps TIMESTAMPTZ in a UTC session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from consumers.rules import (
    NEWEST,
    ORDER_COLUMNS,
    available_sql,
    occupancy_sql,
    overdue_sql,
    stale_sql,
)
from consumers.trends import trend as trend  # where it lives now; read from here
from consumers.waiting import LINE_HOLDS

# One row per (facility, bed type) current as of T and known by K: the design's "Time" rule.
# A key's current row (current_beds, current_status) is its answer when it was true by T and
# known by K: every other line of it is older. Only the others are looked for in history, first
# in the week before T, then the quarter before that, then anywhere, each time only for keys not
# found yet: the lines are stored in ingest order, so DuckDB reads only the row groups of each
# span, and a span with no key left to find is not read at all. Aggregating all ~10M lines of
# a national replica was the floor of this query before (~350 ms of CPU).
_KNOWN = "occurred_at <= $as_of AND ingested_at <= $known_at"
_ORDER = f"({', '.join(ORDER_COLUMNS)})"  # NEWEST as one key of arg_max
LOOKBACK = (timedelta(days=7), timedelta(days=91))


def _newest(
    name: str, current: str, history: str, key: str, columns: tuple[str, ...], spans: int
) -> str:
    """CTEs ending in `name`: per key, the newest row by NEWEST true by T and known by K,
    looked for in `spans` spans of history after the current rows."""
    line = "{" + ", ".join(f"'{c}': {c}" for c in columns) + "}"
    ctes = [
        f"{name}_0 AS (SELECT {key}, {line} AS line FROM {current} WHERE {_KNOWN})",
        f"{name}_0_missing AS (SELECT {key} FROM {current} WHERE NOT ({_KNOWN}))",
    ]
    for n in range(1, spans + 1):
        since = f"occurred_at > $as_of - $lookback_{n}" if n < spans else "true"
        until = f"occurred_at <= $as_of - $lookback_{n - 1}" if n > 1 else "true"
        where = f"{_KNOWN} AND {since} AND {until}"
        # The newest time per key by a hash aggregate, then only the lines at that time ranked.
        ctes += [
            f"""{name}_{n}_at AS (
    SELECT {key}, max(occurred_at) AS occurred_at FROM {history}
    SEMI JOIN {name}_{n - 1}_missing USING ({key}) WHERE {where} GROUP BY ALL)""",
            f"""{name}_{n} AS (
    SELECT {key}, arg_max({line}, {_ORDER}) AS line FROM {history}
    SEMI JOIN {name}_{n}_at USING ({key}, occurred_at) WHERE {where} GROUP BY ALL)""",
        ]
        if n < spans:
            ctes.append(
                f"{name}_{n}_missing AS (SELECT {key} FROM {name}_{n - 1}_missing "
                f"ANTI JOIN {name}_{n} USING ({key}))"
            )
    found = " UNION ALL ".join(f"SELECT * FROM {name}_{n}" for n in range(spans + 1))
    ctes.append(f"{name} AS (SELECT {key}, unnest(line) FROM ({found}))")
    return ",\n".join(ctes)


_STATUS_HISTORY = f"""(
    SELECT facility_id, 'accepting' AS field, accepting AS value, {", ".join(ORDER_COLUMNS)}
    FROM capacity_reports WHERE accepting IS NOT NULL
    UNION ALL
    SELECT facility_id, 'ed_status', ed_status, {", ".join(ORDER_COLUMNS)}
    FROM capacity_reports WHERE ed_status IS NOT NULL)"""
_LINE = ("usable", "occupied", "occurred_at", "secured", "oxygen")
# A facility's newest report is the newest of its lines: every report has at least one line
# (the contract's and the bulk check's rule), with the report's times.
_STATE = """
WITH {lines},
{statuses},
status AS (
    SELECT facility_id,
           any_value(value) FILTER (WHERE field = 'accepting') AS accepting,
           any_value(value) FILTER (WHERE field = 'ed_status') AS ed_status
    FROM statuses GROUP BY 1),
newest AS (SELECT facility_id, max(occurred_at) AS last_report FROM lines GROUP BY 1),
registry AS (
    SELECT * FROM facility_history WHERE ingested_at <= $known_at
    QUALIFY row_number() OVER (PARTITION BY facility_id ORDER BY ingested_at DESC, rowid DESC) = 1)
SELECT l.facility_id, f.name_ja AS facility_name, f.district, l.bed_type, l.usable, l.occupied,
       {available} AS available, {occupancy} AS occupancy_rate,
       s.accepting, s.ed_status, l.occurred_at AS reported_at, {stale} AS stale,
       l.secured, l.oxygen, f.kind, f.secured_beds
FROM lines l
JOIN newest n USING (facility_id)
LEFT JOIN registry f USING (facility_id)
LEFT JOIN status s USING (facility_id)
ORDER BY l.facility_id, l.bed_type
"""


@cache
def _state_sql(spans: int) -> str:
    """The as-of query looking for lines in `spans` spans of history."""
    return _STATE.format(
        lines=_newest(
            "lines", "current_beds", "capacity_lines", "facility_id, bed_type", _LINE, spans
        ),
        statuses=_newest(
            "statuses", "current_status", _STATUS_HISTORY, "facility_id, field", ("value",), spans
        ),
        available=available_sql("l.usable", "l.occupied"),
        occupancy=occupancy_sql("l.usable", "l.occupied"),
        stale=stale_sql("n.last_report", "$as_of", "$stale_after"),
    )


def state(
    cur: duckdb.DuckDBPyConnection,
    as_of: datetime,
    known_at: datetime,
    stale_after: timedelta,
    *,
    lookback: tuple[timedelta, ...] = LOOKBACK,
) -> pa.Table:
    """The snapshot rows of the contract (times in UTC) for `as_of` as known at `known_at`;
    `lookback` only says where lines are looked for first (any increasing spans give the same)."""
    params: dict[str, Any] = {
        "as_of": as_of,
        "known_at": known_at,
        "stale_after": stale_after,
    }
    params |= {f"lookback_{n}": span for n, span in enumerate(lookback, start=1)}
    return cur.sql(_state_sql(len(lookback) + 1), params=params).to_arrow_table()


def event_count(cur: duckdb.DuckDBPyConnection, as_of: datetime, known_at: datetime) -> int:
    """Accepted capacity reports with occurred_at <= as_of, ingested by known_at."""
    # fetchall, not fetchone: an unfinished DuckDB 2 result would block the cursor's next query.
    ((count,),) = cur.execute(
        "SELECT count(*) FROM capacity_reports WHERE occurred_at <= ? AND ingested_at <= ?",
        [as_of, known_at],
    ).fetchall()
    return int(count)


# The current board from the maintained tables: no recomputation over history. Two reads, one
# per facility and one per line, put together in Arrow: one joined query spent most of its time
# handing DuckDB's result over, every line repeating its facility's columns (strings most);
# pyarrow's take repeats them in a fraction of that. No ORDER BY: sorting 64,000 wide rows by two
# strings took longer than the rest, and every page sorts what it shows by its own keys (by
# facility id last, so that the order is stable).
_BOARD_FACILITIES = """
WITH newest AS (
    SELECT facility_id, max(occurred_at) AS last_report, max(ingested_at) AS last_ingest
    FROM current_beds GROUP BY 1),
status AS (
    SELECT facility_id,
           any_value(value) FILTER (WHERE field = 'accepting') AS accepting,
           any_value(value) FILTER (WHERE field = 'ed_status') AS ed_status
    FROM current_status GROUP BY 1)
SELECT n.facility_id, f.name_ja, f.name_en, f.kind, f.district, f.lat, f.lon,
       f.facility_id IS NOT NULL AS registered, n.last_report, n.last_ingest, s.accepting,
       s.ed_status, f.secured_beds
FROM newest n
LEFT JOIN status s USING (facility_id)
LEFT JOIN facilities f USING (facility_id)
"""
_BOARD_LINES = f"""
WITH {LINE_HOLDS}
SELECT b.facility_id, b.bed_type, b.usable, b.occupied,
       -- Free net of holds (and of admissions the report does not count yet): consumers/cases.
       greatest({available_sql("b.usable", "b.occupied")} - coalesce(h.held, 0)
                - coalesce(h.arriving, 0), 0) AS available,
       {occupancy_sql("b.usable", "b.occupied")} AS occupancy_rate,
       b.occurred_at AS reported_at, b.secured, b.oxygen, coalesce(h.held, 0) AS held,
       coalesce(h.arriving, 0) AS arriving
FROM current_beds b
LEFT JOIN line_holds h USING (facility_id, bed_type)
"""
BOARD_COLUMNS = (
    "facility_id", "name_ja", "name_en", "kind", "district", "lat", "lon", "registered",
    "bed_type", "usable", "occupied", "available", "occupancy_rate", "reported_at",
    "last_report", "last_ingest", "accepting", "ed_status", "secured", "oxygen", "secured_beds",
    "held", "arriving",
)  # fmt: skip


def board(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every (facility, bed type) line as it stands now, with its registry data, unsorted;
    `available` is free net of bed holds, `held` and `arriving` say by how much."""
    with _one_snapshot(cur):  # the roll-up may commit between the two reads
        per_facility = cur.sql(_BOARD_FACILITIES).to_arrow_table()
        lines = cur.sql(_BOARD_LINES).to_arrow_table()
    at = pc.index_in(lines.column("facility_id"), value_set=per_facility.column("facility_id"))
    theirs = per_facility.drop_columns(["facility_id"]).take(at)
    return pa.table(
        {
            name: (lines if name in lines.column_names else theirs).column(name)
            for name in BOARD_COLUMNS
        }
    )


@contextmanager
def _one_snapshot(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Reads that see the same commits: in a transaction of their own, or in the caller's."""
    try:
        cur.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:  # the caller's transaction is open: it holds them
        yield
        return
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):  # a failed read may have ended it: its error is the one
            cur.execute("ROLLBACK")
        raise
    cur.execute("COMMIT")


def ingest_counts(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    return cur.sql(
        "SELECT topic, read, applied, duplicates, rejected FROM ingest_counts ORDER BY topic"
    ).to_arrow_table()


# --- Reads for the dashboard -------------------------------------------------------------


def facilities(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """The facility registry, one row per registered facility."""
    return cur.sql(
        "SELECT facility_id, name_ja, name_en, kind, district, lat, lon, licensed_beds, phone, "
        "report_every_hours, report_daily_by FROM facilities ORDER BY facility_id"
    ).to_arrow_table()


_OVERDUE = f"""
SELECT * FROM (
    SELECT f.facility_id, f.name_ja, f.name_en, f.report_every_hours, f.report_daily_by,
           n.last_report,
           {overdue_sql("n.last_report", "$now", "f.report_every_hours", "f.report_daily_by_s")}
               AS overdue_since
    FROM facilities f
    JOIN (SELECT facility_id, max(occurred_at) AS last_report FROM current_beds GROUP BY 1) n
        USING (facility_id))
WHERE overdue_since IS NOT NULL
ORDER BY overdue_since, facility_id
"""


def overdue(cur: duckdb.DuckDBPyConnection, now: datetime) -> pa.Table:
    """Facilities whose next report is overdue under their cadence, longest overdue first."""
    return cur.sql(_OVERDUE, params={"now": now}).to_arrow_table()


def event_log(cur: duckdb.DuckDBPyConnection, limit: int) -> pa.Table:
    """The newest applied events with their actor, source and times (the audit page)."""
    return cur.sql(
        "SELECT event_id, type, facility_id, actor_org, actor_user, source, occurred_at, "
        f"ingested_at FROM event_log ORDER BY ingested_at DESC LIMIT {int(limit)}"
    ).to_arrow_table()


def rejected(cur: duckdb.DuckDBPyConnection, limit: int) -> pa.Table:
    """The newest refused records with their reasons (also in the DLQ), for the audit page."""
    return cur.sql(
        'SELECT topic, partition, "offset", reason, detail, detail_ja, raw, ingested_at '
        f"FROM rejected ORDER BY ingested_at DESC LIMIT {int(limit)}"
    ).to_arrow_table()


def last_ingest(cur: duckdb.DuckDBPyConnection) -> datetime | None:
    """The broker's ingest time (aware UTC) of the newest event this replica has applied."""
    rows = cur.execute(
        "SELECT max(t) FROM (SELECT max(ingested_at) AS t FROM capacity_reports "
        "UNION ALL SELECT max(ingested_at) FROM facilities "
        "UNION ALL SELECT max(ingested_at) FROM placement_events)"
    ).fetchall()  # fetchall completes the result; a pending one would block this cursor
    return rows[0][0] if rows else None


def facility_lines(cur: duckdb.DuckDBPyConnection, facility_id: str, since: datetime) -> pa.Table:
    """Every reported line of one facility since a time, plus the line current at that time."""
    return cur.sql(
        f"""
        WITH f AS (SELECT * FROM capacity_lines WHERE facility_id = $facility_id),
        before AS (
            SELECT * FROM f WHERE occurred_at < $since
            QUALIFY row_number() OVER (PARTITION BY bed_type ORDER BY {NEWEST}) = 1)
        SELECT bed_type, usable, occupied, occurred_at, ingested_at FROM (
            SELECT * FROM before UNION ALL SELECT * FROM f WHERE occurred_at >= $since)
        ORDER BY bed_type, occurred_at, ingested_at""",
        params={"facility_id": facility_id, "since": since},
    ).to_arrow_table()


def facility_reports(
    cur: duckdb.DuckDBPyConnection, facility_id: str, limit: int = 200
) -> pa.Table:
    """The newest reports of one facility: who sent what and when, with their bed lines."""
    return cur.sql(
        """
        SELECT r.event_id, r.occurred_at, r.ingested_at, r.actor_org, r.actor_user,
               r.accepting, r.ed_status, r.note,
               list({'bed_type': l.bed_type, 'usable': l.usable, 'occupied': l.occupied}
                    ORDER BY l.bed_type) AS beds
        FROM capacity_reports r JOIN capacity_lines l USING (event_id)
        WHERE r.facility_id = $facility_id
        GROUP BY ALL
        ORDER BY r.occurred_at DESC, r.ingested_at DESC
        LIMIT $limit""",
        params={"facility_id": facility_id, "limit": limit},
    ).to_arrow_table()


def current_notices(cur: duckdb.DuckDBPyConnection, now: datetime) -> pa.Table:
    """Notices neither withdrawn nor expired at `now`, the most severe and newest first."""
    return cur.sql(
        """
        SELECT notice_id, severity, title, body, expires_at, posted_at, posted_by FROM notices
        WHERE withdrawn_at IS NULL AND (expires_at IS NULL OR expires_at > $now)
        ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                 posted_at DESC""",
        params={"now": now},
    ).to_arrow_table()


def open_alerts(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """Alerts raised by the alert processor and not cleared, newest first."""
    return cur.sql(
        "SELECT alert_id, facility_id, kind, detail, raised_at FROM alerts "
        "WHERE cleared_at IS NULL ORDER BY raised_at DESC"
    ).to_arrow_table()


# --- Reads for staff and coordination: report form, inbox, placements, notices (issue 5) -------


def facility_current(cur: duckdb.DuckDBPyConnection, facility_id: str) -> pa.Table:
    """One facility's current line per bed type (what its report form starts from)."""
    return cur.sql(
        "SELECT bed_type, usable, occupied, occurred_at FROM current_beds "
        "WHERE facility_id = $facility_id ORDER BY bed_type",
        params={"facility_id": facility_id},
    ).to_arrow_table()


def facility_status(
    cur: duckdb.DuckDBPyConnection, facility_id: str
) -> dict[str, tuple[str, datetime]]:
    """A facility's newest `accepting` and `ed_status`: value and occurred_at (UTC)."""
    rows = cur.execute(
        "SELECT field, value, occurred_at FROM current_status WHERE facility_id = ?", [facility_id]
    ).fetchall()
    return {field: (value, at) for field, value, at in rows}


_PLACEMENTS = """
SELECT p.placement_id, p.facility_id, f.name_ja, f.name_en, p.bed_type, p.age_band, p.severity,
       p.needs, p.note, p.status, p.reason, p.requested_by, p.requested_at, p.responded_at,
       p.closed_at, p.updated_at, p.overdue_at, p.transport, p.case_id
FROM placements p LEFT JOIN facilities f USING (facility_id)
WHERE ($facility_ids IS NULL OR list_contains($facility_ids, p.facility_id))
  AND (NOT $open_only OR p.closed_at IS NULL)
  AND ($since IS NULL OR p.updated_at >= $since)
ORDER BY p.closed_at IS NOT NULL, p.updated_at DESC
LIMIT $limit
"""


def placement_list(
    cur: duckdb.DuckDBPyConnection,
    *,
    facility_ids: list[str] | None = None,
    open_only: bool = False,
    since: datetime | None = None,
    limit: int = 500,
) -> pa.Table:
    """Placements (optionally of some facilities, open ones only), open first, newest first."""
    params = {
        "facility_ids": facility_ids,
        "open_only": open_only,
        "since": since,
        "limit": limit,
    }
    return cur.sql(_PLACEMENTS, params=params).to_arrow_table()


def placement_facility(cur: duckdb.DuckDBPyConnection, placement_id: str) -> str | None:
    """The facility a placement was requested of, as the replica knows it."""
    rows = cur.execute(
        "SELECT facility_id FROM placements WHERE placement_id = ?", [placement_id]
    ).fetchall()
    return rows[0][0] if rows else None


def placement_history(cur: duckdb.DuckDBPyConnection, placement_ids: list[str]) -> pa.Table:
    """Every event of some placements, oldest first: who did what, when."""
    return cur.sql(
        "SELECT placement_id, type, facility_id, detail, actor_org, actor_user, occurred_at, "
        "ingested_at FROM placement_events WHERE list_contains($ids, placement_id) "
        "ORDER BY placement_id, occurred_at, ingested_at",
        params={"ids": placement_ids},
    ).to_arrow_table()


def notice_list(cur: duckdb.DuckDBPyConnection, limit: int = 200) -> pa.Table:
    """Notices newest first, withdrawn and expired ones included (for the notices page)."""
    return cur.sql(
        "SELECT notice_id, severity, title, body, expires_at, posted_at, posted_by, withdrawn_at "
        "FROM notices ORDER BY posted_at DESC LIMIT $limit",
        params={"limit": limit},
    ).to_arrow_table()


_INBOX_NEWS = """
SELECT e.event_id, e.type, e.placement_id, e.facility_id, f.name_ja, f.name_en, p.bed_type,
       json_extract_string(e.detail, '$.decision') AS decision, e.ingested_at
FROM placement_events e JOIN placements p USING (placement_id)
LEFT JOIN facilities f ON f.facility_id = p.facility_id
WHERE e.ingested_at >= $since AND (
    (e.type = 'placement.requested'
     AND ($facility_ids IS NULL OR list_contains($facility_ids, e.facility_id)))
    OR (e.type = 'placement.responded' AND p.requested_by = $requester))
ORDER BY e.ingested_at, e.event_id
LIMIT 50
"""


def inbox_news(
    cur: duckdb.DuckDBPyConnection,
    since: datetime,
    *,
    facility_ids: list[str] | None,
    requester: str | None,
) -> list[dict[str, Any]]:
    """Requests to some facilities (None: all) and answers to one requester's requests that
    arrived at or after `since`, oldest first (what the live bell rings for)."""
    params = {"since": since, "facility_ids": facility_ids, "requester": requester}
    return cur.sql(_INBOX_NEWS, params=params).to_arrow_table().to_pylist()  # type: ignore[no-any-return]


def waiting_requests(cur: duckdb.DuckDBPyConnection, facility_ids: list[str] | None) -> int:
    """How many requests to some facilities (None: all) wait for an answer: the inbox's badge."""
    row = cur.execute(
        "SELECT count(*) FROM placements WHERE status = 'requested' AND closed_at IS NULL "
        "AND ($ids IS NULL OR list_contains($ids, facility_id))",
        {"ids": facility_ids},
    ).fetchone()
    return int(row[0]) if row else 0
