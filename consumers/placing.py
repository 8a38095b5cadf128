"""Writing placements and the waiting list into the replica: consumers/cases.py's rules in SQL."""

from __future__ import annotations

import json

import duckdb

from consumers.rules import Accepted
from schemas.events import PlacementClosed, PlacementRequested, PlacementResponded
from schemas.events_v2 import CaseRegistered, PlacementLapsed, PlacementTransport

PLACEMENT_EVENTS = (
    PlacementRequested, PlacementResponded, PlacementClosed, PlacementTransport, PlacementLapsed
)  # fmt: skip
COLUMNS = (
    "placement_id, facility_id, bed_type, age_band, severity, needs, note, status, reason, "
    "requested_by, requested_at, responded_at, closed_at, updated_at, case_id, transport, "
    "overdue_at, accepted_partition, accepted_offset"
)
# A row first made by an event other than the request: what the request fills in later.
_EMPTY = "NULL, NULL, NULL, NULL, NULL"

_REQUESTED = f"""INSERT INTO placements ({COLUMNS}) VALUES
    ($id, $facility, $bed_type, $age_band, $severity, $needs, $note, 'requested', NULL, $by,
     $at, NULL, NULL, $at, $case_id, NULL, NULL, NULL, NULL)
ON CONFLICT (placement_id) DO UPDATE SET
    facility_id = excluded.facility_id, bed_type = excluded.bed_type,
    age_band = excluded.age_band, severity = excluded.severity, needs = excluded.needs,
    note = excluded.note, requested_by = excluded.requested_by,
    requested_at = excluded.requested_at, case_id = excluded.case_id,
    updated_at = greatest(placements.updated_at, excluded.updated_at)
WHERE placements.requested_at IS NULL"""
_RESPONDED = f"""INSERT INTO placements ({COLUMNS}) VALUES
    ($id, $facility, {_EMPTY}, $decision, $reason, NULL, NULL, $at, NULL, $at, NULL, NULL, NULL,
     $partition, $offset)
ON CONFLICT (placement_id) DO UPDATE SET
    facility_id = coalesce(placements.facility_id, excluded.facility_id),
    status = CASE WHEN placements.closed_at IS NULL THEN excluded.status
                  ELSE placements.status END,
    reason = excluded.reason, responded_at = excluded.responded_at,
    accepted_partition = excluded.accepted_partition,
    accepted_offset = excluded.accepted_offset,
    updated_at = greatest(placements.updated_at, excluded.updated_at)
-- Only the facility asked may answer; another's answer stays in the history.
WHERE (placements.facility_id IS NULL OR placements.facility_id = excluded.facility_id)
  AND (placements.responded_at IS NULL OR excluded.responded_at >= placements.responded_at)"""
_CLOSED = f"""INSERT INTO placements ({COLUMNS}) VALUES
    ($id, NULL, {_EMPTY}, $outcome, NULL, NULL, NULL, NULL, $at, $at, NULL, NULL, NULL, NULL,
     NULL)
ON CONFLICT (placement_id) DO UPDATE SET
    status = excluded.status, closed_at = excluded.closed_at,
    updated_at = greatest(placements.updated_at, excluded.updated_at)
WHERE placements.closed_at IS NULL"""
# A later transport step never goes back to an earlier one ('in_transit' > 'arranged').
_TRANSPORT = f"""INSERT INTO placements ({COLUMNS}) VALUES
    ($id, NULL, {_EMPTY}, 'requested', NULL, NULL, NULL, NULL, NULL, $at, NULL, $step, NULL,
     NULL, NULL)
ON CONFLICT (placement_id) DO UPDATE SET
    transport = excluded.transport,
    updated_at = greatest(placements.updated_at, excluded.updated_at)
WHERE placements.transport IS NULL OR excluded.transport > placements.transport"""
_OVERDUE = f"""INSERT INTO placements ({COLUMNS}) VALUES
    ($id, NULL, {_EMPTY}, 'requested', NULL, NULL, NULL, NULL, NULL, $at, NULL, NULL, $at,
     NULL, NULL)
ON CONFLICT (placement_id) DO UPDATE SET overdue_at = excluded.overdue_at
WHERE placements.overdue_at IS NULL"""


