"""The waiting list and bed holds: the replica's SQL against the pure fold, and the fold's rules."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers import queries, waiting
from consumers.cases import BedLine, case_status, fold_cases, holds
from consumers.rules import Accepted, fold_capacity
from consumers.store import Batch, Store, connect
from schemas.events import parse_event

BASE = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)
FACILITIES = ("HJ-0001", "HJ-0002")
BED_TYPES = ("adult_icu", "hcu")
CASES = [str(uuid.UUID(int=i + 1)) for i in range(3)]
PLACEMENTS = [str(uuid.UUID(int=100 + i)) for i in range(5)]
OFFICIAL = {"org": "health_centre", "user": "coord.sato"}
HOSPITAL = {"org": "hospital", "user": "ward.ito"}


def common(kind: str, minute: int, actor: dict[str, str], version: int = 2) -> dict[str, Any]:
    at = (BASE + timedelta(minutes=minute)).isoformat()
    return {"type": kind, "version": version, "event_id": str(uuid.uuid4()), "occurred_at": at,
            "actor": actor}  # fmt: skip


@st.composite
def placement_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """One case or placement event, its id drawn too (so that a failure replays exactly)."""
    return draw(any_placement_body()) | {"event_id": str(draw(st.uuids()))}


@st.composite
def any_placement_body(draw: st.DrawFn) -> dict[str, Any]:
    """One case or placement event, of any kind, about a few cases and placements."""
    minute = draw(st.integers(0, 8))
    pid = draw(st.sampled_from(PLACEMENTS))
    kind = draw(st.sampled_from(("case", "withdraw", "request", "request", "answer", "answer",
                                 "close", "transport", "lapse")))  # fmt: skip
    if kind == "case":
        severity = draw(st.sampled_from(("mild", "moderate", "severe")))
        where = draw(st.sampled_from(("home", "hotel", "hospital")))  # hospital: a step-down
        step_down = (
            {"from_facility": draw(st.sampled_from(FACILITIES))} if where == "hospital" else {}
        )
        return common("case.registered", minute, OFFICIAL) | step_down | {
            "case_id": draw(st.sampled_from(CASES)), "case_ref": f"HC-{draw(st.integers(1, 99))}",
            "patient": {"age_band": "70-79", "severity": severity, "needs": []},
            "district": "元本郷", "waiting_at": where, "waiting_since": BASE.isoformat(),
        }  # fmt: skip
    if kind == "withdraw":
        return common("case.withdrawn", minute, OFFICIAL) | {
            "case_id": draw(st.sampled_from(CASES)),
            "reason": "recovered",
        }
    if kind == "request":
        version = draw(st.sampled_from((1, 2)))
        fields = {
            "placement_id": pid, "facility_id": draw(st.sampled_from(FACILITIES)),
            "bed_type": draw(st.sampled_from(BED_TYPES)),
            "patient": {"age_band": "70-79", "severity": "severe", "needs": []},
        }  # fmt: skip
        if version == 2:
            fields["case_id"] = draw(st.sampled_from(CASES))
        return common("placement.requested", minute, OFFICIAL, version) | fields
    if kind == "answer":
        decision = draw(st.sampled_from(("accepted", "accepted", "declined")))
        fields = {"placement_id": pid, "facility_id": draw(st.sampled_from(FACILITIES)),
                  "decision": decision}  # fmt: skip
        if decision == "declined":
            fields["reason"] = "満床"
        return common("placement.responded", minute, HOSPITAL, 1) | fields
    if kind == "close":
        outcome = draw(st.sampled_from(("admitted", "admitted", "cancelled")))
        return common("placement.closed", minute, OFFICIAL, 1) | {
            "placement_id": pid,
            "outcome": outcome,
        }
    if kind == "transport":
        return common("placement.transport", minute, OFFICIAL) | {
            "placement_id": pid,
            "step": draw(st.sampled_from(("arranged", "in_transit"))),
        }
    return common("placement.lapsed", minute, {"org": "system", "user": "bedboard-placements"}) | {
        "placement_id": pid, "facility_id": draw(st.sampled_from(FACILITIES)),
        "lapse": draw(st.sampled_from(("answer", "hold"))), "after_s": 1800,
    }  # fmt: skip


@st.composite
def report_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body = common("capacity.reported", draw(st.integers(0, 8)), HOSPITAL, 1)
    body["event_id"] = str(draw(st.uuids()))
    lines = draw(st.lists(st.sampled_from(BED_TYPES), min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):  # some say whether they accept patients (the board shows it)
        body["accepting"] = draw(st.sampled_from(("open", "limited")))
    return body | {
        "facility_id": draw(st.sampled_from(FACILITIES)),
        "beds": [{"bed_type": b, "usable": draw(st.integers(0, 4)),
                  "occupied": draw(st.integers(0, 4))} for b in lines],
    }  # fmt: skip


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Accepted], list[Accepted], list[int]]:
    """Placements-topic records (one partition, repeats included), reports, and batch cuts."""
    placed: list[Accepted] = []
    for offset in range(draw(st.integers(1, 40))):
        if placed and draw(st.integers(0, 6)) == 0:  # a repeat of an earlier event
            event = draw(st.sampled_from(placed)).event
        else:
            event = parse_event(draw(placement_bodies()))
        placed.append(Accepted(event, BASE + timedelta(milliseconds=offset), 0, offset))
    reports = [
        Accepted(parse_event(draw(report_bodies())), BASE + timedelta(milliseconds=i), 0, i)
        for i in range(draw(st.integers(0, 6)))
    ]
    cuts = sorted(draw(st.lists(st.integers(1, len(placed)), max_size=3, unique=True)))
    return placed, reports, cuts


def apply(store: Store, topic: str, records: list[Accepted], cuts: list[int] = ()) -> None:  # type: ignore[assignment]
    for lo, hi in itertools.pairwise([0, *cuts, len(records)]):
        part = records[lo:hi]
        if part:
            store.write(Batch(accepted={topic: part}, read={topic: len(part)},
                              next_offsets={(f"t.{topic}", 0): part[-1].offset + 1}))  # fmt: skip


PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))


@PROPERTY
@given(history=histories(), data=st.data())
def test_placements_cases_and_holds_in_sql_equal_the_pure_fold(history: tuple, data) -> None:  # noqa: ANN001
    placed, reports, cuts = history
    con = connect(":memory:")
    store = Store(con)
    apply(store, "capacity", reports)
    apply(store, "placements", placed, cuts)
    state = fold_cases(placed)

    got = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT placement_id, facility_id, bed_type, case_id, status, reason, transport, "
            "requested_at, responded_at, closed_at, overdue_at, accepted_partition, "
            "accepted_offset FROM placements"
        ).fetchall()
    }
    assert got == {
        p.placement_id: (
            p.facility_id, p.bed_type, p.case_id, p.status, p.reason, p.transport,
            p.requested_at, p.responded_at, p.closed_at, p.overdue_at,
            *(p.accepted_pos or (None, None)),
        )
        for p in state.placements.values()
    }  # fmt: skip
    cases = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT case_id, case_ref, severity, waiting_at, registered_at, withdrawn_at, "
            "withdraw_reason, from_facility FROM cases"
        ).fetchall()
    }
    assert cases == {
        c.case_id: (c.case_ref, c.severity, c.waiting_at, c.registered_at, c.withdrawn_at,
                    c.withdraw_reason, c.from_facility)
        for c in state.cases.values()
    }  # fmt: skip

    lines = {
        key: BedLine(line.usable, line.occupied, line.occurred_at)
        for key, line in fold_capacity(reports).lines.items()
    }
    held, per_line = holds(state.placements, lines)
    cur = con.cursor()
    assert {r["placement_id"]: r["held"] for r in waiting.holds(cur).to_pylist()} == held
    assert {
        (r["facility_id"], r["bed_type"]): (r["held"], r["arriving"])
        for r in waiting.line_holds(cur).to_pylist()
    } == per_line
    # As of any moment known at any time, refolded from the stored history: the same holds.
    as_of = data.draw(st.sampled_from([r.event.occurred_at for r in placed] + [FAR]))
    known_at = data.draw(st.sampled_from([r.ingested_at for r in placed] + [FAR]))
    then, then_lines = waiting.as_of(cur, as_of, known_at)
    want = fold_cases(placed, as_of=as_of, known_at=known_at)
    assert then.cases == want.cases
    assert {k: replace(p, accepted_pos=None) for k, p in then.placements.items()} == {
        k: replace(p, accepted_pos=None) for k, p in want.placements.items()
    }
    want_lines = {
        key: BedLine(line.usable, line.occupied, line.occurred_at)
        for key, line in fold_capacity(reports, as_of=as_of, known_at=known_at).lines.items()
    }
    assert then_lines == want_lines
    assert holds(then.placements, then_lines) == holds(want.placements, want_lines)
    statuses = {r["case_id"]: r["status"] for r in waiting.waiting_list(cur, open_only=False)
                .to_pylist()}  # fmt: skip
    assert statuses == {
        cid: case_status(c, state.placements.values()) for cid, c in state.cases.items()
    }
    con.close()


@PROPERTY
@given(history=histories(), data=st.data())
def test_the_board_equals_the_pure_folds_line_by_line(history: tuple, data) -> None:  # noqa: ANN001
    """queries.board puts a per-facility read and a per-line read together: every line must
    carry its own facility's registry, status and times, and its holds, as the folds say."""
    placed, reports, cuts = history
    con = connect(":memory:")
    store = Store(con)
    registered = data.draw(st.lists(st.sampled_from(FACILITIES), unique=True))
    apply(store, "facilities", [registration(f, i) for i, f in enumerate(registered)])
    apply(store, "capacity", reports, [len(reports) // 2] if len(reports) > 1 else [])
    apply(store, "placements", placed, cuts)

    capacity = fold_capacity(reports)
    lines = {k: BedLine(v.usable, v.occupied, v.occurred_at) for k, v in capacity.lines.items()}
    _, per_line = holds(fold_cases(placed).placements, lines)
    got = {(r["facility_id"], r["bed_type"]): r for r in queries.board(con.cursor()).to_pylist()}
    assert set(got) == set(capacity.lines)
    for (facility, bed_type), line in capacity.lines.items():
        row = got[facility, bed_type]
        held, arriving = per_line.get((facility, bed_type), (0, 0))
        free = max(line.usable - line.occupied, 0)
        assert (row["usable"], row["occupied"], row["reported_at"]) == (
            line.usable, line.occupied, line.occurred_at)  # fmt: skip
        assert (row["held"], row["arriving"], row["available"]) == (
            held, arriving, max(free - held - arriving, 0))  # fmt: skip
        assert row["last_report"] == capacity.last_report(facility)
        assert row["accepting"] == capacity.status.get((facility, "accepting"))
        known = facility in registered
        assert row["registered"] == known
        assert row["name_ja"] == (facility if known else None)
        assert row["district"] == (f"地区{registered.index(facility)}" if known else None)
    con.close()


def registration(facility: str, n: int) -> Accepted:
    body = common("facility.registered", 0, {"org": "city_hall", "user": "registry"}, 1) | {
        "facility_id": facility, "name": {"ja": facility}, "kind": "hospital",
        "district": f"地区{n}",
    }  # fmt: skip
    return Accepted(parse_event(body), BASE, 0, n)


# --- the rules, by example ------------------------------------------------------------------


def accepted(pid: str, offset: int, facility: str = "HJ-0001", minute: int = 1) -> Accepted:
    body = common("placement.responded", minute, HOSPITAL, 1) | {
        "placement_id": pid,
        "facility_id": facility,
        "decision": "accepted",
    }
    return Accepted(parse_event(body), BASE, 0, offset)


def requested(pid: str, offset: int, facility: str = "HJ-0001") -> Accepted:
    body = common("placement.requested", 0, OFFICIAL, 1) | {
        "placement_id": pid, "facility_id": facility, "bed_type": "hcu",
        "patient": {"age_band": "70-79", "severity": "severe", "needs": []},
    }  # fmt: skip
    return Accepted(parse_event(body), BASE, 0, offset)


def test_two_acceptances_against_the_last_free_bed_hold_it_once_in_log_order() -> None:
    first, second = PLACEMENTS[:2]
    # The second request's acceptance comes first in the log: it is the one that holds.
    records = [requested(first, 0), requested(second, 1), accepted(second, 2), accepted(first, 3)]
    state = fold_cases(records)
    line = {("HJ-0001", "hcu"): BedLine(4, 3, BASE)}  # one free bed
    held, per_line = holds(state.placements, line)
    assert held == {second: True, first: False}
    assert per_line == {("HJ-0001", "hcu"): (1, 0)}


def test_an_admission_keeps_its_bed_until_the_next_report_then_counts_as_occupied() -> None:
    pid = PLACEMENTS[0]
    close = common("placement.closed", 30, OFFICIAL, 1) | {"placement_id": pid,
                                                            "outcome": "admitted"}  # fmt: skip
    records = [requested(pid, 0), accepted(pid, 1), Accepted(parse_event(close), BASE, 0, 2)]
    state = fold_cases(records)
    before = {("HJ-0001", "hcu"): BedLine(4, 3, BASE)}  # reported before the admission
    after = {("HJ-0001", "hcu"): BedLine(4, 4, BASE + timedelta(hours=1))}  # counts the patient
    assert holds(state.placements, before) == ({}, {("HJ-0001", "hcu"): (0, 1)})
    assert holds(state.placements, after) == ({}, {})


def test_a_case_moves_from_waiting_to_admitted_and_a_withdrawal_stands() -> None:
    cid, pid = CASES[0], PLACEMENTS[0]
    case = common("case.registered", 0, OFFICIAL) | {
        "case_id": cid, "case_ref": "HC-0412", "district": "元本郷", "waiting_at": "home",
        "patient": {"age_band": "80-89", "severity": "moderate", "needs": ["oxygen"]},
        "waiting_since": BASE.isoformat(),
    }  # fmt: skip
    request = common("placement.requested", 1, OFFICIAL) | {
        "placement_id": pid, "facility_id": "HJ-0001", "bed_type": "hcu", "case_id": cid,
        "patient": {"age_band": "80-89", "severity": "moderate", "needs": ["oxygen"]},
    }  # fmt: skip
    steps = [case, request,
             common("placement.responded", 2, HOSPITAL, 1) | {
                 "placement_id": pid, "facility_id": "HJ-0001", "decision": "accepted"},
             common("placement.transport", 3, OFFICIAL) | {"placement_id": pid,
                                                           "step": "arranged"},
             common("placement.transport", 4, OFFICIAL) | {"placement_id": pid,
                                                           "step": "in_transit"},
             common("placement.closed", 5, OFFICIAL, 1) | {"placement_id": pid,
                                                          "outcome": "admitted"}]  # fmt: skip
    seen = []
    records: list[Accepted] = []
    for offset, body in enumerate(steps):
        records.append(Accepted(parse_event(json.dumps(body)), BASE, 0, offset))
        state = fold_cases(records)
        seen.append(case_status(state.cases[cid], state.placements.values()))
    assert seen == ["waiting", "requested", "accepted", "transport_arranged", "in_transit",
                    "admitted"]  # fmt: skip
    withdrawn = common("case.withdrawn", 6, OFFICIAL) | {"case_id": cid, "reason": "recovered"}
    again = case | {"event_id": str(uuid.uuid4()), "case_ref": "HC-0413"}
    records += [Accepted(parse_event(b), BASE, 0, 9 + i) for i, b in enumerate((withdrawn, again))]
    state = fold_cases(records)
    assert state.cases[cid].case_ref == "HC-0413"  # a later registration updates the case
    assert case_status(state.cases[cid], state.placements.values()) == "withdrawn"


def test_a_lapse_from_the_placements_processor_notifies_as_a_lapse() -> None:
    from consumers.notify_rules import kind_of

    for lapse in ("answer", "hold"):
        body = common("placement.lapsed", 40, {"org": "system", "user": "bedboard-placements"})
        body |= {"placement_id": PLACEMENTS[0], "facility_id": "HJ-0001", "lapse": lapse,
                 "after_s": 1800}  # fmt: skip
        assert kind_of(parse_event(body)) == "lapse"
