"""The reporting rhythm: a facility's cadence in the contract and the registry CSV, the overdue
rule, and its SQL twin held equal to it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from consumers.rules import overdue, overdue_sql, report_due, seconds_utc
from producers.registry import read_registry_csv
from schemas.events import Actor
from schemas.events_v2 import FacilityRegisteredV2, parse_any
from schemas.problems import problems_of

JST = timezone(timedelta(hours=9))
NINE = time(9, 0, tzinfo=JST)
CITY = Actor(org="city_hall", user="t")
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 12:00 in Japan


def jst(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=JST)


# --- the rule ---------------------------------------------------------------------------------


def test_every_four_hours_is_overdue_just_after_four_hours() -> None:
    last = jst(1, 8)
    assert report_due(last, 4, None) == jst(1, 12)
    assert overdue(last, jst(1, 12), 4, None) is None  # due at 12:00: not yet late
    assert overdue(last, jst(1, 12, 1), 4, None) == jst(1, 12)


def test_daily_by_nine_a_report_covers_the_deadline_in_the_day_after_it() -> None:
    # Reported at 08:00 on the 1st: that met the 1st's 09:00; the 2nd's is the next one.
    assert report_due(jst(1, 8), None, NINE) == jst(2, 9)
    # Reported late, at 10:00 on the 1st: it counts for the 2nd, so the 3rd's is next.
    assert report_due(jst(1, 10), None, NINE) == jst(3, 9)
    # Exactly at a deadline: it met that one; the next day's is due.
    assert report_due(jst(1, 9), None, NINE) == jst(2, 9)
    assert overdue(jst(1, 8), jst(2, 9, 30), None, NINE) == jst(2, 9)
    assert overdue(jst(1, 8), jst(2, 8, 59), None, NINE) is None


def test_no_cadence_or_no_report_is_never_overdue() -> None:
    assert overdue(jst(1, 0), jst(9, 0), None, None) is None
    assert overdue(None, jst(9, 0), 4, None) is None  # as for stale: never reported


def test_a_daily_deadline_in_utc_seconds() -> None:
    assert seconds_utc(NINE) == 0  # 09:00 in Japan is midnight UTC
    assert seconds_utc(time(8, 30, tzinfo=JST)) == 86_400 - 1800
    assert seconds_utc(time(9, 0, tzinfo=UTC)) == 9 * 3600


offsets = st.integers(-12 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
deadlines = st.builds(
    lambda h, m, s, zone: time(h, m, s, tzinfo=zone),
    st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), offsets,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    ages=st.lists(st.integers(0, 3 * 86_400 * 10**6), min_size=1, max_size=30),
    every_hours=st.none() | st.integers(1, 168),
    daily_by=deadlines,
)
def test_the_sql_overdue_equals_the_pure_rule(
    ages: list[int], every_hours: int | None, daily_by: time
) -> None:
    last = [NOW - timedelta(microseconds=a) for a in ages]
    # Reports exactly a cadence, and exactly a day before a deadline, before now.
    if every_hours:
        last.append(NOW - timedelta(hours=every_hours))
    last += [report_due(NOW - timedelta(days=2), None, daily_by) - timedelta(days=1)]  # type: ignore[operator]
    daily = None if every_hours else daily_by
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("t", pa.table({"last_report": pa.array(last, pa.timestamp("us", tz="UTC"))}))
    got = con.execute(
        f"SELECT {overdue_sql('last_report', '$now', '$every', '$daily_s')} FROM t",
        {"now": NOW, "every": every_hours, "daily_s": seconds_utc(daily) if daily else None},
    ).fetchall()
    assert [r for (r,) in got] == [overdue(t, NOW, every_hours, daily) for t in last]
    con.close()


# --- the contract -------------------------------------------------------------------------------


def registered(**reporting: object) -> dict:
    return {
        "type": "facility.registered", "version": 2,
        "event_id": "5a0e7b8e-1c7e-4d55-9b8e-6f0b2c1d9a01",
        "occurred_at": "2026-11-26T10:00:00+09:00", "actor": {"org": "city_hall", "user": "t"},
        "facility_id": "HJ-0001", "name": {"ja": "いちょう病院"}, "kind": "hospital",
        "district": "中央", "reporting": reporting,
    }  # fmt: skip


def test_a_registration_says_its_cadence_in_one_of_two_ways() -> None:
    event = parse_any(registered(every_hours=4))
    assert isinstance(event, FacilityRegisteredV2) and event.reporting
    assert event.reporting.every_hours == 4
    daily = parse_any(registered(daily_by="09:00+09:00"))
    assert isinstance(daily, FacilityRegisteredV2) and daily.reporting
    assert daily.reporting.daily_by == NINE


@pytest.mark.parametrize(
    ("reporting", "field", "rule"),
    [
        ({}, "reporting", "one_cadence"),
        ({"every_hours": 4, "daily_by": "09:00+09:00"}, "reporting", "one_cadence"),
        ({"every_hours": 0}, "reporting.every_hours", "greater_than_equal"),
        ({"every_hours": "4"}, "reporting.every_hours", "int_type"),
        ({"daily_by": "09:00"}, "reporting.daily_by", "timezone_aware"),
        ({"daily_by": "9時+09:00"}, "reporting.daily_by", "time_parsing"),
    ],
)
def test_a_bad_cadence_is_named_by_its_field_and_rule(
    reporting: dict, field: str, rule: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        FacilityRegisteredV2.model_validate(registered(**reporting))
    found = [(p.field, p.rule) for p in problems_of(raised.value, tagged=False)]
    assert found == [(field, rule)]
    assert "one_cadence" not in rule or problems_of(raised.value)[0].message("en")


# --- the registry CSV ---------------------------------------------------------------------------

HEADER = "facility_id,name_ja,kind,district,report_every_hours,report_daily_by\n"


def test_registry_columns_give_the_cadence_a_bare_time_is_japan_s() -> None:
    text = HEADER + "HJ-0001,いちょう,hospital,中央,4,\nHJ-0002,けやき,hospital,南,,09:00\n"
    text += "HJ-0003,かえで,hospital,北,,\n"
    events, problems = read_registry_csv(text.encode(), CITY, NOW)
    assert not problems
    by_id = {e.facility_id: e for e in events}
    first, second = by_id["HJ-0001"], by_id["HJ-0002"]
    assert isinstance(first, FacilityRegisteredV2) and first.reporting
    assert first.reporting.every_hours == 4
    assert isinstance(second, FacilityRegisteredV2) and second.reporting
    assert second.reporting.daily_by == NINE
    assert by_id["HJ-0003"].version == 1  # a row that says no cadence stays version 1


def test_bad_cadence_cells_are_named_by_their_column() -> None:
    text = HEADER + "HJ-0001,いちょう,hospital,中央,4,09:00\nHJ-0002,けやき,hospital,南,x,\n"
    text += "HJ-0003,かえで,hospital,北,,9時\n"
    events, problems = read_registry_csv(text.encode(), CITY, NOW)
    assert not events
    found = {(p.row, q.field, q.rule) for p in problems for q in p.problems}
    assert found == {
        (2, "report_every_hours", "one_cadence"),
        (3, "report_every_hours", "int_parsing"),
        (4, "report_daily_by", "time_parsing"),
    }
    assert problems[0].message("ja").startswith("2行目: report_every_hours: ")
