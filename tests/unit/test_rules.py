"""The pure rules: the reference fold, occupancy, level, stale, and the alert conditions."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.rules import (
    FULL,
    NEARLY,
    NONE,
    OVER,
    ROOM,
    Accepted,
    alert_conditions,
    available,
    available_sql,
    fold_capacity,
    is_stale,
    level,
    occupancy_rate,
    occupancy_sql,
    stale_sql,
)
from schemas.events import to_json
from schemas.records import check
from tests.factories import INGEST, accepted, beds, capacity_body

# --- fold_capacity: design.md "Time" ------------------------------------------------------------


def at(hour: int, minute: int = 0) -> str:
    return f"2026-11-26T{hour:02d}:{minute:02d}:00+09:00"


def test_newest_occurred_at_wins_and_a_late_report_does_not_overwrite() -> None:
    newer = accepted(capacity_body(at=at(9), beds=beds(adult_icu=(12, 11))), offset=0)
    older = accepted(capacity_body(at=at(8), beds=beds(adult_icu=(12, 3))), INGEST, offset=1)
    state = fold_capacity([newer, older])
    assert state.lines[("HJ-0001", "adult_icu")].occupied == 11
    assert state.applied == 2  # the late one is kept in history, not dropped


def test_on_equal_occurred_at_the_later_ingest_wins() -> None:
    first = accepted(capacity_body(at=at(9), beds=beds(hcu=(4, 1))), INGEST, offset=0)
    second = accepted(
        capacity_body(at=at(9), beds=beds(hcu=(4, 2))), INGEST + timedelta(seconds=1), 1
    )
    assert fold_capacity([second, first]).lines[("HJ-0001", "hcu")].occupied == 2


def test_a_repeated_event_id_is_ignored_even_when_it_differs() -> None:
    body = capacity_body(at=at(9), beds=beds(burn=(2, 0)))
    again = body | {"occurred_at": at(10), "beds": beds(burn=(2, 2))}
    state = fold_capacity([accepted(body), accepted(again, offset=1)])
    assert state.lines[("HJ-0001", "burn")].occupied == 0
    assert (state.applied, state.duplicates) == (1, 1)


def test_a_partial_report_updates_only_the_bed_types_it_lists() -> None:
    full = accepted(capacity_body(at=at(8), beds=beds(adult_icu=(10, 5), hcu=(6, 1))))
    partial = accepted(capacity_body(at=at(9), beds=beds(hcu=(6, 6))), offset=1)
    state = fold_capacity([full, partial])
    assert state.lines[("HJ-0001", "adult_icu")].occupied == 5
    assert state.lines[("HJ-0001", "hcu")].occupied == 6


def test_status_fields_keep_the_newest_reported_value() -> None:
    a = accepted(capacity_body(at=at(8), accepting="closed", ed_status="advisory"))
    b = accepted(capacity_body(at=at(9), accepting="open"), offset=1)
    c = accepted(capacity_body(at=at(7), accepting="limited"), offset=2)
    state = fold_capacity([a, b, c])
    assert state.status[("HJ-0001", "accepting")] == "open"
    assert state.status[("HJ-0001", "ed_status")] == "advisory"


def test_as_of_and_known_at_restrict_what_counts() -> None:
    early = accepted(capacity_body(at=at(8), beds=beds(hcu=(6, 1))), INGEST, 0)
    later = accepted(capacity_body(at=at(9), beds=beds(hcu=(6, 5))), INGEST + timedelta(hours=1), 1)
    as_of_830 = datetime.fromisoformat(at(8, 30))
    assert fold_capacity([early, later], as_of=as_of_830).lines[("HJ-0001", "hcu")].occupied == 1
    before_later = INGEST + timedelta(minutes=30)
    known = fold_capacity([early, later], known_at=before_later)
    assert known.lines[("HJ-0001", "hcu")].occupied == 1
    assert fold_capacity([early, later]).lines[("HJ-0001", "hcu")].occupied == 5


def test_last_report_is_the_newest_line_of_the_facility() -> None:
    state = fold_capacity(
        [
            accepted(capacity_body(at=at(8), beds=beds(hcu=(1, 1), burn=(1, 0)))),
            accepted(capacity_body(at=at(9), beds=beds(hcu=(1, 0))), offset=1),
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
    from consumers.alert_rules import wanted_alerts

    state = fold_capacity(records)
    return wanted_alerts(state, facility, now, threshold=0.95, stale_after=timedelta(hours=6))


NOW = datetime.fromisoformat(at(10))


def test_occupancy_at_the_threshold_raises_and_below_does_not() -> None:
    found = wanted([accepted(capacity_body(at=at(9), beds=beds(hcu=(20, 19), burn=(20, 18))))], NOW)
    assert set(found) == {"HJ-0001:occupancy_high:hcu"}
    assert found["HJ-0001:occupancy_high:hcu"].detail["occupancy_rate"] == 0.95


def test_over_capacity_and_closed_and_stale() -> None:
    records = [
        accepted(capacity_body(at=at(3), accepting="closed", beds=beds(hcu=(4, 5), burn=(0, 0))))
    ]
    assert set(wanted(records, NOW)) == {
        "HJ-0001:occupancy_high:hcu",
        "HJ-0001:over_capacity:hcu",
        "HJ-0001:not_accepting",
        "HJ-0001:stale_report",
    }
    assert wanted(records, NOW, facility="HJ-0002") == {}


def test_a_late_report_cannot_raise_an_alert() -> None:
    records = [
        accepted(capacity_body(at=at(9), beds=beds(hcu=(4, 1)))),
        accepted(capacity_body(at=at(8), beds=beds(hcu=(4, 4))), offset=1),
    ]
    assert wanted(records, NOW) == {}


def test_transitions_raise_what_is_missing_and_clear_what_is_no_longer_true() -> None:
    from consumers.alert_rules import Opened, transitions

    found = wanted([accepted(capacity_body(at=at(9), beds=beds(hcu=(4, 4))))], NOW)
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


# --- occupancy, level, stale: each rule once, and its SQL mirror held equal ---------------------


def test_occupancy_rounds_half_away_from_zero_on_the_exact_ratio_as_excel_does() -> None:
    assert occupancy_rate(160, 117) == 0.7313  # 0.73125; round() on the double gives 0.7312
    assert occupancy_rate(16, 1) == 0.0625
    assert occupancy_rate(32, 1) == 0.0313  # 0.03125
    assert occupancy_rate(3, 2) == 0.6667
    assert occupancy_rate(3, 1) == 0.3333
    assert occupancy_rate(5000, 5000) == 1.0
    assert occupancy_rate(1, 5000) == 5000.0


def test_level_of_a_line() -> None:
    assert [level(u, o) for u, o in [(0, 0), (0, 3), (10, 11), (10, 10), (10, 9), (10, 8)]] == [
        NONE,
        NONE,
        OVER,
        FULL,
        NEARLY,
        ROOM,
    ]
    assert level(1000, 900) == NEARLY and level(1000, 899) == ROOM


def test_stale_is_strictly_older_than_stale_after() -> None:
    six = timedelta(hours=6)
    assert not is_stale(INGEST - six, INGEST, six)
    assert is_stale(INGEST - six - timedelta(microseconds=1), INGEST, six)
    assert not is_stale(None, INGEST, six)


def test_a_surge_line_raises_both_over_capacity_and_occupancy_high() -> None:
    found = alert_conditions(
        [("hcu", 4, 5), ("burn", 20, 18)],
        "closed",
        INGEST - timedelta(hours=7),
        INGEST,
        threshold=0.95,
        stale_after=timedelta(hours=6),
    )
    assert sorted(found, key=str) == sorted(
        [
            ("occupancy_high", "hcu"),
            ("over_capacity", "hcu"),
            ("not_accepting", None),
            ("stale_report", None),
        ],
        key=str,
    )


COUNTS = st.integers(0, 5000)


@settings(max_examples=40, deadline=None)
@given(pairs=st.lists(st.tuples(COUNTS, COUNTS), min_size=1, max_size=400))
def test_the_sql_occupancy_and_available_equal_the_pure_rules(pairs: list) -> None:
    pairs += [(160, 117), (32, 1), (0, 0), (0, 7), (5000, 1), (1, 5000), (4000, 2417)]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (usable INTEGER, occupied INTEGER)")
    con.executemany("INSERT INTO t VALUES (?, ?)", pairs)
    got = con.execute(
        f"SELECT usable, occupied, {occupancy_sql('usable', 'occupied')}, "
        f"{available_sql('usable', 'occupied')} FROM t"
    ).fetchall()
    assert got == [(u, o, occupancy_rate(u, o), available(u, o)) for u, o in pairs]
    con.close()


def test_the_sql_occupancy_equals_the_pure_rule_on_every_halfway_ratio() -> None:
    # Every usable in 1..5000 with an occupied that lands exactly on (or next to) a half.
    pairs = [(u, o) for u in range(1, 5001) for o in {u * 5 // 10000, u * 117 // 160, u - 1}]
    pairs += [(u, (2 * k + 1) * u // 20000) for u in (160, 320, 4000, 5000) for k in range(0, 20)]
    con = duckdb.connect()
    table = pa.table({"usable": [u for u, _ in pairs], "occupied": [o for _, o in pairs]})
    con.register("t", table)
    got = con.execute(f"SELECT {occupancy_sql('usable', 'occupied')} FROM t").fetchall()
    assert [r for (r,) in got] == [occupancy_rate(u, o) for u, o in pairs]
    con.close()


@settings(max_examples=40, deadline=None)
@given(
    ages=st.lists(st.integers(0, 20 * 3600 * 10**6), min_size=1, max_size=50),
    stale_s=st.integers(1, 12 * 3600),
)
def test_the_sql_stale_equals_the_pure_rule(ages: list[int], stale_s: int) -> None:
    stale_after = timedelta(seconds=stale_s)
    ages += [stale_s * 10**6, stale_s * 10**6 + 1]
    last = [INGEST - timedelta(microseconds=a) for a in ages]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("t", pa.table({"last_report": pa.array(last, pa.timestamp("us", tz="UTC"))}))
    got = con.execute(
        f"SELECT {stale_sql('last_report', '$now', '$stale_after')} FROM t",
        {"now": INGEST, "stale_after": stale_after},
    ).fetchall()
    assert [r for (r,) in got] == [is_stale(t, INGEST, stale_after) for t in last]
    con.close()


def test_the_alert_kinds_are_the_contract_s() -> None:
    from consumers.rules import ALERT_KINDS
    from schemas.events import AlertKind

    assert sorted(ALERT_KINDS) == sorted(AlertKind.__args__)  # type: ignore[attr-defined]
