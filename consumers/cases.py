"""The waiting list and bed holds as pure functions: the reference the replica's SQL is held to.

Every case and placement event travels on the one partition of the placements topic, so the log
gives them one total order, and the fold takes them in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from consumers.rules import Accepted, available
from schemas.events import PlacementClosed, PlacementRequested, PlacementResponded
from schemas.events_v2 import CaseRegistered, CaseWithdrawn, PlacementLapsed, PlacementTransport

TRANSPORT_STEPS = ("arranged", "in_transit")  # a later step never goes back to an earlier one
# Severity order of the waiting list: the most severe first.
SEVERITY_RANK = {"severe": 0, "moderate": 1, "mild": 2}
# A case's status, from its own events and its placements' (CASE_STATUS_SQL says it in SQL).
CASE_STATUSES = ("waiting", "requested", "accepted", "transport_arranged", "in_transit",
                 "admitted", "withdrawn")  # fmt: skip
ENDED = ("admitted", "withdrawn")  # a case in neither is on the waiting list


@dataclass(frozen=True)
class Placement:
    """One placement's current row, as the replica's `placements` table holds it."""

    placement_id: str
    facility_id: str | None = None
    bed_type: str | None = None
    case_id: str | None = None
    status: str = "requested"
    reason: str | None = None
    transport: str | None = None
    requested_at: datetime | None = None
    responded_at: datetime | None = None
    closed_at: datetime | None = None
    overdue_at: datetime | None = None  # no answer within the configured time (a flag)
    accepted_pos: tuple[int, int] | None = None  # (partition, offset) of the acceptance standing


@dataclass(frozen=True)
class Case:
    """One case on the waiting list (no names: the health centre's own code)."""

    case_id: str
    case_ref: str
    age_band: str
    severity: str
    needs: tuple[str, ...]
    district: str
    waiting_at: str
    waiting_since: datetime
    note: str | None
    registered_at: datetime
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None
    from_facility: str | None = None  # a step-down transfer: the hospital moved out of


@dataclass
class CasesState:
    cases: dict[str, Case] = field(default_factory=dict)
    placements: dict[str, Placement] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)


