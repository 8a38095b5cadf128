"""Reads of the waiting list, bed holds and step-down: consumers/cases.py's rules in SQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from consumers.cases import ENDED, BedLine, CasesState, Placement, case_status, fold_cases
from consumers.rules import Accepted
from schemas.events import EVENT_TYPES, parse_event

V1_TYPES = {name for name in EVENT_TYPES if name.startswith("placement.")}

# Holds, as consumers.cases.holds decides them (a property test holds the two equal), over the
# current lines. CTEs to put after a WITH. `LINE_HOLDS` ends in `line_holds`: a row per line
# some placement names, with `arriving` (admissions its report does not count yet) and `held`
# (the first of its queue hold, as many as its free beds less those admissions). `HOLD_CTES`
# adds `hold_queue`: a row per accepted open placement, held if its place is within `held`.
LINE_HOLDS = """
line_holds AS (
    SELECT facility_id, bed_type,
           least(waiting, greatest(coalesce(free - arriving, 0), 0))::INTEGER AS held,
           arriving::INTEGER AS arriving
    FROM (
        SELECT p.facility_id, p.bed_type,
               count(*) FILTER (WHERE p.status = 'accepted' AND p.closed_at IS NULL
                                AND p.accepted_offset IS NOT NULL) AS waiting,
               count(*) FILTER (WHERE p.status = 'admitted' AND p.closed_at > l.occurred_at)
                   AS arriving,
               any_value(greatest(l.usable - l.occupied, 0)) AS free
        FROM placements p LEFT JOIN current_beds l USING (facility_id, bed_type)
        WHERE p.facility_id IS NOT NULL AND p.bed_type IS NOT NULL
        GROUP BY ALL)
    WHERE waiting > 0 OR arriving > 0)"""
HOLD_CTES = f"""{LINE_HOLDS},
queue AS (
    SELECT placement_id, facility_id, bed_type,
           row_number() OVER (PARTITION BY facility_id, bed_type
                              ORDER BY accepted_partition, accepted_offset) AS place
    FROM placements
    WHERE status = 'accepted' AND closed_at IS NULL AND accepted_offset IS NOT NULL
      AND facility_id IS NOT NULL AND bed_type IS NOT NULL),
hold_queue AS (
    SELECT q.placement_id, q.facility_id, q.bed_type, q.place <= coalesce(h.held, 0) AS held
    FROM queue q LEFT JOIN line_holds h USING (facility_id, bed_type))"""


def holds(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every accepted open placement and whether it holds a bed (placement_id, held)."""
    return cur.sql(
        f"WITH {HOLD_CTES} SELECT placement_id, facility_id, bed_type, held FROM hold_queue"
    ).to_arrow_table()


