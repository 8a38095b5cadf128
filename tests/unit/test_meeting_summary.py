"""The meeting summary on a small city: occupancy then and now, placements, the waiting list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from consumers.exports import summary
from consumers.rules import Accepted
from consumers.store import Batch, Store, connect
from schemas.events import Event, parse_event
from tests.factories import (
    HEALTH_CENTRE,
    beds,
    body,
    capacity,
    placement_closed,
    placement_requested,
    placement_responded,
    registration,
)

ZONE = "Asia/Tokyo"
SINCE = datetime.fromisoformat("2026-11-27T09:00:00+09:00")  # the last meeting
KNOWN_AT = datetime.fromisoformat("2026-11-30T09:00:00+09:00")  # this one
STALE = timedelta(hours=6)


def at(day: int, hour: int) -> str:
    return f"2026-11-{day}T{hour:02d}:00:00+09:00"


def counted(district: str, when: str, **counts: int) -> Event:
    """The health centre's count of one district (contract v2)."""
    return parse_event(body("district.counted", when, HEALTH_CENTRE, district=district, **counts)
                       | {"version": 2})  # fmt: skip


def city_week() -> list[Event]:
    """Two hospitals in two districts, their reports, the counts and the placements of a week."""
    return [
        registration("HJ-0001", "中央地区"),
        registration("HJ-0002", "南地区"),
        capacity("HJ-0001", at(26, 8), beds=beds(adult_icu=(10, 6), medical_surgical=(40, 30))),
        capacity("HJ-0002", at(26, 8), beds=beds(adult_icu=(8, 8))),
        capacity("HJ-0001", at(29, 10), beds=beds(adult_icu=(10, 9), medical_surgical=(40, 30))),
        capacity("HJ-0002", at(29, 10), beds=beds(adult_icu=(8, 4))),
        counted("中央地区", at(26, 9), awaiting_admission=5, at_home=20),
        counted("南地区", at(27, 12), awaiting_admission=3),
        counted("中央地区", at(29, 12), awaiting_admission=8),
        counted("中央地区", at(29, 18), at_home=25),  # leaves the waiting count as it was
        # p0 was asked for before the last meeting and admitted after it.
        placement_requested(P[0], "HJ-0001", at=at(26, 10)),
        placement_closed(P[0], "admitted", at=at(27, 15)),
        placement_requested(P[1], "HJ-0001", at=at(28, 9)),
        placement_responded(P[1], "HJ-0001", "declined", reason="満床", at=at(28, 10)),
        placement_requested(P[2], "HJ-0002", at=at(28, 11)),
        placement_responded(P[2], "HJ-0002", "declined", reason=" 満床  ", at=at(28, 12)),
        placement_requested(P[3], "HJ-0002", at=at(28, 13)),
        placement_responded(P[3], "HJ-0002", "declined", reason="人工呼吸器なし", at=at(28, 14)),
        # Only the facility asked may answer: another's answer is not counted.
        placement_responded(P[3], "HJ-0001", "accepted", at=at(28, 15)),
        placement_requested(P[4], "HJ-0001", at=at(29, 9)),
        placement_responded(P[4], "HJ-0001", "accepted", at=at(29, 10)),
        placement_closed(P[4], "admitted", at=at(29, 16)),
    ]


P = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(5)]


def replica(events: list[Event], late: Sequence[Event] = ()) -> duckdb.DuckDBPyConnection:
    """A replica of events received a minute after they happened; `late` ones after KNOWN_AT."""
    records = [
        Accepted(e, e.occurred_at + timedelta(minutes=1), 0, n) for n, e in enumerate(events)
    ]
    records += [
        Accepted(e, KNOWN_AT + timedelta(minutes=5), 0, len(records) + n)
        for n, e in enumerate(late)
    ]
    con = connect(":memory:")
    Store(con).write(
        Batch(accepted={"t": records}, read={"t": len(records)}, next_offsets={("t", 0): 1})
    )
    return con