def fold_cases(
    records: Iterable[Accepted],
    state: CasesState | None = None,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> CasesState:
    """Placements topic records in log order -> cases and placements (current, or as of T at K)."""
    state = state or CasesState()
    for record in records:
        e = record.event
        if str(e.event_id) in state.seen:
            continue
        state.seen.add(str(e.event_id))
        if (as_of is not None and e.occurred_at > as_of) or (
            known_at is not None and record.ingested_at > known_at
        ):
            continue
        if isinstance(e, CaseRegistered | CaseWithdrawn):
            _case(state, e)
            continue
        pid = str(getattr(e, "placement_id", ""))
        if not pid:
            continue
        old = state.placements.get(pid)
        state.placements[pid] = _placement(old or Placement(pid), e, record)
    return state


def _case(state: CasesState, e: CaseRegistered | CaseWithdrawn) -> None:
    cid = str(e.case_id)
    old = state.cases.get(cid)
    if isinstance(e, CaseRegistered):
        # A later registration of the same case updates it whole; a withdrawal stands.
        state.cases[cid] = Case(
            cid, e.case_ref, e.patient.age_band, e.patient.severity, tuple(e.patient.needs),
            e.district, e.waiting_at, e.waiting_since, e.note,
            old.registered_at if old else e.occurred_at,
            old.withdrawn_at if old else None, old.withdraw_reason if old else None,
            e.from_facility,
        )  # fmt: skip
    elif old is not None and old.withdrawn_at is None:
        state.cases[cid] = replace(old, withdrawn_at=e.occurred_at, withdraw_reason=e.reason)


def _placement(p: Placement, e: object, record: Accepted) -> Placement:
    """The same rules as consumers/store.py's upserts, one event at a time."""
    if isinstance(e, PlacementRequested):
        if p.requested_at is not None:
            return p  # the first request stands
        case_id = getattr(e, "case_id", None)  # v2 only
        return replace(
            p, facility_id=e.facility_id, bed_type=e.bed_type, requested_at=e.occurred_at,
            case_id=str(case_id) if case_id else None,
        )  # fmt: skip
    if isinstance(e, PlacementResponded):
        if p.facility_id is not None and p.facility_id != e.facility_id:
            return p  # only the facility asked may answer
        if p.responded_at is not None and e.occurred_at < p.responded_at:
            return p  # an older answer arriving late changes nothing
        status = e.decision if p.closed_at is None else p.status
        accepted = (record.partition, record.offset) if e.decision == "accepted" else None
        return replace(
            p, facility_id=p.facility_id or e.facility_id, status=status, reason=e.reason,
            responded_at=e.occurred_at, accepted_pos=accepted,
        )  # fmt: skip
    if isinstance(e, PlacementClosed):
        if p.closed_at is not None:
            return p  # the first close stands
        return replace(p, status=e.outcome, closed_at=e.occurred_at)
    if isinstance(e, PlacementTransport):
        if p.transport is not None and TRANSPORT_STEPS.index(p.transport) >= TRANSPORT_STEPS.index(
            e.step
        ):
            return p
        return replace(p, transport=e.step)
    if isinstance(e, PlacementLapsed):
        if e.lapse == "answer":
            return p if p.overdue_at is not None else replace(p, overdue_at=e.occurred_at)
        if p.closed_at is not None:
            return p
        return replace(p, status="expired", closed_at=e.occurred_at)
    return p


# --- Holds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BedLine:
    """What a hold is measured against: a (facility, bed type) line's counts and report time."""

    usable: int
    occupied: int
    reported_at: datetime


def holds(
    placements: Mapping[str, Placement], lines: Mapping[tuple[str, str], BedLine]
) -> tuple[dict[str, bool], dict[tuple[str, str], tuple[int, int]]]:
    """Which accepted placements hold a bed, and per line (holds, admitted not yet reported).

    An accepted, open placement holds one bed of its type at its facility. Holds go in the
    order the acceptances stand in the log, while the line's reported free beds last: the
    free beds are the report's, less the patients admitted after that report (an admission
    releases its hold, and the next report counts the patient as occupied: until then the
    admission itself keeps the bed, so the bed is counted once, never twice nor not at all).
    """
    arrived: dict[tuple[str, str], int] = {}
    waiting: dict[tuple[str, str], list[tuple[tuple[int, int], str]]] = {}
    for p in placements.values():
        if p.facility_id is None or p.bed_type is None:
            continue
        key = (p.facility_id, p.bed_type)
        line = lines.get(key)
        if p.status == "admitted" and line is not None and p.closed_at is not None:
            if p.closed_at > line.reported_at:
                arrived[key] = arrived.get(key, 0) + 1
        elif p.status == "accepted" and p.closed_at is None and p.accepted_pos is not None:
            waiting.setdefault(key, []).append((p.accepted_pos, p.placement_id))
    held: dict[str, bool] = {}
    per_line: dict[tuple[str, str], tuple[int, int]] = {}
    for key, queue in waiting.items():
        line = lines.get(key)
        free = available(line.usable, line.occupied) - arrived.get(key, 0) if line else 0
        for rank, (_, pid) in enumerate(sorted(queue)):
            held[pid] = rank < free
        per_line[key] = (min(len(queue), max(free, 0)), arrived.get(key, 0))
    for key, count in arrived.items():
        per_line.setdefault(key, (0, count))
    return held, per_line


def net_free(line: BedLine, held: int, arrived: int) -> int:
    """Free beds net of holds and of admissions the line's report does not count yet."""
    return max(available(line.usable, line.occupied) - held - arrived, 0)


def case_status(case: Case, placements: Iterable[Placement]) -> str:
    """Where a case stands: withdrawn, admitted, or the furthest step of an open placement."""
    if case.withdrawn_at is not None:
        return "withdrawn"
    mine = [p for p in placements if p.case_id == case.case_id]
    if any(p.status == "admitted" for p in mine):
        return "admitted"
    steps = ["waiting"]
    for p in mine:
        if p.closed_at is None and p.status == "accepted":
            steps.append(
                {"arranged": "transport_arranged", "in_transit": "in_transit"}.get(
                    p.transport or "", "accepted"
                )
            )
        elif p.closed_at is None and p.status == "requested":
            steps.append("requested")
    return max(steps, key=CASE_STATUSES.index)


# --- Lapses ------------------------------------------------------------------------------

# Lapse event ids are derived: the same lapse decided twice (a restart before the processor read
# its own event back) is the same event, and every replica ignores the repeat.
LAPSE_NAMESPACE = uuid.UUID("0b7d2f4e-8c1a-4f55-9d3e-2a6c5e1f7b90")


@dataclass(frozen=True)
class Lapse:
    """A placement whose time ran out: `answer` (no answer yet) or `hold` (not admitted yet)."""

    placement_id: str
    facility_id: str
    lapse: str
    event_id: uuid.UUID


def due_lapses(
    placements: Iterable[Placement], now: datetime, *, answer_within: timedelta,
    hold_for: timedelta,
) -> list[Lapse]:  # fmt: skip
    """The lapses the placements call for at `now` that the log does not hold yet.

    A request unanswered for `answer_within` is flagged once (it stays open). An accepted
    placement neither admitted nor cancelled `hold_for` after the acceptance lapses and ends,
    unless the patient is already in transit (the bed is then on its way to being filled).
    """
    found = []
    for p in placements:
        if p.facility_id is None or p.closed_at is not None:
            continue
        if (
            p.status == "requested" and p.overdue_at is None and p.requested_at is not None
            and now - p.requested_at >= answer_within
        ):  # fmt: skip
            cause = f"{p.placement_id}|answer"
            found.append(Lapse(p.placement_id, p.facility_id, "answer",
                               uuid.uuid5(LAPSE_NAMESPACE, cause)))  # fmt: skip
        elif (
            p.status == "accepted" and p.transport != "in_transit" and p.responded_at is not None
            and now - p.responded_at >= hold_for
        ):  # fmt: skip
            cause = f"{p.placement_id}|hold|{p.accepted_pos}"
            found.append(Lapse(p.placement_id, p.facility_id, "hold",
                               uuid.uuid5(LAPSE_NAMESPACE, cause)))  # fmt: skip
    return sorted(found, key=lambda lapse: (lapse.placement_id, lapse.lapse))
