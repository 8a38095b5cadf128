"""Writing to the replica: the one transaction that applies a batch with its offsets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from consumers import placing, trends
from consumers.bulk import Checked, Raw
from consumers.columns import (
    REJECTED_COLUMNS,
    REJECTED_SCHEMA,
    line_columns,
    report_columns,
    times,
)
from consumers.rules import NEWEST, ORDER_COLUMNS, Accepted, seconds_utc
from consumers.schema import ReplicaLocked, connect
from schemas.events import (
    AlertCleared,
    AlertRaised,
    CapacityReported,
    FacilityRegistered,
    NoticePosted,
    NoticeWithdrawn,
)
from schemas.events_v2 import (
    CaseRegistered,
    CaseWithdrawn,
    DistrictCounted,
    PhaseDeclared,
    ReportingCadence,
    StepDownReported,
)

EVENT_LOG_COLUMNS = (
    "event_id", "type", "facility_id", "actor_org", "actor_user", "source", "occurred_at",
    "ingested_at",
)  # fmt: skip
EVENT_LOG_SCHEMA = pa.schema(
    [(name, pa.string()) for name in EVENT_LOG_COLUMNS[:6]]
    + [(name, pa.timestamp("us", tz="UTC")) for name in EVENT_LOG_COLUMNS[6:]]
)

# Opening a replica lives in consumers.schema; these names stay importable from here.
__all__ = ["Batch", "ReplicaLocked", "Store", "connect", "opened"]


@dataclass
class Batch:
    """What one transaction applies: accepted events, rejections, and the next offsets."""

    # topic -> records checked one by one, in log order (after `checked`'s, if both are given)
    accepted: dict[str, list[Accepted]] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    checked: dict[str, Checked] = field(default_factory=dict)  # topic -> checked in bulk
    raw: dict[str, Raw] = field(default_factory=dict)  # topic -> polled, to be checked

    def __len__(self) -> int:
        return sum(self.read.values())


class Store:
    """Writes batches into a replica, each with its offsets in one transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        # Held while a batch commits; a checkpoint holds it while it copies the file.
        self.lock = threading.Lock()
        # Rows of ingest_counts and offsets known to exist: those are updated in place, which
        # costs a third of an upsert (each statement's fixed cost is what a small batch pays).
        self._rows: set[tuple[str, int | None]] | None = None
        self._created: set[tuple[str, int | None]] = set()

    def offsets(self) -> dict[tuple[str, int], int]:
        """The next offset to read per (full topic name, partition), as last committed."""
        rows = self.con.execute("SELECT topic, partition, next_offset FROM offsets").fetchall()
        return {(t, p): o for t, p, o in rows}

    def write(self, batch: Batch) -> dict[str, int]:
        """Apply a batch atomically; returns the duplicates found per topic."""
        with self.lock:
            return self._write(batch)

    def _write(self, batch: Batch) -> dict[str, int]:
        con = self.con
        if self._rows is None:
            self._rows = {
                (t, None) for (t,) in con.execute("SELECT topic FROM ingest_counts").fetchall()
            }
            self._rows |= set(self.offsets())
        self._created.clear()
        con.execute("BEGIN TRANSACTION")
        try:
            duplicates = dict.fromkeys(batch.read, 0)
            fresh: dict[str, int] = {}
            for topic in dict.fromkeys([*batch.checked, *batch.accepted]):
                fresh[topic], duplicates[topic] = self._apply(topic, batch)
            self._reject(batch.rejected)
            self._count(batch, fresh, duplicates)
            self._store_offsets(batch.next_offsets)
            con.execute("COMMIT")
        except BaseException:
            # A COMMIT that failed (a full disk) has already ended the transaction: the error
            # to raise is its own, not that of a ROLLBACK with nothing left to undo.
            with suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        self._rows |= self._created  # only rows that were committed
        return duplicates

    def _apply(self, topic: str, batch: Batch) -> tuple[int, int]:
        """Apply a topic's new events (reports in bulk, then the rest in log order)."""
        checked = batch.checked.get(topic) or Checked()
        after = len(checked.reports) + len(checked.models) + len(checked.rejected)
        models = checked.models + list(enumerate(batch.accepted.get(topic, []), start=after))
        # A v2 report is a CapacityReported too: its lines carry secured and oxygen besides.
        reports = [(p, r) for p, r in models if isinstance(r.event, CapacityReported)]
        others = [(p, r) for p, r in models if not isinstance(r.event, CapacityReported)]
        table = pa.concat_tables([checked.reports, report_columns(reports)])
        ids = pa.concat_arrays(
            [
                table.column("event_id").combine_chunks(),
                pa.array([str(r.event.event_id) for _, r in others], pa.string()),
            ]
        )
        positions = pa.concat_arrays(
            [
                table.column("position").combine_chunks(),
                pa.array([p for p, _ in others], pa.int32()),
            ]
        )
        new = self._new_only(topic, ids, positions)
        if len(new) < len(table):
            table = table.filter(pc.is_in(table.column("position"), value_set=new))
        if len(table):
            self._capacity(table)
        kept = set(new.to_pylist()) if others else set()
        fresh = sorted((x for x in others if x[0] in kept), key=lambda x: x[0])
        self._log(topic, batch, table, [record for _, record in fresh])
        for _, record in fresh:
            e = record.event  # few, and their order matters
            if isinstance(e, FacilityRegistered):
                self._facility(record)
            elif isinstance(e, placing.PLACEMENT_EVENTS):
                placing.placement(self.con, record)
            elif isinstance(e, CaseRegistered | CaseWithdrawn):
                placing.case(self.con, record)
            elif isinstance(e, StepDownReported):
                placing.step_down(self.con, record)
            elif isinstance(e, NoticePosted | NoticeWithdrawn):
                self._notice(record)
            elif isinstance(e, AlertRaised | AlertCleared):
                self._alert(record)
            elif isinstance(e, PhaseDeclared | DistrictCounted):
                self._city(record)
        return len(new), len(ids) - len(new)

    def _new_only(self, topic: str, ids: pa.Array, positions: pa.Array) -> pa.Array:
        """Positions of the events whose id was not seen before (in the store or the batch)."""
        if not len(ids):
            return pa.array([], pa.int32())
        self.con.register("b_ids", pa.table({"event_id": ids, "position": positions}))
        # The first in the log stands; the store's ids are found by a hash join with the
        # batch's: a few ms a batch, even with millions of ids seen.
        fresh = self.con.sql("""
            WITH batch AS (
                SELECT event_id::UUID AS event_id, min(position) AS position
                FROM b_ids GROUP BY ALL)
            SELECT event_id, position FROM batch WHERE event_id NOT IN (
                SELECT event_id FROM seen_events
                WHERE event_id IN (SELECT event_id FROM batch))""").to_arrow_table()
        self.con.unregister("b_ids")
        if len(fresh):
            self.con.register("b_fresh", fresh)
            self.con.execute("INSERT INTO seen_events SELECT event_id, ? FROM b_fresh", [topic])
            self.con.unregister("b_fresh")
        return fresh.column("position").combine_chunks()

    def _log(self, topic: str, batch: Batch, reports: pa.Table, others: list[Accepted]) -> None:
        """One event_log row per new event (the audit page's who, how and when); a report's
        source is its polled record's `source` header, found by its position in the batch."""
        checked = batch.checked.get(topic)
        # Reports stay Arrow columns: no Python object per report on the writer thread, which
        # would hold the GIL that the polling thread needs. A position past the list is unknown.
        sources = pa.array([*(checked.sources if checked else []), "unknown"], pa.string())
        positions = pc.min_element_wise(reports.column("position"), len(sources) - 1)
        from_reports = pa.table(
            {
                "event_id": reports.column("event_id"),
                "type": pa.repeat("capacity.reported", len(reports)),  # type: ignore[attr-defined]
                "facility_id": reports.column("facility_id"),
                "actor_org": reports.column("actor_org"),
                "actor_user": reports.column("actor_user"),
                "source": sources.take(positions),
                "occurred_at": reports.column("occurred_at"),
                "ingested_at": reports.column("ingested_at"),
            },
            schema=EVENT_LOG_SCHEMA,
        )
        from_others = pa.table(
            {
                "event_id": [str(r.event.event_id) for r in others],
                "type": [r.event.type for r in others],  # type: ignore[attr-defined]
                "facility_id": [getattr(r.event, "facility_id", None) for r in others],
                "actor_org": [r.event.actor.org for r in others],
                "actor_user": [r.event.actor.user for r in others],
                "source": [r.source for r in others],
                "occurred_at": [r.event.occurred_at for r in others],
                "ingested_at": [r.ingested_at for r in others],
            },
            schema=EVENT_LOG_SCHEMA,
        )
        rows = pa.concat_tables([from_reports, from_others])
        if len(rows):
            self.con.register("b_log", rows)
            self.con.execute("INSERT INTO event_log SELECT * FROM b_log")
            self.con.unregister("b_log")

    def _capacity(self, reports: pa.Table) -> None:
        """Reports and their lines go to DuckDB as Arrow columns (REPORTS_SCHEMA)."""
        con = self.con
        con.register("b_reports", reports)
        lines = line_columns(reports)
        con.register("b_lines", lines)
        con.execute(f"INSERT INTO capacity_reports SELECT {REPORT_COLUMNS} FROM b_reports")
        con.execute(f"INSERT INTO capacity_lines SELECT {LINE_COLUMNS} FROM b_lines")
        trends.record(con, len(lines))  # before current_beds moves on: lines follow its rows
        # MERGE takes each key once: a facility that reported twice in this batch is reduced to
        # its newest values first (a ranking that small batches, the live case, can skip).
        facilities = reports.column("facility_id")
        reduce = pc.count_distinct(facilities).as_py() < len(facilities)
        per_line = NEWEST_PER.format(key="facility_id, bed_type") if reduce else ""
        per_field = NEWEST_PER.format(key="facility_id, field") if reduce else ""
        con.execute(MERGE_BEDS.format(newest=per_line))
        con.execute(MERGE_STATUS.format(newest=per_field))
        con.unregister("b_reports")
        con.unregister("b_lines")

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
            e.occurred_at,
            record.ingested_at,
            json.dumps(getattr(e, "secured_beds", None) or {}),  # v2: secured beds per phase
            *_cadence(getattr(e, "reporting", None)),  # v2: the reporting cadence
        ]
        values = ", ".join("?" * len(row))
        before = self.con.execute(
            "SELECT district FROM facilities WHERE facility_id = ?", [e.facility_id]
        ).fetchall()
        self.con.execute(f"INSERT OR REPLACE INTO facilities VALUES ({values})", row)
        trends.moved(self.con, e.facility_id, before[0][0] if before else None, e.district)
        self.con.execute(f"INSERT INTO facility_history VALUES ({values})", row)

    def _city(self, record: Accepted) -> None:
        """Keep every phase and district count as received; queries pick the newest as of T."""
        e = record.event
        where = [e.occurred_at, record.ingested_at, record.partition, record.offset]
        if isinstance(e, PhaseDeclared):
            self.con.execute(
                "INSERT INTO phases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [str(e.event_id), e.phase, e.note, e.actor.org, e.actor.user, *where],
            )
        elif isinstance(e, DistrictCounted):
            counts = [e.at_home, e.in_accommodation, e.awaiting_admission]
            self.con.execute(
                "INSERT INTO district_counts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [str(e.event_id), e.district, *counts, *where],
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
                    e.expires_at if e.expires_at else None,
                    e.occurred_at,
                    f"{e.actor.org}:{e.actor.user}",
                ],
            )
        elif isinstance(e, NoticeWithdrawn):
            self.con.execute(
                """INSERT INTO notices (notice_id, withdrawn_at) VALUES (?, ?)
                ON CONFLICT (notice_id) DO UPDATE SET withdrawn_at = excluded.withdrawn_at
                WHERE notices.withdrawn_at IS NULL""",
                [str(e.notice_id), e.occurred_at],
            )

    def _alert(self, record: Accepted) -> None:
        """The newest transition of an alert (by occurred_at) says whether it is open."""
        e: AlertRaised | AlertCleared = record.event  # type: ignore[assignment]
        at = e.occurred_at
        raised = isinstance(e, AlertRaised)
        self.con.execute(
            f"""INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (alert_id) DO UPDATE SET
                facility_id = excluded.facility_id, kind = excluded.kind,
                detail = excluded.detail,
                raised_at = {"excluded.raised_at" if raised else "alerts.raised_at"},
                cleared_at = {"NULL" if raised else "excluded.cleared_at"}
            WHERE ?::TIMESTAMPTZ >= greatest(alerts.raised_at, alerts.cleared_at)""",
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
        columns["ingested_at"] = times([r["ingested_at"] for r in rows])
        self.con.register("b_rejected", pa.table(columns, schema=REJECTED_SCHEMA))
        names = ", ".join(f'"{n}"' for n in REJECTED_COLUMNS)
        self.con.execute(f"INSERT OR IGNORE INTO rejected ({names}) SELECT * FROM b_rejected")
        self.con.unregister("b_rejected")

    def _count(self, batch: Batch, fresh: dict[str, int], duplicates: dict[str, int]) -> None:
        rejected: dict[str, int] = {}
        for row in batch.rejected:
            rejected[row["topic"]] = rejected.get(row["topic"], 0) + 1
        for topic, read in batch.read.items():
            counts = [read, fresh.get(topic, 0), duplicates.get(topic, 0)]
            counts.append(rejected.get(topic, 0))
            self._update_or_insert(
                (topic, None),
                "UPDATE ingest_counts SET read = read + ?, applied = applied + ?, "
                "duplicates = duplicates + ?, rejected = rejected + ? WHERE topic = ?",
                [*counts, topic],
                "INSERT INTO ingest_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic) "
                "DO UPDATE SET read = read + excluded.read, applied = applied + excluded.applied, "
                "duplicates = duplicates + excluded.duplicates, "
                "rejected = rejected + excluded.rejected",
                [topic, *counts],
            )

    def _store_offsets(self, offsets: dict[tuple[str, int], int]) -> None:
        for (topic, partition), offset in offsets.items():
            self._update_or_insert(
                (topic, partition),
                "UPDATE offsets SET next_offset = ? WHERE topic = ? AND partition = ?",
                [offset, topic, partition],
                "INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)",
                [topic, partition, offset],
            )

    def _update_or_insert(
        self,
        row: tuple[str, int | None],
        update: str,
        values: list[Any],
        insert: str,
        insert_values: list[Any],
    ) -> None:
        """Update a counter or offset row in place if it exists, else insert it (an upsert)."""
        if self._rows is not None and row in self._rows:
            ((changed,),) = self.con.execute(update, values).fetchall()
            if changed:  # the row was there, as remembered
                return
        self.con.execute(insert, insert_values)
        self._created.add(row)


WHERE = ", ".join(ORDER_COLUMNS)
NEWER = " > ".join(
    "(" + ", ".join(f"{{{side}}}.{column}" for column in ORDER_COLUMNS) + ")"
    for side in ("new", "old")
)
NEWEST_PER = f"QUALIFY row_number() OVER (PARTITION BY {{key}} ORDER BY {NEWEST}) = 1"
# Current state keeps the newer line (by the design's order), whatever order lines arrive in.
MERGE_BEDS = f"""
MERGE INTO current_beds c
USING (SELECT * FROM b_lines {{newest}}) n
ON c.facility_id = n.facility_id AND c.bed_type = n.bed_type
WHEN MATCHED AND {NEWER.format(new="n", old="c")} THEN UPDATE SET
    usable = n.usable, occupied = n.occupied, occurred_at = n.occurred_at,
    ingested_at = n.ingested_at, src_partition = n.src_partition, src_offset = n.src_offset,
    event_id = n.event_id::VARCHAR, secured = n.secured, oxygen = n.oxygen
WHEN NOT MATCHED THEN INSERT VALUES (
    n.facility_id, n.bed_type, n.usable, n.occupied, n.occurred_at, n.ingested_at,
    n.src_partition, n.src_offset, n.event_id::VARCHAR, n.secured, n.oxygen)"""
MERGE_STATUS = f"""
MERGE INTO current_status c
USING (
    SELECT * FROM (
        SELECT facility_id, 'accepting' AS field, accepting AS value, {WHERE}
        FROM b_reports WHERE accepting IS NOT NULL
        UNION ALL
        SELECT facility_id, 'ed_status', ed_status, {WHERE}
        FROM b_reports WHERE ed_status IS NOT NULL)
    {{newest}}) n
ON c.facility_id = n.facility_id AND c.field = n.field
WHEN MATCHED AND {NEWER.format(new="n", old="c")} THEN UPDATE SET
    value = n.value, occurred_at = n.occurred_at, ingested_at = n.ingested_at,
    src_partition = n.src_partition, src_offset = n.src_offset
WHEN NOT MATCHED THEN INSERT VALUES (
    n.facility_id, n.field, n.value, n.occurred_at, n.ingested_at, n.src_partition,
    n.src_offset)"""
REPORT_COLUMNS = (
    f"event_id::VARCHAR, facility_id, {WHERE}, accepting, ed_status, note, actor_org, "
    "actor_user, bed_types"
)
LINE_COLUMNS = (
    f"event_id::VARCHAR, facility_id, bed_type, usable, occupied, {WHERE}, secured, oxygen"
)


def _cadence(reporting: ReportingCadence | None) -> list[Any]:
    """A cadence as the registry's three columns: every N hours; daily by, as given and in UTC."""
    if reporting is None:
        return [None, None, None]
    daily = reporting.daily_by
    as_given = daily and daily.isoformat("minutes")
    return [reporting.every_hours, as_given, daily and seconds_utc(daily)]


@contextmanager
def opened(path: Path | str) -> Iterator[Store]:
    """A store on a replica file, closed on exit."""
    con = connect(path)
    try:
        yield Store(con)
    finally:
        con.close()
