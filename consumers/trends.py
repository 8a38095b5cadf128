"""Totals over time: the change each bed line made, kept as lines are written, and the trend.

`line_changes` holds one row per line of `capacity_lines`: what it changed in its (facility,
bed type)'s values against the line before it in the design's order (a first line adds itself
and a line). `district_sums` holds their sums per current district, bed type and UTC day (and
blocks of days). The state at any time is the sum of the changes up to it, so the trend reads
the days before its start and the lines of its window and never sorts history. Both are written
in the store's transaction: a late line recomputes its (facility, bed type)'s changes, and a
facility registered in another district takes its sums there.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from consumers.city import secured_sql
from consumers.columns import AWARE
from consumers.rules import ORDER_COLUMNS, available, available_sql

_ORDER = ", ".join(ORDER_COLUMNS)
_DAY_S = 86_400
# district_sums keeps each day, and blocks of 16 and 256 days (aligned on day 0, 1970-01-01):
# the days before any start are then at most 15 + 15 + a few rows per district and bed type.
SPANS = (1, 16, 256)
VALUES = ("usable", "occupied", "available", "secured", "lines")
CHANGED = ("usable", "occupied", "available", "secured", "unsaid", "unsaid_usable", "lines")

# Each line's values against the one before it; `{chain}` gives the lines of some (facility,
# bed type)s in full from their first, or from the current one, with `new` on those to keep.
# `secured` is the line's own or else its usable beds (the plan at a phase is added by the
# trend: it depends on the phase asked for); `unsaid` marks lines that did not say.
_CHANGES = f"""
SELECT facility_id, bed_type, occurred_at,
       usable - coalesce(lag(usable) OVER w, 0) AS usable,
       occupied - coalesce(lag(occupied) OVER w, 0) AS occupied,
       available - coalesce(lag(available) OVER w, 0) AS available,
       secured - coalesce(lag(secured) OVER w, 0) AS secured,
       unsaid - coalesce(lag(unsaid) OVER w, 0) AS unsaid,
       unsaid_usable - coalesce(lag(unsaid_usable) OVER w, 0) AS unsaid_usable,
       CASE WHEN lag(usable) OVER w IS NULL THEN 1 ELSE 0 END AS lines
FROM (
    SELECT facility_id, bed_type, {_ORDER}, usable, occupied,
           {available_sql("usable", "occupied")} AS available,
           coalesce(secured, usable) AS secured, (secured IS NULL)::INTEGER AS unsaid,
           CASE WHEN secured IS NULL THEN usable ELSE 0 END AS unsaid_usable, new
    FROM ({{chain}}))
WINDOW w AS (PARTITION BY facility_id, bed_type ORDER BY {_ORDER})
QUALIFY new
ORDER BY occurred_at
"""
_LINE = f"facility_id, bed_type, {_ORDER}, usable, occupied, secured"
# The lines of a batch (b_lines, already in capacity_lines) after their current ones.
_ON_TIME = f"""
SELECT {_LINE}, true AS new FROM b_lines {{but}}
UNION ALL
SELECT {_LINE}, false FROM current_beds SEMI JOIN b_lines USING (facility_id, bed_type) {{but}}"""
# The (facility, bed type)s in t_late got a line older than their current one: all their lines.
_BUT_LATE = "ANTI JOIN t_late USING (facility_id, bed_type)"
_LATE_CHAIN = f"""
UNION ALL
SELECT {_LINE}, true FROM capacity_lines SEMI JOIN t_late USING (facility_id, bed_type)"""
# Batches of up to this many lines (live ones) are followed in Python: a window over a few
# dozen rows costs DuckDB more than the rest of the batch's writes; larger ones in SQL.
_FEW = 100
_LATE = f"""
SELECT DISTINCT b.facility_id, b.bed_type FROM b_lines b JOIN current_beds c
    USING (facility_id, bed_type)
