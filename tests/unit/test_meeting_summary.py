"""The meeting summary on a small city: occupancy then and now, placements, the waiting list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers import city
from consumers.exports import summary, summary_doc
from consumers.rules import Accepted
from consumers.store import Batch, Store, connect
from schemas.events import Event, parse_event
from tests.meeting_week import KNOWN_AT, SINCE, STALE, ZONE, at, city_week, late_news
from tests.unit.test_city import BASE, FAR, apply, city_histories


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
    again = made(replica(city_week(), late=late_news()))

    assert again == first and again.sha256 == first.sha256
    assert made(replica(city_week()), since=SINCE - timedelta(days=1)).sha256 != first.sha256


def test_the_start_must_come_before_the_moment_it_is_known_at() -> None:
    with pytest.raises(summary.SinceNotBefore):
        made(replica(city_week()), since=KNOWN_AT)


def case_events() -> list[Event]:
    """Three cases from the day after the last meeting: one withdrawn, one admitted, one waits."""
    official = {"org": "health_centre", "user": "coord.sato"}

    def event(kind: str, when: str, version: int = 2, **fields: Any) -> Event:
        return parse_event({"type": kind, "version": version, "event_id": str(uuid.uuid4()),
                            "occurred_at": when, "actor": official, **fields})  # fmt: skip

    cases = [str(uuid.UUID(int=n + 1)) for n in range(3)]
    out = [
        event("case.registered", at(28, 10), case_id=case, case_ref=f"HC-{n}",
              patient={"age_band": "70-79", "severity": "moderate", "needs": []},
              district=district, waiting_at="home", waiting_since=at(28, 9))
        for n, (case, district) in enumerate(zip(cases, ("中央地区", "中央地区", "南部地区"),
                                                 strict=True))
    ]  # fmt: skip
    pid = str(uuid.UUID(int=99))
    out += [
        event("case.withdrawn", at(29, 10), case_id=cases[0], reason="recovered"),
        event("placement.requested", at(29, 11), placement_id=pid, facility_id="HJ-0001",
              bed_type="adult_icu", case_id=cases[2],
              patient={"age_band": "70-79", "severity": "moderate", "needs": []}),
        event("placement.closed", at(29, 15), 1, placement_id=pid, outcome="admitted"),
    ]  # fmt: skip
    return out


def test_once_the_health_centre_keeps_a_waiting_list_the_summary_counts_its_cases() -> None:
    made_ = made(replica([*city_week(), *case_events()]))

    assert made_.waiting_source == "cases"
    values = {point["at"]: point["waiting"] for point in made_.waiting}
    assert made_.waiting_then_now() == (0, 1)  # none yet at the last meeting; one waits now
    assert max(values.values()) == 3  # all three between their registration and the 29th
    centre = by(made_.by_district, "district")["中央地区"]
    assert (centre["waiting_then"], centre["waiting_now"]) == (None, 1)
    assert made(replica(city_week())).waiting_source == "district_counts"


def test_a_city_without_counts_has_no_waiting_numbers() -> None:
    quiet = [e for e in city_week() if e.type != "district.counted"]  # type: ignore[attr-defined]
    made_ = made(replica(quiet))

    assert made_.waiting_then_now() == (None, None)
    assert all(row["waiting_now"] is None for row in made_.by_district)


def test_the_meeting_before_is_three_or_four_days_back_at_ten() -> None:
    monday = datetime.fromisoformat("2026-11-30T11:00:00+09:00")
    thursday = datetime.fromisoformat("2026-12-03T08:00:00+09:00")

    assert summary.previous_meeting(monday, ZONE).isoformat() == "2026-11-26T10:00:00+09:00"
    assert summary.previous_meeting(thursday, ZONE).isoformat() == "2026-11-30T10:00:00+09:00"
    # 23:30 UTC on Sunday is already Monday in Tokyo: the meeting before is Thursday's.
    sunday_utc = datetime.fromisoformat("2026-11-29T23:30:00+00:00")
    assert summary.previous_meeting(sunday_utc, ZONE).isoformat() == "2026-11-26T10:00:00+09:00"


def test_the_printed_page_says_it_in_the_language_asked_for() -> None:
    made_ = made(replica(city_week()))

    ja, en = summary_doc.html(made_, "ja"), summary_doc.html(made_, "en")
    assert "会議用サマリー" in ja and "入院等調整中: 5 → 11 人 (+6)" in ja and "<svg" in ja
    assert "Meeting summary" in en and "Waiting for admission: 5 → 11 people (+6)" in en
    assert "満床" in en  # reasons stay as written
    assert made_.sha256 in ja


def test_no_chromium_is_a_named_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    with pytest.raises(summary_doc.PdfFailed, match="no-chromium"):
        summary_doc.render(made(replica(city_week())))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=city_histories(), data=st.data())
def test_the_waiting_over_time_in_sql_equals_the_citys_fold_at_each_time(
    records: list[Accepted], data: st.DataObject
) -> None:
    con = connect(":memory:")
    apply(Store(con), "city", records)
    known_at = data.draw(st.sampled_from([r.ingested_at for r in records] + [FAR]))
    times = [BASE + timedelta(minutes=m) for m in range(-1, 6)]

    counted = summary.waiting_by_district(con.cursor(), times, known_at)
    for moment in times:
        fold = city.fold_city(records, as_of=moment, known_at=known_at).district_counts()
        want = {d: c["awaiting_admission"] for d, c in fold.items() if "awaiting_admission" in c}
        assert counted.get(moment, {}) == want, moment
    con.close()
