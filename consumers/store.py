"""The DuckDB replica: its tables, and the one transaction that applies a batch."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from consumers.rules import EPOCH, Accepted
from schemas.events import (
    AlertCleared,
    AlertRaised,
    CapacityReported,
    FacilityRegistered,
    NoticePosted,
    NoticeWithdrawn,
    PlacementClosed,
    PlacementRequested,
    PlacementResponded,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS offsets (
    topic VARCHAR, partition INTEGER, next_offset BIGINT, PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS ingest_counts (
    topic VARCHAR PRIMARY KEY, read BIGINT, applied BIGINT, duplicates BIGINT, rejected BIGINT);
CREATE TABLE IF NOT EXISTS seen_events (event_id VARCHAR PRIMARY KEY, topic VARCHAR);
-- event_id is unique through seen_events; a second index on it would slow every commit.
CREATE TABLE IF NOT EXISTS capacity_reports (
    event_id VARCHAR, facility_id VARCHAR, occurred_at TIMESTAMP,
    ingested_at TIMESTAMP, src_partition INTEGER, src_offset BIGINT, accepting VARCHAR,
    ed_status VARCHAR, note VARCHAR, actor_org VARCHAR, actor_user VARCHAR, bed_types INTEGER);
CREATE TABLE IF NOT EXISTS capacity_lines (
    event_id VARCHAR, facility_id VARCHAR, bed_type VARCHAR, usable INTEGER, occupied INTEGER,
    occurred_at TIMESTAMP, ingested_at TIMESTAMP, src_partition INTEGER, src_offset BIGINT);
CREATE TABLE IF NOT EXISTS current_beds (
    facility_id VARCHAR, bed_type VARCHAR, usable INTEGER, occupied INTEGER,
    occurred_at TIMESTAMP, ingested_at TIMESTAMP, src_partition INTEGER, src_offset BIGINT,
    event_id VARCHAR, PRIMARY KEY (facility_id, bed_type));
CREATE TABLE IF NOT EXISTS current_status (
    facility_id VARCHAR, field VARCHAR, value VARCHAR, occurred_at TIMESTAMP,
    ingested_at TIMESTAMP, src_partition INTEGER, src_offset BIGINT,
    PRIMARY KEY (facility_id, field));
CREATE TABLE IF NOT EXISTS facilities (
    facility_id VARCHAR PRIMARY KEY, name_ja VARCHAR, name_en VARCHAR, kind VARCHAR,
    district VARCHAR, lat DOUBLE, lon DOUBLE, licensed_beds VARCHAR, phone VARCHAR,
    registered_at TIMESTAMP, ingested_at TIMESTAMP);
-- Every registration as received, so that a past snapshot names facilities as known then.
CREATE TABLE IF NOT EXISTS facility_history AS SELECT * FROM facilities WITH NO DATA;
CREATE TABLE IF NOT EXISTS placement_events (
    event_id VARCHAR, placement_id VARCHAR, type VARCHAR, facility_id VARCHAR,
    detail VARCHAR, actor_org VARCHAR, actor_user VARCHAR, occurred_at TIMESTAMP,
    ingested_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS placements (
    placement_id VARCHAR PRIMARY KEY, facility_id VARCHAR, bed_type VARCHAR, age_band VARCHAR,
    severity VARCHAR, needs VARCHAR, note VARCHAR, status VARCHAR, reason VARCHAR,
    requested_by VARCHAR, requested_at TIMESTAMP, responded_at TIMESTAMP, closed_at TIMESTAMP,
    updated_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS notices (
    notice_id VARCHAR PRIMARY KEY, severity VARCHAR, title VARCHAR, body VARCHAR,
    expires_at TIMESTAMP, posted_at TIMESTAMP, posted_by VARCHAR, withdrawn_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS rejected (
    topic VARCHAR, partition INTEGER, "offset" BIGINT, reason VARCHAR, detail VARCHAR,
    raw BLOB, ingested_at TIMESTAMP, detail_ja VARCHAR, PRIMARY KEY (topic, partition, "offset"));
CREATE TABLE IF NOT EXISTS alerts (
    alert_id VARCHAR PRIMARY KEY, facility_id VARCHAR, kind VARCHAR, detail VARCHAR,
    raised_at TIMESTAMP, cleared_at TIMESTAMP);
"""


