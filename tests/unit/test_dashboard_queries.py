"""The dashboard's read queries against replicas written through Store.write (no Kafka)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers import queries
from consumers.rules import Accepted
from consumers.store import Batch, Store, connect
from schemas.events import Event
from tests.factories import beds, capacity, event, registration

T0 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
STALE = timedelta(hours=6)


def replica(records: list[tuple[Event, datetime]]) -> duckdb.DuckDBPyConnection:
    """An in-memory replica with each event ingested at the given time, in list order."""
    con = connect(":memory:")
    accepted: dict[str, list[Accepted]] = {}
    for offset, (e, ingested) in enumerate(records):
        topic = e.type.split(".")[0]  # type: ignore[attr-defined]
        accepted.setdefault(topic, []).append(Accepted(e, ingested, 0, offset))
    Store(con).write(Batch(accepted=accepted, read={k: len(v) for k, v in accepted.items()}))
    return con


def totals_of_state(con: duckdb.DuckDBPyConnection, at: datetime, known: datetime, by: str):  # noqa: ANN201
    rows = queries.state(con.cursor(), at, known, STALE).to_pylist()
    found: dict[str, list[int]] = {}
    for row in rows:
        key = row["bed_type"] if by == "bed_type" else (row["district"] or "")
        sums = found.setdefault(key, [0, 0, 0, 0])
        sums[0] += row["usable"]
        sums[1] += row["occupied"]
        sums[2] += row["available"]
        sums[3] += 1
    return found


def totals_of_trend(con: duckdb.DuckDBPyConnection, by: str, known: datetime):  # noqa: ANN201
    table = queries.trend(con.cursor(), T0, T0 + timedelta(hours=10), timedelta(minutes=30),
                          by=by, known_at=known).to_pylist()  # fmt: skip
    found: dict[datetime, dict[str, list[int]]] = {}
    for row in table:
        if row["lines"]:
            at = row["at"]
            found.setdefault(at, {})[row["group"]] = [
                row["usable"],
                row["occupied"],
                row["available"],
                row["lines"],
            ]
    return found


lines = st.tuples(
    st.sampled_from(["F1", "F2", "F3", "X9"]),  # X9 is never registered
    st.sampled_from(["adult_icu", "medical_surgical"]),
    st.integers(0, 20),
    st.integers(0, 25),  # may exceed usable: a surge
    st.integers(-60, 660),  # minutes after T0 (some before the first bucket)
    st.integers(0, 240),  # minutes until the broker took it in (late arrivals)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, min_size=1, max_size=25), st.sampled_from(["bed_type", "district"]),
       st.integers(0, 900))  # fmt: skip
def test_trend_equals_the_as_of_state_at_every_step(
    drawn: list[tuple[str, str, int, int, int, int]], by: str, known_minutes: int
) -> None:
    day_before = T0 - timedelta(days=1)
    districts = {"F1": "North", "F2": "North", "F3": "South"}
    records = [(registration(fid, d, day_before), day_before) for fid, d in districts.items()]
    for fid, bed, usable, occupied, minute, delay in drawn:
        at = T0 + timedelta(minutes=minute)
        records.append(
            (
                capacity(fid, at, beds=beds(**{bed: (usable, occupied)})),
                at + timedelta(minutes=delay),
            )
        )
    records.sort(key=lambda pair: pair[1])  # the log is in ingest order
    con = replica(records)
    known = T0 + timedelta(minutes=known_minutes)

    trend = totals_of_trend(con, by, known)
    for step in range(21):
        at = T0 + timedelta(minutes=30 * step)
        assert trend.get(at, {}) == totals_of_state(con, at, known, by), at


def test_trend_breaks_ties_at_the_same_time_by_the_later_ingest() -> None:
    at = T0 + timedelta(minutes=10)
    con = replica([
        (capacity("F1", at, beds=beds(adult_icu=(10, 9))), at + timedelta(minutes=1)),
        (capacity("F1", at, beds=beds(adult_icu=(10, 3))), at + timedelta(minutes=2)),
    ])  # fmt: skip

    trend = totals_of_trend(con, "bed_type", T0 + timedelta(hours=10))
    assert trend[T0 + timedelta(minutes=30)]["adult_icu"] == [10, 3, 7, 1]


def test_trend_filters_bed_types_and_districts() -> None:
    at = T0 + timedelta(minutes=5)
    con = replica([
        (registration("F1", "North", T0 - timedelta(days=1)), T0),
        (registration("F2", "South", T0 - timedelta(days=1)), T0),
        (capacity("F1", at, beds=beds(adult_icu=(4, 1), medical_surgical=(50, 10))), at),
        (capacity("F2", at, beds=beds(adult_icu=(6, 6))), at),
    ])  # fmt: skip
    cur = con.cursor()
    end = T0 + timedelta(hours=1)

    rows = queries.trend(cur, T0, end, timedelta(minutes=30), by="district",
                         bed_types=["adult_icu"]).to_pylist()  # fmt: skip
    last = {r["group"]: (r["usable"], r["occupied"]) for r in rows if r["at"] == rows[-1]["at"]}
    assert last == {"North": (4, 1), "South": (6, 6)}
    rows = queries.trend(cur, T0, end, timedelta(minutes=30), districts=["South"]).to_pylist()
    assert {r["group"] for r in rows} == {"adult_icu"}
    with pytest.raises(ValueError):
        queries.trend(cur, T0, end, timedelta(minutes=30), by="kind")


def test_facility_reports_and_lines_give_who_sent_what_and_when() -> None:
    first, second = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    con = replica([
        (capacity("F1", first, beds=beds(adult_icu=(10, 2))), first),
        (event("capacity.reported", second, facility_id="F1", note="**x**", accepting="limited",
               beds=[{"bed_type": "adult_icu", "usable": 10, "occupied": 9},
                     {"bed_type": "hcu", "usable": 4, "occupied": 1}]), second),
        (capacity("F2", second, beds=beds(adult_icu=(1, 1))), second),
    ])  # fmt: skip
    cur = con.cursor()

    log = queries.facility_reports(cur, "F1").to_pylist()
    assert [r["occurred_at"] for r in log] == [second, first]  # aware, as they are everywhere
    assert log[0]["note"] == "**x**" and log[0]["accepting"] == "limited"
    assert log[0]["beds"] == [{"bed_type": "adult_icu", "usable": 10, "occupied": 9},
                              {"bed_type": "hcu", "usable": 4, "occupied": 1}]  # fmt: skip
    # Since 2 h: the adult ICU line in force then (from 1 h) and everything after.
    history = queries.facility_lines(cur, "F1", T0 + timedelta(hours=2)).to_pylist()
    assert [(r["bed_type"], r["occupied"]) for r in history] == [
        ("adult_icu", 2), ("adult_icu", 9), ("hcu", 1)
    ]  # fmt: skip
    assert queries.last_ingest(cur) == second


def test_current_notices_leave_out_withdrawn_and_expired_ones() -> None:
    now = T0 + timedelta(hours=5)
    keep, withdrawn, expired = (str(uuid.uuid4()) for _ in range(3))
    notices = [
        event("notice.posted", T0, notice_id=keep, severity="info", title="keep", body=""),
        event("notice.posted", T0, notice_id=withdrawn, severity="critical", title="gone", body=""),
        event("notice.withdrawn", T0 + timedelta(hours=1), notice_id=withdrawn),
        event("notice.posted", T0, notice_id=expired, severity="warning", title="old", body="",
              expires_at=(T0 + timedelta(hours=2)).isoformat()),
    ]  # fmt: skip
    con = replica([(n, n.occurred_at) for n in notices])

    assert queries.current_notices(con.cursor(), now).column("title").to_pylist() == ["keep"]
    assert queries.open_alerts(con.cursor()).num_rows == 0


def test_every_time_a_query_returns_is_aware_utc() -> None:
    jst = timezone(timedelta(hours=9))
    report = capacity("A", T0.astimezone(jst), beds=beds(hcu=(4, 1)))
    con = replica([(report, T0 + timedelta(seconds=3))])
    cur = con.cursor()
    tables = {
        "board": queries.board(cur),
        "state": queries.state(cur, T0 + STALE, T0 + STALE, STALE),
        "trend": queries.trend(cur, T0, T0 + timedelta(hours=1), timedelta(minutes=30)),
        "lines": queries.facility_lines(cur, "A", T0 - timedelta(hours=1)),
    }
    for name, table in tables.items():
        times = [f for f in table.schema if str(f.type).startswith("timestamp")]
        assert times, name
        assert all(f.type.tz in ("UTC", "Etc/UTC") for f in times), (name, times)
    (row,) = tables["board"].to_pylist()
    assert row["reported_at"] == T0 and row["reported_at"].utcoffset() == timedelta(0)
    assert row["last_ingest"] == T0 + timedelta(seconds=3)
    con.close()