WHERE (b.{", b.".join(ORDER_COLUMNS)}) < (c.{", c.".join(ORDER_COLUMNS)})"""
# The current lines of a batch's (facility, bed type)s: what its lines follow, if on time.
_CURRENT = f"""
SELECT {_LINE} FROM current_beds SEMI JOIN b_lines USING (facility_id, bed_type)"""
CHANGE_SCHEMA = pa.schema(
    [("facility_id", pa.string()), ("bed_type", pa.string()), ("occurred_at", AWARE)]
    + [(name, pa.int32()) for name in CHANGED]
)

# Adds (sign 1) or takes away (-1) some changes, with their district, to the sums. The sums hold
# the days before `sums_until` (a day number, in trend_marks): the live path only appends to
# line_changes, and a day is summed once, when a later one begins.
_ADD_SUMS = f"""
INSERT INTO district_sums
SELECT span, day - day % span, district, bed_type, {", ".join(f"sum({v}) * $sign" for v in VALUES)}
FROM (SELECT *, floor(epoch(occurred_at) / {_DAY_S})::INTEGER AS day FROM ({{rows}}))
CROSS JOIN (SELECT unnest({list(SPANS)}) AS span)
WHERE day < $until
GROUP BY ALL
ON CONFLICT (span, first_day, district, bed_type) DO UPDATE SET
    {", ".join(f"{v} = district_sums.{v} + excluded.{v}" for v in VALUES)}