def made(con: duckdb.DuckDBPyConnection, since: datetime = SINCE) -> summary.MeetingSummary:
    return summary.build(con.cursor(), since=since, known_at=KNOWN_AT, timezone=ZONE,
                         stale_after=STALE)  # fmt: skip


def by(rows: tuple[dict[str, Any], ...], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_occupancy_by_bed_type_then_and_now_with_the_change() -> None:
    beds_ = by(made(replica(city_week())).by_bed_type, "bed_type")

    icu = beds_["adult_icu"]
    assert (icu["occupied_then"], icu["occupied_now"], icu["occupied_change"]) == (14, 13, -1)
    assert (icu["available_then"], icu["available_now"], icu["available_change"]) == (4, 5, 1)
    assert (icu["occupancy_rate_then"], icu["occupancy_rate_now"]) == (0.7778, 0.7222)
    assert beds_["medical_surgical"]["occupied_change"] == 0
    assert list(beds_) == ["adult_icu", "medical_surgical"]  # the contract's order


def test_occupancy_and_the_waiting_by_district() -> None:
    districts = by(made(replica(city_week())).by_district, "district")

    centre, south = districts["中央地区"], districts["南地区"]
    assert (centre["occupied_then"], centre["occupied_now"], centre["occupied_change"]) == (
        36,
        39,
        3,
    )
    assert (south["occupied_then"], south["occupied_now"]) == (8, 4)
    # 南地区 was first counted after the last meeting: nothing to compare with, not a zero.
    assert (centre["waiting_then"], centre["waiting_now"]) == (5, 8)
    assert (south["waiting_then"], south["waiting_now"]) == (None, 3)


def test_placements_made_and_declined_with_the_reasons_counted() -> None:
    made_ = made(replica(city_week()))

    assert made_.placements == {
        "requested": 4,  # p0 was asked for before the last meeting
        "accepted": 1,  # the unasked facility's acceptance of p3 does not count
        "declined": 3,
        "admitted": 2,
        "cancelled": 0,
        "expired": 0,
    }
    assert made_.reasons == (
        {"reason": "満床", "count": 2},
        {"reason": "人工呼吸器なし", "count": 1},
    )


def test_the_waiting_list_over_time_is_the_sum_of_the_newest_district_counts() -> None:
    waiting = made(replica(city_week())).waiting

    assert waiting[0] == {"at": SINCE.isoformat(), "waiting": 5}
    assert waiting[-1] == {"at": KNOWN_AT.isoformat(), "waiting": 11}
    values = [point["waiting"] for point in waiting]
    assert values == sorted(values)  # 5, then 8 once 南地区 is counted, then 11
    assert set(values) == {5, 8, 11}
    assert 60 <= len(waiting) <= summary.POINTS + 2  # about an hour apart over three days


def test_the_summary_as_known_at_a_moment_is_the_same_later() -> None:
    first = made(replica(city_week()))
    late = [
        capacity("HJ-0001", at(29, 20), beds=beds(adult_icu=(10, 2))),
        counted("南地区", at(29, 20), awaiting_admission=30),
        placement_requested(P[0].replace("0000-4", "1111-4"), "HJ-0001", at=at(29, 21)),
    ]
    again = made(replica(city_week(), late=late))

    assert again == first and again.sha256 == first.sha256
    assert made(replica(city_week()), since=SINCE - timedelta(days=1)).sha256 != first.sha256


def test_the_start_must_come_before_the_moment_it_is_known_at() -> None:
    with pytest.raises(summary.SinceNotBefore):
        made(replica(city_week()), since=KNOWN_AT)


def test_a_city_without_counts_has_no_waiting_numbers() -> None:
    quiet = [e for e in city_week() if e.type != "district.counted"]  # type: ignore[attr-defined]
    made_ = made(replica(quiet))

    assert made_.waiting_then_now() == (None, None)
    assert all(row["waiting_now"] is None for row in made_.by_district)