def line_holds(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """Per (facility, bed type): beds held, and admissions the line's report does not count."""
    return cur.sql(f"WITH {LINE_HOLDS} SELECT * FROM line_holds").to_arrow_table()


# A case's status (consumers.cases.case_status), and what its placements say.
_CASES = """
WITH mine AS (
    SELECT p.*, h.held FROM placements p
    LEFT JOIN (WITH {holds} SELECT placement_id, held FROM hold_queue) h USING (placement_id)
    WHERE p.case_id IS NOT NULL),
per_case AS (
    SELECT case_id,
        bool_or(status = 'admitted') AS admitted,
        bool_or(closed_at IS NULL AND status = 'accepted' AND transport = 'in_transit')
            AS in_transit,
        bool_or(closed_at IS NULL AND status = 'accepted' AND transport = 'arranged')
            AS arranged,
        bool_or(closed_at IS NULL AND status = 'accepted') AS accepted,
        bool_or(closed_at IS NULL AND status = 'requested') AS requested,
        bool_or(closed_at IS NULL AND status = 'requested' AND overdue_at IS NOT NULL)
            AS overdue,
        bool_or(closed_at IS NULL AND status = 'accepted' AND NOT held) AS unheld,
        list(facility_id ORDER BY requested_at) AS tried,
        arg_max(status, requested_at) AS last_status,
        arg_max(placement_id, requested_at) AS last_placement,
        arg_max(facility_id, requested_at) AS last_facility,
        arg_max(bed_type, requested_at) AS last_bed_type,
        count(*) AS placements
    FROM mine GROUP BY case_id)
SELECT c.case_id, c.case_ref, c.age_band, c.severity, c.needs, c.district, c.waiting_at,
       c.waiting_since, c.note, c.registered_at, c.registered_by, c.withdrawn_at,
       c.withdraw_reason, c.from_facility,
       CASE WHEN c.withdrawn_at IS NOT NULL THEN 'withdrawn'
            WHEN p.admitted THEN 'admitted'
            WHEN p.in_transit THEN 'in_transit'
            WHEN p.arranged THEN 'transport_arranged'
            WHEN p.accepted THEN 'accepted'
            WHEN p.requested THEN 'requested'
            ELSE 'waiting' END AS status,
       coalesce(p.overdue, false) AS overdue, coalesce(p.unheld, false) AS unheld,
       coalesce(p.tried, []) AS tried, p.last_status, p.last_placement, p.last_facility,
       p.last_bed_type,
       coalesce(p.placements, 0) AS placements
FROM cases c LEFT JOIN per_case p USING (case_id)
"""
SEVERITY_ORDER = "CASE severity WHEN 'severe' THEN 0 WHEN 'moderate' THEN 1 ELSE 2 END"


def waiting_list(cur: duckdb.DuckDBPyConnection, *, open_only: bool = True) -> pa.Table:
    """Cases, the most severe first and then the longest waiting; open ones only by default."""
    where = "WHERE status NOT IN ('admitted', 'withdrawn')" if open_only else ""
    return cur.sql(
        f"SELECT * FROM ({_CASES.format(holds=HOLD_CTES)}) {where} "
        f"ORDER BY {SEVERITY_ORDER}, waiting_since, case_ref, case_id"
    ).to_arrow_table()


def case(cur: duckdb.DuckDBPyConnection, case_id: str) -> dict[str, Any] | None:
    """One case with its status, or None."""
    rows = (
        cur.sql(
            f"SELECT * FROM ({_CASES.format(holds=HOLD_CTES)}) WHERE case_id = $id",
            params={"id": case_id},
        )
        .to_arrow_table()
        .to_pylist()
    )
    return rows[0] if rows else None


def case_placements(cur: duckdb.DuckDBPyConnection, case_id: str) -> pa.Table:
    """A case's placements, newest first, each with whether it holds a bed."""
    return cur.sql(
        f"""WITH {HOLD_CTES}
        SELECT p.placement_id, p.facility_id, f.name_ja, f.name_en, p.bed_type, p.status,
               p.reason, p.transport, p.requested_at, p.responded_at, p.closed_at,
               p.overdue_at, h.held
        FROM placements p LEFT JOIN hold_queue h USING (placement_id)
        LEFT JOIN facilities f ON f.facility_id = p.facility_id
        WHERE p.case_id = $id ORDER BY p.requested_at DESC NULLS LAST""",
        params={"id": case_id},
    ).to_arrow_table()


def case_history(cur: duckdb.DuckDBPyConnection, case_id: str) -> pa.Table:
    """Every event of a case and of its placements, oldest first: who did what, when."""
    return cur.sql(
        """SELECT e.placement_id, e.type, e.facility_id, e.detail, e.actor_org, e.actor_user,
                  e.occurred_at, e.ingested_at
        FROM placement_events e
        WHERE e.case_id = $id OR e.placement_id IN (
            SELECT placement_id FROM placements WHERE case_id = $id)
        ORDER BY e.occurred_at, e.ingested_at""",
        params={"id": case_id},
    ).to_arrow_table()


def step_down(cur: duckdb.DuckDBPyConnection, as_of: datetime, known_at: datetime) -> pa.Table:
    """Each facility's newest step-down report as of T known at K, with its district."""
    return cur.sql(
        """SELECT s.facility_id, f.name_ja, f.name_en, coalesce(f.district, '') AS district,
                  s.lower_care, s.home, s.note, s.occurred_at
        FROM step_down s LEFT JOIN facilities f USING (facility_id)
        WHERE s.occurred_at <= $as_of AND s.ingested_at <= $known_at
        QUALIFY row_number() OVER (PARTITION BY s.facility_id ORDER BY s.occurred_at DESC,
            s.ingested_at DESC, s.src_partition DESC, s.src_offset DESC) = 1
        ORDER BY district, s.facility_id""",
        params={"as_of": as_of, "known_at": known_at},
    ).to_arrow_table()


def history(cur: duckdb.DuckDBPyConnection, known_at: datetime) -> list[Accepted]:
    """Every case and placement event received by K, in the order it was applied."""
    rows = cur.execute(
        "SELECT type, event_id, placement_id, detail, actor_org, actor_user, occurred_at, "
        "ingested_at FROM placement_events WHERE ingested_at <= ? ORDER BY rowid",
        [known_at],
    ).fetchall()
    records = []
    for position, (kind, event_id, pid, detail, org, user, occurred, ingested) in enumerate(rows):
        body = json.loads(detail) | {
            "type": kind, "event_id": event_id, "occurred_at": occurred.isoformat(),
            "actor": {"org": org, "user": user},
        }  # fmt: skip
        if pid is not None:
            body["placement_id"] = pid
        # Only v1's three placement types may be v1; a request naming a case is v2.
        v1 = kind in V1_TYPES and not (kind == "placement.requested" and "case_id" in body)
        body["version"] = 1 if v1 else 2
        records.append(Accepted(parse_event(body), ingested, 0, position))
    return records


def waiting_by_district(
    cur: duckdb.DuckDBPyConnection, times: list[datetime], known_at: datetime
) -> dict[datetime, dict[str, int]] | None:
    """At each time, each district's cases still waiting (neither admitted nor withdrawn), as
    known at K; None when no case was known by then (the waiting list is not in use)."""
    records = history(cur, known_at)
    if not any(r.event.type == "case.registered" for r in records):  # type: ignore[attr-defined]
        return None
    out: dict[datetime, dict[str, int]] = {}
    for at in times:
        state = fold_cases(records, as_of=at, known_at=known_at)
        theirs: dict[str, list[Placement]] = {}
        for placement in state.placements.values():
            theirs.setdefault(placement.case_id or "", []).append(placement)
        counts = out.setdefault(at, {})
        for case_id, case in state.cases.items():
            if case_status(case, theirs.get(case_id, ())) not in ENDED:
                counts[case.district] = counts.get(case.district, 0) + 1
    return out


def as_of(
    cur: duckdb.DuckDBPyConnection, as_of: datetime, known_at: datetime
) -> tuple[CasesState, dict[tuple[str, str], BedLine]]:
    """Cases, placements and the lines holds are measured against, as of T known at K.

    The stored history is folded again by the pure rules (consumers.cases), in the order it was
    applied (the placements topic's log order), so a past moment reads as it was then.
    """
    state = fold_cases(history(cur, known_at), as_of=as_of, known_at=known_at)
    from consumers.queries import state as lines_as_of  # late: queries reads LINE_HOLDS from here

    lines = {
        (r["facility_id"], r["bed_type"]): BedLine(r["usable"], r["occupied"], r["reported_at"])
        for r in lines_as_of(cur, as_of, known_at, timedelta(hours=1)).to_pylist()
    }
    return state, lines
