"""The replica's tables, and opening a replica file: creating and migrating its schema."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from consumers import trends

SCHEMA = """
-- Times are TIMESTAMPTZ: they come out aware (UTC, the session zone) all the way to the page.
CREATE TABLE IF NOT EXISTS offsets (
    topic VARCHAR, partition INTEGER, next_offset BIGINT, PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS ingest_counts (
    topic VARCHAR PRIMARY KEY, read BIGINT, applied BIGINT, duplicates BIGINT, rejected BIGINT);
-- UUID keys: 16 bytes in the index instead of 36 characters (faster inserts and checkpoints).
CREATE TABLE IF NOT EXISTS seen_events (event_id UUID PRIMARY KEY, topic VARCHAR);
-- event_id is unique through seen_events; a second index on it would slow every commit.
CREATE TABLE IF NOT EXISTS capacity_reports (
    event_id VARCHAR, facility_id VARCHAR, occurred_at TIMESTAMPTZ,
    ingested_at TIMESTAMPTZ, src_partition INTEGER, src_offset BIGINT, accepting VARCHAR,
    ed_status VARCHAR, note VARCHAR, actor_org VARCHAR, actor_user VARCHAR, bed_types INTEGER);
CREATE TABLE IF NOT EXISTS capacity_lines (
    event_id VARCHAR, facility_id VARCHAR, bed_type VARCHAR, usable INTEGER, occupied INTEGER,
    occurred_at TIMESTAMPTZ, ingested_at TIMESTAMPTZ, src_partition INTEGER, src_offset BIGINT,
    secured INTEGER, oxygen INTEGER);
CREATE TABLE IF NOT EXISTS current_beds (
    facility_id VARCHAR, bed_type VARCHAR, usable INTEGER, occupied INTEGER,
    occurred_at TIMESTAMPTZ, ingested_at TIMESTAMPTZ, src_partition INTEGER, src_offset BIGINT,
    event_id VARCHAR, secured INTEGER, oxygen INTEGER, PRIMARY KEY (facility_id, bed_type));
CREATE TABLE IF NOT EXISTS current_status (
    facility_id VARCHAR, field VARCHAR, value VARCHAR, occurred_at TIMESTAMPTZ,
    ingested_at TIMESTAMPTZ, src_partition INTEGER, src_offset BIGINT,
    PRIMARY KEY (facility_id, field));
CREATE TABLE IF NOT EXISTS facilities (
    facility_id VARCHAR PRIMARY KEY, name_ja VARCHAR, name_en VARCHAR, kind VARCHAR,
    district VARCHAR, lat DOUBLE, lon DOUBLE, licensed_beds VARCHAR, phone VARCHAR,
    registered_at TIMESTAMPTZ, ingested_at TIMESTAMPTZ, secured_beds VARCHAR,
    report_every_hours INTEGER, report_daily_by VARCHAR, report_daily_by_s INTEGER);
-- Every registration as received, so that a past snapshot names facilities as known then.
CREATE TABLE IF NOT EXISTS facility_history AS SELECT * FROM facilities WITH NO DATA;
CREATE TABLE IF NOT EXISTS placement_events (
    event_id VARCHAR, placement_id VARCHAR, type VARCHAR, facility_id VARCHAR,
    detail VARCHAR, actor_org VARCHAR, actor_user VARCHAR, occurred_at TIMESTAMPTZ,
    ingested_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS placements (
    placement_id VARCHAR PRIMARY KEY, facility_id VARCHAR, bed_type VARCHAR, age_band VARCHAR,
    severity VARCHAR, needs VARCHAR, note VARCHAR, status VARCHAR, reason VARCHAR,
    requested_by VARCHAR, requested_at TIMESTAMPTZ, responded_at TIMESTAMPTZ, closed_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS notices (
    notice_id VARCHAR PRIMARY KEY, severity VARCHAR, title VARCHAR, body VARCHAR,
    expires_at TIMESTAMPTZ, posted_at TIMESTAMPTZ, posted_by VARCHAR, withdrawn_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS rejected (
    topic VARCHAR, partition INTEGER, "offset" BIGINT, reason VARCHAR, detail VARCHAR,
    raw BLOB, ingested_at TIMESTAMPTZ, detail_ja VARCHAR, PRIMARY KEY (topic, partition, "offset"));
-- Contract v2, the city's word: every phase declared and every district count, as received.
CREATE TABLE IF NOT EXISTS phases (
    event_id VARCHAR, phase VARCHAR, note VARCHAR, actor_org VARCHAR, actor_user VARCHAR,
    occurred_at TIMESTAMPTZ, ingested_at TIMESTAMPTZ, src_partition INTEGER, src_offset BIGINT);
CREATE TABLE IF NOT EXISTS district_counts (
    event_id VARCHAR, district VARCHAR, at_home INTEGER, in_accommodation INTEGER,
    awaiting_admission INTEGER, occurred_at TIMESTAMPTZ, ingested_at TIMESTAMPTZ,
    src_partition INTEGER, src_offset BIGINT);
-- Every applied event, for the audit page: who, how it was entered (the source header), when.
CREATE TABLE IF NOT EXISTS event_log (
    event_id VARCHAR, type VARCHAR, facility_id VARCHAR, actor_org VARCHAR, actor_user VARCHAR,
    source VARCHAR, occurred_at TIMESTAMPTZ, ingested_at TIMESTAMPTZ);
-- The waiting list (v2): one row per case, folded from case.registered and case.withdrawn.
CREATE TABLE IF NOT EXISTS cases (
    case_id VARCHAR PRIMARY KEY, case_ref VARCHAR, age_band VARCHAR, severity VARCHAR,
    needs VARCHAR, district VARCHAR, waiting_at VARCHAR, waiting_since TIMESTAMPTZ, note VARCHAR,
    registered_at TIMESTAMPTZ, withdrawn_at TIMESTAMPTZ, withdraw_reason VARCHAR,
    registered_by VARCHAR, updated_at TIMESTAMPTZ, from_facility VARCHAR);
-- Step-down (後方支援, v2): every report as received; queries pick the newest as of T.
CREATE TABLE IF NOT EXISTS step_down (
    event_id VARCHAR, facility_id VARCHAR, lower_care INTEGER, home INTEGER, note VARCHAR,
    occurred_at TIMESTAMPTZ, ingested_at TIMESTAMPTZ, src_partition INTEGER, src_offset BIGINT);
-- The trend's sums (consumers/trends.py): each line's change against the line before it, and
-- those changes summed per span of days (1, 16, 256; days since 1970), current district and
-- bed type, for the days before trend_marks.sums_until.
CREATE TABLE IF NOT EXISTS line_changes (
    facility_id VARCHAR, bed_type VARCHAR, occurred_at TIMESTAMPTZ, usable INTEGER,
    occupied INTEGER, available INTEGER, secured INTEGER, unsaid INTEGER, unsaid_usable INTEGER,
    lines INTEGER);
CREATE TABLE IF NOT EXISTS district_sums (
    span INTEGER, first_day INTEGER, district VARCHAR, bed_type VARCHAR, usable BIGINT,
    occupied BIGINT, available BIGINT, secured BIGINT, lines BIGINT,
    PRIMARY KEY (span, first_day, district, bed_type));
CREATE TABLE IF NOT EXISTS trend_marks (sums_until INTEGER);
CREATE TABLE IF NOT EXISTS alerts (
    alert_id VARCHAR PRIMARY KEY, facility_id VARCHAR, kind VARCHAR, detail VARCHAR,
    raised_at TIMESTAMPTZ, cleared_at TIMESTAMPTZ);
"""


V2_COLUMNS = (
    ("capacity_lines", "secured INTEGER"),
    ("capacity_lines", "oxygen INTEGER"),
    ("current_beds", "secured INTEGER"),
    ("current_beds", "oxygen INTEGER"),
    ("facilities", "secured_beds VARCHAR"),
    ("facility_history", "secured_beds VARCHAR"),
    # The waiting list: a placement's case, transport step, answer flag and the log position
    # of the acceptance standing (holds are granted in that order).
    ("placements", "case_id VARCHAR"),
    ("placements", "transport VARCHAR"),
    ("placements", "overdue_at TIMESTAMPTZ"),
    ("placements", "accepted_partition INTEGER"),
    ("placements", "accepted_offset BIGINT"),
    ("placement_events", "case_id VARCHAR"),
    ("cases", "from_facility VARCHAR"),  # a step-down transfer: the hospital moved out of
    # The reporting cadence: every N hours, or daily by a time (as given, and in UTC seconds).
    *((table, column) for table in ("facilities", "facility_history") for column in (
        "report_every_hours INTEGER", "report_daily_by VARCHAR", "report_daily_by_s INTEGER")),
)  # fmt: skip


class ReplicaLocked(RuntimeError):
    """The replica file is held by another process."""


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a replica; a file held by another process gives a message naming that process."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if not read_only and not Path(path).exists():
            _create(Path(path))
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        holder = re.search(r"\(PID (\d+)\)", str(error))
        who = f"process {holder.group(1)}" if holder else "another process"
        raise ReplicaLocked(
            f"the replica {path} is in use by {who}; stop it, or give this command its own "
            f"file with --db or BEDBOARD_DB"
        ) from error
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        con.execute(f"BEGIN TRANSACTION; {SCHEMA} COMMIT")  # all tables or none, even if killed
        _migrate(con)
    return con


def _create(path: Path) -> None:
    """Make a new replica whole under a name of this process's, then link it into place: a
    process killed while DuckDB writes a new file's first blocks would otherwise leave a file
    DuckDB cannot open again. Linking never replaces a replica another process made meanwhile."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.creating")
    for leftover in (partial, partial.with_name(f"{partial.name}.wal")):
        leftover.unlink(missing_ok=True)  # from a creation killed before, under a reused pid
    con = duckdb.connect(str(partial))
    try:
        con.execute(f"BEGIN TRANSACTION; {SCHEMA} COMMIT")
    finally:
        con.close()  # checkpoints: the file is whole and no WAL is left beside it
    os.chmod(partial, 0o600)  # a replica holds every facility's history: its owner's only
    try:
        os.link(partial, path)
    except FileExistsError:
        pass  # another process made it first: open that one
    finally:
        partial.unlink()


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a replica written by an earlier version up to this schema, in one transaction."""
    ((kind,),) = con.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_catalog = "
        "current_database() AND table_schema = 'main' AND table_name = 'seen_events' "
        "AND column_name = 'event_id'"
    ).fetchall()
    if kind != "UUID":  # event ids were kept as text before
        con.execute("""
            BEGIN TRANSACTION;
            CREATE TABLE seen_events_uuid (event_id UUID PRIMARY KEY, topic VARCHAR);
            INSERT INTO seen_events_uuid SELECT event_id::UUID, topic FROM seen_events;
            DROP TABLE seen_events;
            ALTER TABLE seen_events_uuid RENAME TO seen_events;
            COMMIT""")
    # Contract v2's fields, added at the end of the tables an earlier version created.
    con.execute(
        "BEGIN TRANSACTION;"
        + "".join(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c};" for t, c in V2_COLUMNS)
        + "COMMIT"
    )
    naive = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = "
        "current_database() AND table_schema = 'main' AND data_type = 'TIMESTAMP' "
        "ORDER BY ALL"
    ).fetchall()
    if naive:  # times were kept as naive UTC before: the session zone (UTC) reads them right
        alters = "".join(f'ALTER TABLE "{t}" ALTER "{c}" TYPE TIMESTAMPTZ;' for t, c in naive)
        con.execute(f"BEGIN TRANSACTION; {alters} COMMIT")
    trends.backfill(con)  # a replica written before the trend's sums were kept
