"""The pure roll-up rules: the DLQ checks in the contract's order, and the reference fold."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from consumers.rules import (
    Accepted,
    Rejection,
    available,
    check,
    fold_capacity,
    ms_to_utc,
    occupancy_rate,
)
from schemas.events import CapacityReported, parse_event, to_json
from schemas.topics import MAX_RECORD_BYTES

INGEST = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
JST = "+09:00"


def report(facility: str = "HJ-0001", at: str = "2026-11-26T08:55:00+09:00", **extra: Any) -> dict:
    body = {
        "type": "capacity.reported",
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": at,
        "actor": {"org": "hospital", "user": "bedmgr.tanaka"},
        "facility_id": facility,
        "beds": [{"bed_type": "adult_icu", "usable": 12, "occupied": 12}],
    }
    return body | extra


def raw(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def rejected(outcome: object) -> Rejection:
    assert isinstance(outcome, Rejection), outcome
    return outcome


# --- check: the contract's order of reasons ----------------------------------------------------


def test_a_valid_report_is_accepted_as_its_model() -> None:
    event = check(raw(report()), INGEST)
    assert isinstance(event, CapacityReported)
    assert event.beds[0].occupied == 12


def test_too_large_comes_first_even_for_invalid_json() -> None:
    outcome = rejected(check(b"{" * (MAX_RECORD_BYTES + 1), INGEST))
    assert outcome.reason == "too_large"
    assert "65537" in outcome.detail and "64 KiB" in outcome.detail


def test_exactly_64_kib_is_not_too_large() -> None:
    body = report(note="")
    padding = MAX_RECORD_BYTES - len(raw(body))
    data = raw(body)[:-1] + b" " * padding + b"}"
    assert len(data) == MAX_RECORD_BYTES
    assert isinstance(check(data, INGEST), CapacityReported)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe not utf-8",
        '{"type": "capacity.reported", "note": "é"}'.encode("latin-1"),
        b'{"type": ',
        b"",
        b"[1, 2]",
        b'"a string"',
        b"42",
        b"null",
        None,
    ],
    ids=["bytes", "latin1", "truncated", "empty", "array", "string", "number", "null", "no-value"],
)
def test_not_utf8_json_objects_are_invalid_json(data: bytes | None) -> None:
    outcome = rejected(check(data, INGEST))
    assert outcome.reason == "invalid_json"
    assert outcome.detail and outcome.detail_ja


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (report(type="capacity.unknown"), "type"),
        (report(version=2), "version"),
        (report(version=True), "version"),
        (report(extra_field=1), "extra_field"),
        (report(facility="HJ 0001"), "facility_id"),
        (report(beds=[]), "beds"),
        (report(beds=[{"bed_type": "adult_icu", "usable": -1, "occupied": 0}]), "beds[0].usable"),
        (report(at="2026-11-26T08:55:00"), "occurred_at"),
    ],
    ids=["type", "version", "bool-version", "extra", "facility", "no-beds", "negative", "naive"],
)
def test_schema_problems_name_the_field_in_both_languages(body: dict, field: str) -> None:
    outcome = rejected(check(raw(body), INGEST))
    assert outcome.reason == "schema"
    assert outcome.detail.startswith(f"{field}:")
    assert outcome.detail_ja.startswith(f"{field}:")
    assert outcome.text("ja") == outcome.detail_ja and outcome.text("en") == outcome.detail


def test_schema_comes_before_future_timestamp() -> None:
    body = report(at="2027-01-01T00:00:00+00:00", version=2)
    assert rejected(check(raw(body), INGEST)).reason == "schema"


def test_ten_minutes_ahead_is_accepted_and_a_microsecond_more_is_not() -> None:
    edge = (INGEST + timedelta(minutes=10)).isoformat()
    late = (INGEST + timedelta(minutes=10, microseconds=1)).isoformat()
    assert isinstance(check(raw(report(at=edge)), INGEST), CapacityReported)
    outcome = rejected(check(raw(report(at=late)), INGEST))
    assert outcome.reason == "future_timestamp"
    assert "10 minutes" in outcome.detail and "10分" in outcome.detail_ja


def test_ms_to_utc_is_exact() -> None:
    assert ms_to_utc(1_764_115_200_123) == datetime(2025, 11, 26, 0, 0, 0, 123000, tzinfo=UTC)


# --- fold_capacity: design.md "Time" ------------------------------------------------------------


def accepted(body: dict, ingested: datetime = INGEST, offset: int = 0, partition: int = 0):
    return Accepted(parse_event(body), ingested, partition, offset)


def at(hour: int, minute: int = 0) -> str:
    return f"2026-11-26T{hour:02d}:{minute:02d}:00{JST}"


def beds(**lines: tuple[int, int]) -> list[dict]:
    return [{"bed_type": k, "usable": u, "occupied": o} for k, (u, o) in lines.items()]


def test_newest_occurred_at_wins_and_a_late_report_does_not_overwrite() -> None:
    newer = accepted(report(at=at(9), beds=beds(adult_icu=(12, 11))), offset=0)
    older = accepted(report(at=at(8), beds=beds(adult_icu=(12, 3))), INGEST, offset=1)
    state = fold_capacity([newer, older])
    assert state.lines[("HJ-0001", "adult_icu")].occupied == 11
    assert state.applied == 2  # the late one is kept in history, not dropped


def test_on_equal_occurred_at_the_later_ingest_wins() -> None:
    first = accepted(report(at=at(9), beds=beds(hcu=(4, 1))), INGEST, offset=0)
    second = accepted(report(at=at(9), beds=beds(hcu=(4, 2))), INGEST + timedelta(seconds=1), 1)
    assert fold_capacity([second, first]).lines[("HJ-0001", "hcu")].occupied == 2


def test_a_repeated_event_id_is_ignored_even_when_it_differs() -> None:
    body = report(at=at(9), beds=beds(burn=(2, 0)))
    again = body | {"occurred_at": at(10), "beds": beds(burn=(2, 2))}
    state = fold_capacity([accepted(body), accepted(again, offset=1)])
    assert state.lines[("HJ-0001", "burn")].occupied == 0
    assert (state.applied, state.duplicates) == (1, 1)


def test_a_partial_report_updates_only_the_bed_types_it_lists() -> None:
    full = accepted(report(at=at(8), beds=beds(adult_icu=(10, 5), hcu=(6, 1))))
    partial = accepted(report(at=at(9), beds=beds(hcu=(6, 6))), offset=1)
    state = fold_capacity([full, partial])
    assert state.lines[("HJ-0001", "adult_icu")].occupied == 5
    assert state.lines[("HJ-0001", "hcu")].occupied == 6


def test_status_fields_keep_the_newest_reported_value() -> None:
    a = accepted(report(at=at(8), accepting="closed", ed_status="advisory"))
    b = accepted(report(at=at(9), accepting="open"), offset=1)
    c = accepted(report(at=at(7), accepting="limited"), offset=2)
    state = fold_capacity([a, b, c])
    assert state.status[("HJ-0001", "accepting")] == "open"
    assert state.status[("HJ-0001", "ed_status")] == "advisory"


def test_as_of_and_known_at_restrict_what_counts() -> None:
    early = accepted(report(at=at(8), beds=beds(hcu=(6, 1))), INGEST, 0)
    later = accepted(report(at=at(9), beds=beds(hcu=(6, 5))), INGEST + timedelta(hours=1), 1)
    as_of_830 = datetime.fromisoformat(at(8, 30))
    assert fold_capacity([early, later], as_of=as_of_830).lines[("HJ-0001", "hcu")].occupied == 1
    before_later = INGEST + timedelta(minutes=30)
    known = fold_capacity([early, later], known_at=before_later)
    assert known.lines[("HJ-0001", "hcu")].occupied == 1
    assert fold_capacity([early, later]).lines[("HJ-0001", "hcu")].occupied == 5


def test_last_report_is_the_newest_line_of_the_facility() -> None:
    state = fold_capacity(
        [
            accepted(report(at=at(8), beds=beds(hcu=(1, 1), burn=(1, 0)))),
            accepted(report(at=at(9), beds=beds(hcu=(1, 0))), offset=1),
        ]
    )
    assert state.last_report("HJ-0001") == datetime.fromisoformat(at(9))
    assert state.last_report("HJ-0404") is None


def test_occupancy_and_available_never_hide_a_surge() -> None:
    assert occupancy_rate(12, 14) == pytest.approx(1.1667)
    assert occupancy_rate(0, 3) is None
    assert available(12, 14) == 0
    assert available(12, 5) == 7


# --- alerts: what should be open, and the events that say so -----------------------------------


def wanted(records: list[Accepted], now: datetime, facility: str = "HJ-0001") -> dict:
    from consumers.alerts import wanted_alerts

    state = fold_capacity(records)
    return wanted_alerts(state, facility, now, threshold=0.95, stale_after=timedelta(hours=6))


NOW = datetime.fromisoformat(at(10))


def test_occupancy_at_the_threshold_raises_and_below_does_not() -> None:
    found = wanted([accepted(report(at=at(9), beds=beds(hcu=(20, 19), burn=(20, 18))))], NOW)
    assert set(found) == {"HJ-0001:occupancy_high:hcu"}
    assert found["HJ-0001:occupancy_high:hcu"].detail["occupancy_rate"] == 0.95


def test_over_capacity_and_closed_and_stale() -> None:
    records = [accepted(report(at=at(3), accepting="closed", beds=beds(hcu=(4, 5), burn=(0, 0))))]
    assert set(wanted(records, NOW)) == {
        "HJ-0001:occupancy_high:hcu",
        "HJ-0001:over_capacity:hcu",
        "HJ-0001:not_accepting",
        "HJ-0001:stale_report",
    }
    assert wanted(records, NOW, facility="HJ-0002") == {}


def test_a_late_report_cannot_raise_an_alert() -> None:
    records = [
        accepted(report(at=at(9), beds=beds(hcu=(4, 1)))),
        accepted(report(at=at(8), beds=beds(hcu=(4, 4))), offset=1),
    ]
    assert wanted(records, NOW) == {}


def test_transitions_raise_what_is_missing_and_clear_what_is_no_longer_true() -> None:
    from consumers.alerts import Opened, transitions

    found = wanted([accepted(report(at=at(9), beds=beds(hcu=(4, 4))))], NOW)
    raised = transitions(found, {}, "HJ-0001", NOW)
    assert [(e.type, e.alert_id) for e in raised] == [
        ("alert.raised", "HJ-0001:occupancy_high:hcu")
    ]
    # Deciding the same transition again gives the same event id: replicas ignore the repeat.
    assert transitions(found, {}, "HJ-0001", NOW + timedelta(seconds=5))[0].event_id == (
        raised[0].event_id
    )
    assert (
        transitions(
            found, {"HJ-0001:occupancy_high:hcu": Opened("occupancy_high", "x")}, "HJ-0001", NOW
        )
        == []
    )
    cleared = transitions(
        {}, {"HJ-0001:not_accepting": Opened("not_accepting", "r1")}, "HJ-0001", NOW
    )
    assert [(e.type, e.kind) for e in cleared] == [("alert.cleared", "not_accepting")]
    again = transitions(
        {}, {"HJ-0001:not_accepting": Opened("not_accepting", "r1")}, "HJ-0001", NOW
    )
    assert again[0].event_id == cleared[0].event_id
    assert check(to_json(cleared[0]), NOW) == cleared[0]  # valid on the wire