class ReplicaLocked(RuntimeError):
    """The replica file is held by another process."""


MICROSECOND = timedelta(microseconds=1)


def utc_naive(moment: datetime) -> datetime:
    """Stored times are UTC without a zone attached."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _micros(moment: datetime) -> int:
    # Arrow takes integers far faster than datetime objects; the column type says they are µs.
    return (moment - EPOCH) // MICROSECOND


@dataclass
class Batch:
    """What one transaction applies: accepted events, rejections, and the next offsets."""

    accepted: dict[str, list[Accepted]] = field(default_factory=dict)  # topic -> records
    rejected: list[dict[str, Any]] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(self.read.values())


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a replica; a file held by another process gives a message naming that process."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
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
    return con


class Store:
    """Writes batches into a replica, each with its offsets in one transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def offsets(self) -> dict[tuple[str, int], int]:
        """The next offset to read per (full topic name, partition), as last committed."""
        rows = self.con.execute("SELECT topic, partition, next_offset FROM offsets").fetchall()
        return {(t, p): o for t, p, o in rows}

    def write(self, batch: Batch) -> dict[str, int]:
        """Apply a batch atomically; returns the duplicates found per topic."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            duplicates = {t: 0 for t in batch.read}
            fresh: dict[str, list[Accepted]] = {}
            for topic, records in batch.accepted.items():
                new = self._new_only(topic, records)
                fresh[topic], duplicates[topic] = list(new.values()), len(records) - len(new)
                self._apply(new)
            self._reject(batch.rejected)
            self._count(batch, fresh, duplicates)
            self._store_offsets(batch.next_offsets)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return duplicates

    def _new_only(self, topic: str, records: list[Accepted]) -> dict[str, Accepted]:
        """The events whose id was not seen before (in the store or earlier in the batch)."""
        first: dict[str, Accepted] = {}
        for record in records:  # dicts keep insertion order: the first in the log stands
            first.setdefault(str(record.event.event_id), record)
        if not first:
            return first
        self.con.register("b_ids", pa.table({"event_id": list(first)}))
        # The primary key's index answers this per id; no scan of the whole table.
        known = self.con.execute(
            "SELECT event_id FROM seen_events WHERE event_id IN (SELECT event_id FROM b_ids)"
        ).fetchall()
        for (event_id,) in known:
            del first[event_id]
        if first:
            self.con.register("b_ids", pa.table({"event_id": list(first)}))
            self.con.execute("INSERT INTO seen_events SELECT event_id, ? FROM b_ids", [topic])
        self.con.unregister("b_ids")
        return first

    def _apply(self, records: dict[str, Accepted]) -> None:
        capacity = [(i, r) for i, r in records.items() if type(r.event) is CapacityReported]
        if capacity:
            self._capacity([r for _, r in capacity], [i for i, _ in capacity])
        for record in records.values():  # few, and their order matters
            e = record.event
            if isinstance(e, FacilityRegistered):
                self._facility(record)
            elif isinstance(e, PlacementRequested | PlacementResponded | PlacementClosed):
                self._placement(record)
            elif isinstance(e, NoticePosted | NoticeWithdrawn):
                self._notice(record)
            elif isinstance(e, AlertRaised | AlertCleared):
                self._alert(record)

    def _capacity(self, records: list[Accepted], ids: list[str]) -> None:
        """Reports go to DuckDB as canonical JSON; DuckDB takes the columns apart in C++."""
        con = self.con
        con.register(
            "b_raw",
            pa.table(
                [
                    pa.array(ids, pa.string()),
                    pa.array([_micros(r.event.occurred_at) for r in records], TIMESTAMP),
                    pa.array([_micros(r.ingested_at) for r in records], TIMESTAMP),
                    pa.array([r.partition for r in records], pa.int32()),
                    pa.array([r.offset for r in records], pa.int64()),
                    # Re-serialised from the validated model, never the raw bytes: in a record
                    # that repeats a key, pydantic keeps the last value and DuckDB the first.
                    pa.array([_canonical(r.event) for r in records], pa.string()),
                ],
                names=["event_id", *WHERE_COLUMNS, "body"],
            ),
        )
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE b_reports AS
            SELECT * EXCLUDE (body), json_transform(body, '{REPORT_JSON}') AS v FROM b_raw""")
        con.unregister("b_raw")
        con.execute("""
            INSERT INTO capacity_reports
            SELECT event_id, v.facility_id, occurred_at, ingested_at, src_partition, src_offset,
                   v.accepting, v.ed_status, v.note, v.actor.org, v.actor."user", len(v.beds)
            FROM b_reports""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE b_lines AS
            SELECT event_id, v.facility_id, b.bed_type, b.usable, b.occupied, occurred_at,
                   ingested_at, src_partition, src_offset
            FROM (SELECT *, unnest(v.beds) AS b FROM b_reports)""")
        con.execute("INSERT INTO capacity_lines SELECT * FROM b_lines")
        # A batch may hold the same key twice; ON CONFLICT would keep the first, so reduce first.
        con.execute(f"""
            INSERT INTO current_beds
            SELECT facility_id, bed_type, usable, occupied, occurred_at, ingested_at,
                   src_partition, src_offset, event_id
            FROM b_lines
            QUALIFY row_number() OVER (PARTITION BY facility_id, bed_type ORDER BY {NEWEST}) = 1
            ON CONFLICT (facility_id, bed_type) DO UPDATE SET
                usable = excluded.usable, occupied = excluded.occupied,
                occurred_at = excluded.occurred_at, ingested_at = excluded.ingested_at,
                src_partition = excluded.src_partition, src_offset = excluded.src_offset,
                event_id = excluded.event_id
            WHERE {NEWER.format(t="current_beds")}""")
        con.execute(f"""
            INSERT INTO current_status
            SELECT * FROM (
                SELECT v.facility_id, 'accepting' AS field, v.accepting AS value, {WHERE}
                FROM b_reports WHERE v.accepting IS NOT NULL
                UNION ALL
                SELECT v.facility_id, 'ed_status', v.ed_status, {WHERE}
                FROM b_reports WHERE v.ed_status IS NOT NULL)
            QUALIFY row_number() OVER (PARTITION BY facility_id, field ORDER BY {NEWEST}) = 1
            ON CONFLICT (facility_id, field) DO UPDATE SET
                value = excluded.value, occurred_at = excluded.occurred_at,
                ingested_at = excluded.ingested_at, src_partition = excluded.src_partition,
                src_offset = excluded.src_offset
            WHERE {NEWER.format(t="current_status")}""")
        con.execute("DROP TABLE b_reports; DROP TABLE b_lines")

    def _facility(self, record: Accepted) -> None:
        # The newest record of a compacted topic replaces the earlier: log order decides.
        e: FacilityRegistered = record.event  # type: ignore[assignment]
        row = [
            e.facility_id,
            e.name.ja,
            e.name.en,
            e.kind,
            e.district,
            e.location.lat if e.location else None,
            e.location.lon if e.location else None,
            json.dumps(e.licensed_beds or {}),
            e.phone,
            utc_naive(e.occurred_at),
            utc_naive(record.ingested_at),
        ]
        self.con.execute(
            "INSERT OR REPLACE INTO facilities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row
        )
        self.con.execute(
            "INSERT INTO facility_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row
        )

    def _placement(self, record: Accepted) -> None:
        """Keep the history, and fold the event into the placement's current row.

        Any arrival order gives the same row: the first request fills the request fields,
        the newest response its answer, and a close is final: its outcome is the status.
        """
        e = record.event
        at, ingested = utc_naive(e.occurred_at), utc_naive(record.ingested_at)
        placement_id = str(e.placement_id)  # type: ignore[attr-defined]
        facility = getattr(e, "facility_id", None)
        detail = e.model_dump(
            mode="json",
            exclude={"type", "version", "event_id", "occurred_at", "actor", "placement_id"},
            exclude_none=True,
        )
        self.con.execute(
            "INSERT INTO placement_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                str(e.event_id),
                placement_id,
                e.type,  # type: ignore[attr-defined]
                facility,
                json.dumps(detail, ensure_ascii=False),
                e.actor.org,
                e.actor.user,
                at,
                ingested,
            ],
        )
        if isinstance(e, PlacementRequested):
            self.con.execute(
                f"""INSERT INTO placements ({PLACEMENT_COLUMNS}) VALUES
                    (?, ?, ?, ?, ?, ?, ?, 'requested', NULL, ?, ?, NULL, NULL, ?)
                ON CONFLICT (placement_id) DO UPDATE SET
                    facility_id = excluded.facility_id, bed_type = excluded.bed_type,
                    age_band = excluded.age_band, severity = excluded.severity,
                    needs = excluded.needs, note = excluded.note,
                    requested_by = excluded.requested_by, requested_at = excluded.requested_at,
                    updated_at = greatest(placements.updated_at, excluded.updated_at)
                WHERE placements.requested_at IS NULL""",
                [
                    placement_id,
                    e.facility_id,
                    e.bed_type,
                    e.patient.age_band,
                    e.patient.severity,
                    json.dumps(e.patient.needs),
                    e.note,
                    e.actor.user,
                    at,
                    at,
                ],
            )
        elif isinstance(e, PlacementResponded):
            self.con.execute(
                f"""INSERT INTO placements ({PLACEMENT_COLUMNS}) VALUES
                    (?, ?, NULL, NULL, NULL, NULL, NULL, ?, ?, NULL, NULL, ?, NULL, ?)
                ON CONFLICT (placement_id) DO UPDATE SET
                    facility_id = coalesce(placements.facility_id, excluded.facility_id),
                    status = CASE WHEN placements.closed_at IS NULL THEN excluded.status
                                  ELSE placements.status END,
                    reason = excluded.reason, responded_at = excluded.responded_at,
                    updated_at = greatest(placements.updated_at, excluded.updated_at)
                -- Only the facility asked may answer; another's answer stays in the history.
                WHERE (placements.facility_id IS NULL
                       OR placements.facility_id = excluded.facility_id)
                  AND (placements.responded_at IS NULL
                       OR excluded.responded_at >= placements.responded_at)""",
                [placement_id, e.facility_id, e.decision, e.reason, at, at],
            )
        elif isinstance(e, PlacementClosed):
            self.con.execute(
                f"""INSERT INTO placements ({PLACEMENT_COLUMNS}) VALUES
                    (?, NULL, NULL, NULL, NULL, NULL, NULL, ?, NULL, NULL, NULL, NULL, ?, ?)
                ON CONFLICT (placement_id) DO UPDATE SET
                    status = excluded.status, closed_at = excluded.closed_at,
                    updated_at = greatest(placements.updated_at, excluded.updated_at)
                WHERE placements.closed_at IS NULL""",
                [placement_id, e.outcome, at, at],
            )

    def _notice(self, record: Accepted) -> None:
        """Fold a notice event into its row; a withdrawal is final, whenever it arrives."""
        e = record.event
        if isinstance(e, NoticePosted):
            self.con.execute(
                """INSERT INTO notices VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                ON CONFLICT (notice_id) DO UPDATE SET
                    severity = excluded.severity, title = excluded.title, body = excluded.body,
                    expires_at = excluded.expires_at, posted_at = excluded.posted_at,
                    posted_by = excluded.posted_by
                WHERE notices.posted_at IS NULL OR excluded.posted_at >= notices.posted_at""",
                [
                    str(e.notice_id),
                    e.severity,
                    e.title,
                    e.body,
                    utc_naive(e.expires_at) if e.expires_at else None,
                    utc_naive(e.occurred_at),
                    f"{e.actor.org}:{e.actor.user}",
                ],
            )
        elif isinstance(e, NoticeWithdrawn):
            self.con.execute(
                """INSERT INTO notices (notice_id, withdrawn_at) VALUES (?, ?)
                ON CONFLICT (notice_id) DO UPDATE SET withdrawn_at = excluded.withdrawn_at
                WHERE notices.withdrawn_at IS NULL""",
                [str(e.notice_id), utc_naive(e.occurred_at)],
            )

    def _alert(self, record: Accepted) -> None:
        """The newest transition of an alert (by occurred_at) says whether it is open."""
        e: AlertRaised | AlertCleared = record.event  # type: ignore[assignment]
        at = utc_naive(e.occurred_at)
        raised = isinstance(e, AlertRaised)
        self.con.execute(
            f"""INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (alert_id) DO UPDATE SET
                facility_id = excluded.facility_id, kind = excluded.kind,
                detail = excluded.detail,
                raised_at = {"excluded.raised_at" if raised else "alerts.raised_at"},
                cleared_at = {"NULL" if raised else "excluded.cleared_at"}
            WHERE ?::TIMESTAMP >= greatest(alerts.raised_at, alerts.cleared_at)""",
            [
                e.alert_id,
                e.facility_id,
                e.kind,
                json.dumps(e.detail, ensure_ascii=False),
                at if raised else None,
                None if raised else at,
                at,
            ],
        )

    def _reject(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        # Through Arrow: a flood of bad records must not slow the roll-up to a crawl.
        columns = {name: [r.get(name) for r in rows] for name in REJECTED_COLUMNS}
        columns["ingested_at"] = [_micros(r["ingested_at"]) for r in rows]
        self.con.register("b_rejected", pa.table(columns, schema=REJECTED_SCHEMA))
        names = ", ".join(f'"{n}"' for n in REJECTED_COLUMNS)
        self.con.execute(f"INSERT OR IGNORE INTO rejected ({names}) SELECT * FROM b_rejected")
        self.con.unregister("b_rejected")

    def _count(
        self, batch: Batch, fresh: dict[str, list[Accepted]], duplicates: dict[str, int]
    ) -> None:
        for topic, read in batch.read.items():
            rejected = sum(1 for r in batch.rejected if r["topic"] == topic)
            self.con.execute(
                "INSERT INTO ingest_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic) DO UPDATE "
                "SET read = read + excluded.read, applied = applied + excluded.applied, "
                "duplicates = duplicates + excluded.duplicates, "
                "rejected = rejected + excluded.rejected",
                [topic, read, len(fresh.get(topic, [])), duplicates.get(topic, 0), rejected],
            )

    def _store_offsets(self, offsets: dict[tuple[str, int], int]) -> None:
        for (topic, partition), offset in offsets.items():
            self.con.execute(
                "INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)", [topic, partition, offset]
            )


NEWEST = "occurred_at DESC, ingested_at DESC, src_partition DESC, src_offset DESC"
NEWER = (
    "(excluded.occurred_at, excluded.ingested_at, excluded.src_partition, excluded.src_offset)"
    " > ({t}.occurred_at, {t}.ingested_at, {t}.src_partition, {t}.src_offset)"
)
PLACEMENT_COLUMNS = (
    "placement_id, facility_id, bed_type, age_band, severity, needs, note, status, reason, "
    "requested_by, requested_at, responded_at, closed_at, updated_at"
)
TIMESTAMP = pa.timestamp("us")
WHERE_COLUMNS = ("occurred_at", "ingested_at", "src_partition", "src_offset")
WHERE = ", ".join(WHERE_COLUMNS)
# The structure json_transform gives a canonical capacity.reported (validated before).
REPORT_JSON = json.dumps(
    {
        "facility_id": "VARCHAR",
        "accepting": "VARCHAR",
        "ed_status": "VARCHAR",
        "note": "VARCHAR",
        "actor": {"org": "VARCHAR", "user": "VARCHAR"},
        "beds": [{"bed_type": "VARCHAR", "usable": "INTEGER", "occupied": "INTEGER"}],
    }
)
REJECTED_SCHEMA = pa.schema(
    [("topic", pa.string()), ("partition", pa.int32()), ("offset", pa.int64())]
    + [("reason", pa.string()), ("detail", pa.string()), ("detail_ja", pa.string())]
    + [("raw", pa.binary()), ("ingested_at", TIMESTAMP)]
)
REJECTED_COLUMNS = tuple(REJECTED_SCHEMA.names)
_canonical = CapacityReported.__pydantic_serializer__.to_json


@contextmanager
def opened(path: Path | str) -> Iterator[Store]:
    """A store on a replica file, closed on exit."""
    con = connect(path)
    try:
        yield Store(con)
    finally:
        con.close()
