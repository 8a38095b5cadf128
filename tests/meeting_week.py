"""The small city of the meeting-summary tests: two hospitals, two districts, a week of reports,
district counts and placements between two meetings (unit and integration tests share it)."""

from __future__ import annotations

from datetime import datetime, timedelta

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


def late_news() -> list[Event]:
    """What happened before this meeting but reached the broker after it began."""
    return [
        capacity("HJ-0001", at(29, 20), beds=beds(adult_icu=(10, 2))),
        counted("南地区", at(29, 20), awaiting_admission=30),
        placement_requested(P[0].replace("0000-4", "1111-4"), "HJ-0001", at=at(29, 21)),
    ]