"""
_WITH_DISTRICT = (
    "SELECT c.*, coalesce(f.district, '') AS district FROM {changes} c "
    "LEFT JOIN facilities f USING (facility_id)"
)


def record(con: duckdb.DuckDBPyConnection, count: int) -> None:
    """Keep the changes of a batch's `count` lines (b_lines: inserted, current_beds not yet
    merged)."""
    if count <= _FEW:
        lines = con.sql(f"SELECT {_LINE} FROM b_lines").fetchall()
        before = {(row[0], row[1]): row for row in con.execute(_CURRENT).fetchall()}
        late = {
            (row[0], row[1])
            for row in lines
            if (row[0], row[1]) in before and row[2:6] < before[(row[0], row[1])][2:6]
        }
        if not late:  # live: each line follows the current one, or the batch's before it
            _add(con, _following(before, lines))
            return
    else:
        late = set(con.execute(_LATE).fetchall())
        if not late:
            _add(con, con.sql(_CHANGES.format(chain=_ON_TIME.format(but=""))).to_arrow_table())
            return
    con.register("t_late", pa.table(list(zip(*late, strict=True)), ["facility_id", "bed_type"]))
    # Their changes are taken away and recomputed in full, with the window.
    rows = _WITH_DISTRICT.format(
        changes="(FROM line_changes SEMI JOIN t_late USING (facility_id, bed_type))"
    )
    _sum(con, rows, -1)
    con.execute(
        "DELETE FROM line_changes USING t_late WHERE line_changes.facility_id = "
        "t_late.facility_id AND line_changes.bed_type = t_late.bed_type"
    )
    chain = _ON_TIME.format(but=_BUT_LATE) + _LATE_CHAIN
    changes = con.sql(_CHANGES.format(chain=chain)).to_arrow_table()
    con.unregister("t_late")
    _add(con, changes)


def _following(before: dict[tuple, tuple], lines: list[tuple]) -> pa.Table:
    """_CHANGES in Python, for a few lines that all follow their current ones."""
    columns: list[list] = [[] for _ in CHANGE_SCHEMA.names]
    for line in sorted(lines, key=lambda row: (row[0], row[1], row[2:6])):
        previous = before.get((line[0], line[1]))
        values = _values(*line[6:9])
        old = _values(*previous[6:9]) if previous else (0,) * len(values)
        row = (*line[:3], *(v - o for v, o in zip(values, old, strict=True)), int(not previous))
        for column, value in zip(columns, row, strict=True):
            column.append(value)
        before[(line[0], line[1])] = line
    return pa.table(columns, schema=CHANGE_SCHEMA)


def _values(usable: int, occupied: int, secured: int | None) -> tuple[int, ...]:
    """What a line adds to the totals (_CHANGES' inner select)."""
    unsaid = secured is None
    said = usable if secured is None else secured
    return usable, occupied, available(usable, occupied), said, int(unsaid), usable * unsaid


def _add(con: duckdb.DuckDBPyConnection, changes: pa.Table) -> None:
    if not len(changes):
        return
    con.register("t_changes", changes)
    con.execute("INSERT INTO line_changes SELECT * FROM t_changes")
    until = _until(con)
    times = changes.column("occurred_at")
    if _day(pc.min(times).as_py()) < until:  # a line for a day already summed
        _sum(con, _WITH_DISTRICT.format(changes="t_changes"), 1, until)
    con.unregister("t_changes")
    _sum_days_before(con, _day(pc.max(times).as_py()), until)


def _day(moment: datetime) -> int:
    return int(moment.timestamp() // _DAY_S)


def _until(con: duckdb.DuckDBPyConnection) -> int:
    """The first day whose changes are not in district_sums yet."""
    ((until,),) = con.execute("SELECT coalesce(max(sums_until), 0) FROM trend_marks").fetchall()
    return int(until)


def _sum(
    con: duckdb.DuckDBPyConnection, rows: str, sign: int, until: int | None = None, **more: object
) -> None:
    """Add some changes (rows with their district) to the sums of the days already summed."""
    until = _until(con) if until is None else until
    con.execute(_ADD_SUMS.format(rows=rows), {"sign": sign, "until": until, **more})


def _sum_days_before(con: duckdb.DuckDBPyConnection, day: int, until: int) -> None:
    """Sum the days from `until` to the one before `day` (once a line of a later day is kept)."""
    if day <= until:
        return
    since = datetime.fromtimestamp(until * _DAY_S, UTC)
    rows = _WITH_DISTRICT.format(changes="line_changes") + " WHERE c.occurred_at >= $since"
    _sum(con, rows, 1, day, since=since)
    con.execute("DELETE FROM trend_marks")
    con.execute("INSERT INTO trend_marks VALUES (?)", [day])


def moved(
    con: duckdb.DuckDBPyConnection, facility_id: str, before: str | None, after: str | None
) -> None:
    """A facility registered in another district takes its whole history there."""
    if (before or "") == (after or ""):
        return
    rows = "SELECT *, $district AS district FROM line_changes WHERE facility_id = $facility"
    for district, sign in ((before or "", -1), (after or "", 1)):
        _sum(con, rows, sign, district=district, facility=facility_id)


def backfill(con: duckdb.DuckDBPyConnection) -> None:
    """Fill both tables from every line kept, unless they are filled or there are no lines."""
    ((needed,),) = con.execute(
        "SELECT NOT EXISTS (FROM line_changes) AND EXISTS (FROM capacity_lines)"
    ).fetchall()
    if not needed:
        return
    chain = f"SELECT {_LINE}, true AS new FROM capacity_lines"
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM district_sums; DELETE FROM trend_marks")
        con.execute(f"INSERT INTO line_changes {_CHANGES.format(chain=chain)}")
        ((newest,),) = con.execute("SELECT max(occurred_at) FROM line_changes").fetchall()
        _sum_days_before(con, _day(newest), 0)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# --- The trend ------------------------------------------------------------------------------

_FILTERS = (
    "($bed_types IS NULL OR list_contains($bed_types, bed_type)) "
    "AND ($districts IS NULL OR list_contains($districts, district))"
)
# Which step a line first counts at: whole microseconds, so that a line at a step counts there
# (in floating point an instant could land a step late).
_BUCKET = (
    "greatest((epoch_us(occurred_at) - epoch_us($start::TIMESTAMPTZ) + $step_us - 1)"
    " // $step_us, 0)"
)
# The whole days before $day: each span's blocks from where the next larger span's end.
_BEFORE = " OR ".join(
    f"(span = {span} AND first_day < $day{span}"
    + (f" AND first_day >= $day{larger})" if larger else ")")
    for span, larger in zip(SPANS, (*SPANS[1:], None), strict=True)
)
_PLAN = secured_sql("NULL", "f.secured_beds", "$phase", "c.bed_type", "NULL")
_SUMS = ", ".join(f"sum({v}) AS {v}" for v in VALUES)
_WINDOW = _WITH_DISTRICT.format(changes="line_changes") + (
    " WHERE c.occurred_at >= $since AND c.occurred_at <= $end"
)
# The days summed before the start's day, then the changes from there to the end, bucketed; at a
# phase, the lines that gave no secured count take their registry plan instead of usable.
_FAST = f"""
WITH per_bucket AS (
    SELECT grp, bucket, {_SUMS} FROM (
        SELECT {{group}} AS grp, 0::BIGINT AS bucket, {", ".join(VALUES)} FROM district_sums
        WHERE ({_BEFORE}) AND {_FILTERS}
        UNION ALL
        SELECT {{group}}, {_BUCKET}, {", ".join(VALUES)} FROM ({_WINDOW})
        WHERE {_FILTERS}
        UNION ALL
        SELECT {{group}}, {_BUCKET}, 0, 0, 0, plan * unsaid - unsaid_usable, 0 FROM (
            SELECT c.*, coalesce(f.district, '') AS district, {_PLAN} AS plan
            FROM line_changes c JOIN facilities f USING (facility_id)
            WHERE $phase IS NOT NULL AND (c.unsaid <> 0 OR c.unsaid_usable <> 0)
                AND c.occurred_at <= $end)
        WHERE plan IS NOT NULL AND {_FILTERS})
    GROUP BY ALL),
grid AS (
    SELECT g.grp, b.bucket
    FROM (SELECT grp FROM per_bucket GROUP BY grp HAVING sum(lines) > 0) g
    CROSS JOIN range(0, $buckets) b(bucket))
SELECT $start + to_microseconds(grid.bucket * $step_us) AS "at", grid.grp AS "group",
       {", ".join(f"sum(coalesce({v}, 0)) OVER s AS {v}" for v in VALUES)}
FROM grid LEFT JOIN per_bucket USING (grp, bucket)
WINDOW s AS (PARTITION BY grid.grp ORDER BY grid.bucket)
ORDER BY "group", "at"
"""
# Whether a line up to the end was taken in after `known_at`: the sums hold it, so the trend
# as known then must be recomputed from the lines (reports are kept in ingest order: cheap).
_UNKNOWN = (
    "SELECT EXISTS (FROM capacity_reports WHERE ingested_at > $known_at AND occurred_at <= $end),"
    " (SELECT coalesce(max(sums_until), 0) FROM trend_marks)"
)


def fast(cur: duckdb.DuckDBPyConnection, by: str, params: dict[str, object]) -> pa.Table | None:
    """The trend from the kept changes; None where they cannot answer (known_at in the past)."""
    known = {k: params[k] for k in ("known_at", "end")}
    ((unknown, until),) = cur.execute(_UNKNOWN, known).fetchall()
    if unknown:
        return None
    start: datetime = params["start"]  # type: ignore[assignment]
    day = min(_day(start), until)  # the sums before it, the changes from it
    since = datetime.fromtimestamp(day * _DAY_S, UTC)
    names = ("start", "end", "step_us", "buckets", "bed_types", "districts", "phase")
    values = {k: params[k] for k in names} | {"since": since}
    values |= {f"day{span}": day - day % span for span in SPANS}
    return cur.sql(_FAST.format(group=by), params=values).to_arrow_table()


# The fallback, from the lines themselves (for `known_at` in the past): the state at `start`
# (each line's newest before it, by a hash aggregate), then every later line contributes the
# change it makes to its (facility, bed type); changes are summed per bucket and a running sum
# gives the totals. Lines are ordered as the state orders them, so that of two lines at the same
# occurred_at the later ingest is the one left standing (their changes add up to it). Cost grows
# with the lines after `start`.
_KNOWN = "ingested_at <= $known_at AND ($bed_types IS NULL OR list_contains($bed_types, bed_type))"
_FROM_LINES = f"""
WITH newest_line AS (
    SELECT facility_id, bed_type, max(occurred_at) AS occurred_at FROM capacity_lines
    WHERE occurred_at <= $start AND {_KNOWN} GROUP BY ALL),
raw AS (
    SELECT * FROM capacity_lines SEMI JOIN newest_line USING (facility_id, bed_type, occurred_at)
    WHERE occurred_at <= $start AND {_KNOWN}
    UNION ALL
    SELECT * FROM capacity_lines
    WHERE occurred_at > $start AND occurred_at <= $end AND {_KNOWN}),
lines AS (
    SELECT r.facility_id, r.bed_type, r.usable, r.occupied, r.occurred_at, r.ingested_at,
           r.src_partition, r.src_offset, {available_sql("r.usable", "r.occupied")} AS available,
           {secured_sql("r.secured", "f.secured_beds", "$phase", "r.bed_type", "r.usable")}
               AS secured,
           coalesce(f.district, '') AS district
    FROM raw r LEFT JOIN facilities f USING (facility_id)
    WHERE $districts IS NULL OR list_contains($districts, coalesce(f.district, ''))),
changes AS (
    SELECT {{group}} AS grp,
           {_BUCKET} AS bucket,
           usable - coalesce(lag(usable) OVER w, 0) AS d_usable,
           occupied - coalesce(lag(occupied) OVER w, 0) AS d_occupied,
           available - coalesce(lag(available) OVER w, 0) AS d_available,
           secured - coalesce(lag(secured) OVER w, 0) AS d_secured,
           CASE WHEN lag(usable) OVER w IS NULL THEN 1 ELSE 0 END AS d_lines
    FROM lines
    -- The hash first: comparing one integer sorts faster than two strings; they break its ties.
    WINDOW w AS (PARTITION BY hash(facility_id, bed_type), facility_id, bed_type
                 ORDER BY occurred_at, ingested_at, src_partition, src_offset)),
per_bucket AS (
    SELECT grp, bucket, sum(d_usable) AS du, sum(d_occupied) AS dox, sum(d_available) AS da,
           sum(d_secured) AS ds, sum(d_lines) AS dn
    FROM changes GROUP BY ALL),
grid AS (
    SELECT g.grp, b.bucket FROM (SELECT DISTINCT grp FROM per_bucket) g
    CROSS JOIN range(0, $buckets) b(bucket))
SELECT $start + to_microseconds(grid.bucket * $step_us) AS "at", grid.grp AS "group",
       sum(coalesce(du, 0)) OVER s AS usable, sum(coalesce(dox, 0)) OVER s AS occupied,
       sum(coalesce(da, 0)) OVER s AS available, sum(coalesce(ds, 0)) OVER s AS secured,
       sum(coalesce(dn, 0)) OVER s AS lines
FROM grid LEFT JOIN per_bucket USING (grp, bucket)
WINDOW s AS (PARTITION BY grid.grp ORDER BY grid.bucket)
ORDER BY "group", "at"
"""


def trend(
    cur: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    step: timedelta,
    *,
    by: str = "bed_type",
    bed_types: list[str] | None = None,
    districts: list[str] | None = None,
    known_at: datetime | None = None,
    phase: str | None = None,
    from_lines: bool = False,
) -> pa.Table:
    """Totals of the as-of state at start, start + step, ... up to end, per bed type or district.

    From the kept changes (line_changes, district_sums) unless a line up to the end was taken in
    after `known_at` (they hold it: the totals as known then are recomputed from the lines, as
    they are with `from_lines`, the rule the changes are tested against) or the replica is older
    than them and opened read-only.

    Columns: at (UTC), group (a bed type code or a district, '' for unregistered sources),
    usable, occupied, available (free beds summed per line, as on the board), secured (確保病床,
    each line's as the returns resolve it, the registry's plan taken at `phase`: the phase now,
    so that the line shows what the current plan asks against ready beds) and lines (how many
    facility x bed type lines the totals cover).
    """
    if by not in ("bed_type", "district"):
        raise ValueError("by must be 'bed_type' or 'district'")
    params = parameters(start, end, step, known_at, bed_types, districts, phase)
    if not from_lines:
        with suppress(duckdb.CatalogException):  # a replica not yet migrated, read-only
            found = fast(cur, by, params)
            if found is not None:
                return found
    return cur.sql(_FROM_LINES.format(group=by), params=params).to_arrow_table()


def parameters(
    start: datetime,
    end: datetime,
    step: timedelta,
    known_at: datetime | None = None,
    bed_types: list[str] | None = None,
    districts: list[str] | None = None,
    phase: str | None = None,
) -> dict[str, object]:
    """The trend's query parameters: its steps from start, the last one at or before end."""
    buckets = (end - start) // step + 1
    return {
        "start": start,
        "end": start + step * (buckets - 1),
        "step_us": step // timedelta(microseconds=1),
        "buckets": buckets,
        "known_at": known_at or end,
        "bed_types": bed_types,
        "districts": districts,
        "phase": phase,
    }
