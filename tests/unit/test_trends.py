"""The trend from the kept changes equals the trend recomputed from the lines, however the log
came: late reports, several batches, facilities moving district, secured beds said or not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers import trends
from consumers.rules import Accepted
from consumers.store import Batch, Store, connect
from schemas.events import parse_event

T0 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)
DAY = 24 * 60  # minutes
PLANS = {"3": {"adult_icu": 30}, "4": {"hcu": 2, "adult_icu": 8}}


def body(event_type: str, at: datetime, **fields: Any) -> dict[str, Any]:
    actor = {"org": "city_hall", "user": "registry"}
    common = {"type": event_type, "version": 2, "event_id": str(uuid.uuid4())}
    return common | {"occurred_at": at.isoformat(), "actor": actor} | fields


reports = st.tuples(
    st.just("report"),
    st.sampled_from(["F1", "F2", "F3", "X9"]),  # X9 is never registered
    st.sampled_from(["adult_icu", "hcu"]),
    st.integers(0, 20),
    st.integers(0, 25),  # may exceed usable: a surge
    st.none() | st.integers(0, 30),  # secured beds said, or not (a v1-like line)
    st.integers(-3 * DAY, 3 * DAY),  # minutes after T0: across day boundaries
    st.integers(0, 2 * DAY),  # minutes until the broker took it in (late arrivals)
)
registrations = st.tuples(
    st.just("register"),
    st.sampled_from(["F1", "F2", "F3"]),
    st.sampled_from(["North", "South", "East"]),  # a second one moves the facility
    st.booleans(),  # with a secured-bed plan
    st.integers(-4 * DAY, 3 * DAY),
    st.integers(0, DAY),
)


def log(drawn: list[tuple]) -> list[tuple[str, Any, datetime]]:
    """(topic, event, ingested_at) in ingest order."""
    out = []
    for item in drawn:
        if item[0] == "report":
            _, fid, bed, usable, occupied, secured, minute, delay = item
            line = {"bed_type": bed, "usable": usable, "occupied": occupied}
            if secured is not None:
                line["secured"] = secured
            at = T0 + timedelta(minutes=minute)
            event = body("capacity.reported", at, facility_id=fid, beds=[line])
            out.append(("capacity", event, at + timedelta(minutes=delay)))
        else:
            _, fid, district, plan, minute, delay = item
            at = T0 + timedelta(minutes=minute)
            event = body("facility.registered", at, facility_id=fid, name={"ja": fid},
                         kind="hospital", district=district)  # fmt: skip
            if plan:
                event["secured_beds"] = PLANS
            out.append(("facilities", event, at + timedelta(minutes=delay)))
    out.sort(key=lambda x: x[2])
    return [(topic, parse_event(event), at) for topic, event, at in out]


def replica(records: list[tuple[str, Any, datetime]], cuts: list[int]) -> duckdb.DuckDBPyConnection:
    """An in-memory replica written in batches split at `cuts`, as the roll-up writes them."""
    con = connect(":memory:")
    store = Store(con)
    offsets: dict[str, int] = {}
    bounds = sorted({0, len(records), *(c % (len(records) + 1) for c in cuts)})
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        accepted: dict[str, list[Accepted]] = {}
        for topic, event, ingested in records[lo:hi]:
            offset = offsets[topic] = offsets.get(topic, -1) + 1
            accepted.setdefault(topic, []).append(Accepted(event, ingested, 0, offset))
        store.write(Batch(accepted=accepted, read={k: len(v) for k, v in accepted.items()}))
    return con


windows = st.tuples(
    st.integers(-2 * DAY, 2 * DAY),  # start, minutes after T0
    st.sampled_from([7, 30, 360, DAY]),  # step, minutes
    st.integers(0, 40),  # steps
    st.sampled_from(["bed_type", "district"]),
    st.sampled_from([None, ["hcu"]]),
    st.sampled_from([None, ["North", ""], ["East"]]),
    st.sampled_from([None, "3", "4"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(reports | registrations, min_size=1, max_size=30),
    st.lists(st.integers(0, 30), max_size=4),
    st.lists(windows, min_size=1, max_size=3),
    st.sampled_from([0, trends._FEW]),  # batches followed in SQL, or (small ones) in Python
)
def test_the_kept_changes_give_the_trend_of_the_lines(
    drawn: list[tuple], cuts: list[int], asked: list[tuple], few: int
) -> None:
    kept, trends._FEW = trends._FEW, few
    try:
        con = replica(log(drawn), cuts)
    finally:
        trends._FEW = kept
    cur = con.cursor()
    for start_min, step_min, steps, by, bed_types, districts, phase in asked:
        start, step = T0 + timedelta(minutes=start_min), timedelta(minutes=step_min)
        params = trends.parameters(start, start + step * steps, step, FAR, bed_types, districts,
                                   phase)  # fmt: skip
        fast = trends.fast(cur, by, params)
        assert fast is not None  # known at FAR: everything, so the changes answer
        from_lines = trends.trend(cur, start, start + step * steps, step, by=by,
                                  bed_types=bed_types, districts=districts, known_at=FAR,
                                  phase=phase, from_lines=True)  # fmt: skip
        assert fast.schema == from_lines.schema
        assert fast.to_pylist() == from_lines.to_pylist()
    assert_backfill_equals_what_the_store_kept(con)


def assert_backfill_equals_what_the_store_kept(con: duckdb.DuckDBPyConnection) -> None:
    """A replica migrated from before the changes were kept ends up as one that kept them."""
    changes = "SELECT * FROM line_changes ORDER BY ALL"
    sums = "SELECT * FROM district_sums WHERE usable <> 0 OR occupied <> 0 OR available <> 0 " \
        "OR secured <> 0 OR lines <> 0 ORDER BY ALL"  # fmt: skip
    kept = con.execute(changes).fetchall(), con.execute(sums).fetchall()
    # Every day before the newest line's is summed (else the trend reads them line by line).
    ((newest,),) = con.execute(
        "SELECT floor(epoch(max(occurred_at)) / 86400)::INTEGER FROM line_changes"
    ).fetchall()
    assert con.execute("FROM trend_marks").fetchall() == ([(newest,)] if newest else [])
    con.execute("DELETE FROM line_changes")
    trends.backfill(con)
    assert (con.execute(changes).fetchall(), con.execute(sums).fetchall()) == kept


def test_a_late_line_changes_the_line_after_it_and_only_that() -> None:
    def report(minute: int, usable: int, ingest: int) -> tuple:
        return ("report", "F1", "hcu", usable, 0, None, minute, ingest - minute)

    records = log([report(60, 10, 60), report(180, 30, 180), report(120, 20, 240)])
    con = replica(records, [])
    rows = con.execute("SELECT occurred_at, usable, lines FROM line_changes ORDER BY 1").fetchall()
    assert [(r[1], r[2]) for r in rows] == [(10, 1), (10, 0), (10, 0)]  # 10, +10 to 20, +10 to 30
    found = trends.trend(con.cursor(), T0 + timedelta(hours=1), T0 + timedelta(hours=3),
                         timedelta(hours=1), known_at=FAR).column("usable").to_pylist()  # fmt: skip
    assert found == [10, 20, 30]


def test_a_facility_moving_district_takes_its_history_along() -> None:
    records = log([
        ("register", "F1", "North", False, -DAY, 0),
        ("report", "F1", "hcu", 5, 1, 5, -60, 0),
        ("register", "F1", "South", False, 60, 0),
    ])  # fmt: skip
    con = replica(records, [1, 2])
    table = trends.trend(con.cursor(), T0, T0 + timedelta(hours=2), timedelta(hours=1),
                         by="district")  # fmt: skip
    assert set(table.column("group").to_pylist()) == {"South"}  # the registry as it is now
    assert table.column("usable").to_pylist() == [5, 5, 5]


def test_known_at_in_the_past_and_an_old_read_only_replica_recompute_from_the_lines() -> None:
    records = log([
        ("report", "F1", "hcu", 5, 1, 5, 0, 0),
        ("report", "F1", "hcu", 9, 1, 5, 30, 600),  # taken in 10 hours late
    ])  # fmt: skip
    con = replica(records, [])
    cur, end = con.cursor(), T0 + timedelta(hours=1)
    before = trends.parameters(T0, end, timedelta(hours=1), known_at=T0 + timedelta(hours=2))
    assert trends.fast(cur, "bed_type", before) is None
    got = trends.trend(cur, T0, end, timedelta(hours=1), known_at=T0 + timedelta(hours=2))
    assert got.column("usable").to_pylist() == [5, 5]  # the late line was not known then
    con.execute("DROP TABLE line_changes")  # as a replica written before them, opened read-only
    got = trends.trend(cur, T0, end, timedelta(hours=1), known_at=FAR)
    assert got.column("usable").to_pylist() == [5, 9]