def placement(con: duckdb.DuckDBPyConnection, record: Accepted) -> None:
    """Keep the history, and fold the event into the placement's current row (in log order)."""
    e = record.event
    pid = str(e.placement_id)  # type: ignore[attr-defined]
    at = e.occurred_at
    history(con, record, pid, getattr(e, "case_id", None))
    if isinstance(e, PlacementRequested):
        case_id = getattr(e, "case_id", None)
        con.execute(_REQUESTED, {
            "id": pid, "facility": e.facility_id, "bed_type": e.bed_type,
            "age_band": e.patient.age_band, "severity": e.patient.severity,
            "needs": json.dumps(e.patient.needs), "note": e.note, "by": e.actor.user, "at": at,
            "case_id": str(case_id) if case_id else None,
        })  # fmt: skip
    elif isinstance(e, PlacementResponded):
        accepted = e.decision == "accepted"
        con.execute(_RESPONDED, {
            "id": pid, "facility": e.facility_id, "decision": e.decision, "reason": e.reason,
            "at": at, "partition": record.partition if accepted else None,
            "offset": record.offset if accepted else None,
        })  # fmt: skip
    elif isinstance(e, PlacementClosed):
        con.execute(_CLOSED, {"id": pid, "outcome": e.outcome, "at": at})
    elif isinstance(e, PlacementTransport):
        con.execute(_TRANSPORT, {"id": pid, "step": e.step, "at": at})
    elif isinstance(e, PlacementLapsed) and e.lapse == "answer":
        con.execute(_OVERDUE, {"id": pid, "at": at})
    elif isinstance(e, PlacementLapsed):  # the hold lapsed: the placement ends as expired
        con.execute(_CLOSED, {"id": pid, "outcome": "expired", "at": at})


def history(
    con: duckdb.DuckDBPyConnection, record: Accepted, pid: str | None, case: object
) -> None:
    """One placement_events row per case or placement event: who did what, when."""
    e = record.event
    detail = e.model_dump(
        mode="json",
        exclude={"type", "version", "event_id", "occurred_at", "actor", "placement_id"},
        exclude_none=True,
    )
    con.execute(
        "INSERT INTO placement_events (event_id, placement_id, type, facility_id, detail, "
        "actor_org, actor_user, occurred_at, ingested_at, case_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            str(e.event_id), pid, e.type, getattr(e, "facility_id", None),  # type: ignore[attr-defined]
            json.dumps(detail, ensure_ascii=False), e.actor.org, e.actor.user, e.occurred_at,
            record.ingested_at, str(case) if case else None,
        ],
    )  # fmt: skip


_CASE = """INSERT INTO cases VALUES (
    $id, $ref, $age_band, $severity, $needs, $district, $waiting_at, $since, $note, $at, NULL,
    NULL, $by, $at, $from)
ON CONFLICT (case_id) DO UPDATE SET
    case_ref = excluded.case_ref, age_band = excluded.age_band, severity = excluded.severity,
    needs = excluded.needs, district = excluded.district, waiting_at = excluded.waiting_at,
    waiting_since = excluded.waiting_since, note = excluded.note,
    from_facility = excluded.from_facility, updated_at = excluded.updated_at"""
_WITHDRAWN = """UPDATE cases SET withdrawn_at = $at, withdraw_reason = $reason, updated_at = $at
WHERE case_id = $id AND withdrawn_at IS NULL"""


def case(con: duckdb.DuckDBPyConnection, record: Accepted) -> None:
    """A registration (a later one updates the case whole) or a withdrawal (the first stands)."""
    e = record.event
    cid = str(e.case_id)  # type: ignore[attr-defined]
    history(con, record, None, cid)
    if isinstance(e, CaseRegistered):
        con.execute(_CASE, {
            "id": cid, "ref": e.case_ref, "age_band": e.patient.age_band,
            "severity": e.patient.severity, "needs": json.dumps(e.patient.needs),
            "district": e.district, "waiting_at": e.waiting_at, "since": e.waiting_since,
            "note": e.note, "at": e.occurred_at, "by": e.actor.user, "from": e.from_facility,
        })  # fmt: skip
    else:
        con.execute(_WITHDRAWN, {"id": cid, "at": e.occurred_at, "reason": e.reason})  # type: ignore[attr-defined]


def step_down(con: duckdb.DuckDBPyConnection, record: Accepted) -> None:
    """Keep every step-down report as received; queries pick each facility's newest as of T."""
    e = record.event
    con.execute(
        "INSERT INTO step_down VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [str(e.event_id), e.facility_id, e.lower_care, e.home, e.note, e.occurred_at,  # type: ignore[attr-defined]
         record.ingested_at, record.partition, record.offset],
    )  # fmt: skip
