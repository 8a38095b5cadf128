"""The replica's SQL against the pure rules: same state for any order, duplicates and batching."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.queries import state
from consumers.rules import Accepted, fold_capacity, is_stale
from consumers.store import Batch, ReplicaLocked, Store, connect
from schemas.events import parse_event
from tests import factories
from tests.factories import (
    HEALTH_CENTRE,
    placement_closed,
    placement_requested,
    placement_responded,
)

BASE = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
ZONES = ("+09:00", "Z", "-05:00")
FACILITIES = ("HJ-0001", "HJ-0002")
BED_TYPES = ("adult_icu", "hcu", "burn")
FAR = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[Store]:
    con = connect(":memory:")
    yield Store(con)
    con.close()


def event(event_type: str, **fields: Any) -> Any:
    """An event from the health centre at nine, unless the fields say otherwise."""
    fields.setdefault("actor", HEALTH_CENTRE)
    return factories.event(event_type, "2026-11-26T09:00:00+09:00", **fields)


def write(store: Store, topic: str, *events: Any, start: int = 0) -> dict[str, int]:
    records = [
        Accepted(e, BASE + timedelta(seconds=start + i), 0, start + i) for i, e in enumerate(events)
    ]
    batch = Batch(
        accepted={topic: records},
        read={topic: len(records)},
        next_offsets={(f"t.{topic}", 0): start + len(records)},
    )
    return store.write(batch)


def rows(store: Store, sql: str) -> list[tuple]:
    return store.con.execute(sql).fetchall()


# --- the property: SQL roll-up == reference fold ------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Accepted], list[int]]:
    """Capacity records in log order with ties, late reports, repeats and two partitions."""
    count = draw(st.integers(1, 40))
    records: list[Accepted] = []
    offsets = [0, 0]
    ingest_ms = 0
    for _ in range(count):
        ingest_ms += draw(st.integers(0, 3))  # equal ingest times happen (millisecond clock)
        partition = draw(st.integers(0, 1))
        ingested = BASE + timedelta(milliseconds=ingest_ms)
        if records and draw(st.integers(0, 4)) == 0:  # a repeat, perhaps with other content
            earlier = draw(st.sampled_from(records)).event
            body = draw(reports(str(earlier.event_id)))
        else:
            body = draw(reports(str(uuid.uuid4())))
        records.append(Accepted(parse_event(body), ingested, partition, offsets[partition]))
        offsets[partition] += 1
    cuts = sorted(draw(st.lists(st.integers(1, count), max_size=4, unique=True)))
    return records, cuts


@st.composite
def reports(draw: st.DrawFn, event_id: str) -> dict:
    minute = draw(st.integers(0, 5))  # few distinct times: many ties on occurred_at
    zone = draw(st.sampled_from(ZONES))
    local = BASE + timedelta(minutes=minute)
    if zone == "+09:00":
        local += timedelta(hours=9)
    elif zone == "-05:00":
        local -= timedelta(hours=5)
    lines = draw(st.lists(st.sampled_from(BED_TYPES), min_size=1, max_size=3, unique=True))
    version = draw(st.sampled_from((1, 2)))  # v1 and v2 reports mixed, as in a city upgrading
    body = {
        "type": "capacity.reported",
        "version": version,
        "event_id": event_id,
        "occurred_at": local.strftime("%Y-%m-%dT%H:%M:%S") + zone,
        "actor": {"org": "hospital", "user": "u"},
        "facility_id": draw(st.sampled_from(FACILITIES)),
        "beds": [
            {"bed_type": b, "usable": draw(st.integers(0, 9)), "occupied": draw(st.integers(0, 12))}
            for b in lines
        ],
    }
    for line in body["beds"] if version == 2 else ():
        if draw(st.booleans()):
            line["secured"] = draw(st.integers(0, 12))
        if draw(st.booleans()):
            line["oxygen"] = draw(st.integers(0, line["usable"]))
    for name, values in (("accepting", ("open", "limited", "closed")), ("ed_status", ("normal",))):
        if draw(st.booleans()):
            body[name] = draw(st.sampled_from(values))
    return body


def apply_in_batches(store: Store, records: list[Accepted], cuts: list[int]) -> None:
    bounds = [0, *cuts, len(records)]
    for lo, hi in itertools.pairwise(bounds):
        if lo == hi:
            continue
        part = records[lo:hi]
        store.write(
            Batch(
                accepted={"capacity": part},
                read={"capacity": len(part)},
                next_offsets={("t.capacity", r.partition): r.offset + 1 for r in part},
            )
        )


PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(history=histories())
def test_the_current_tables_equal_the_reference_fold(history: tuple) -> None:
    records, cuts = history
    con = connect(":memory:")
    store = Store(con)
    apply_in_batches(store, records, cuts)
    reference = fold_capacity(records)

    beds = {
        (f, b): tuple(line)
        for f, b, *line in rows(
            store,
            "SELECT facility_id, bed_type, usable, occupied, event_id, secured, oxygen "
            "FROM current_beds",
        )
    }
    assert beds == {
        k: (v.usable, v.occupied, v.event_id, v.secured, v.oxygen)
        for k, v in reference.lines.items()
    }
    status = dict(
        ((f, n), v)
        for f, n, v in rows(store, "SELECT facility_id, field, value FROM current_status")
    )
    assert status == reference.status
    assert rows(store, "SELECT read, applied, duplicates, rejected FROM ingest_counts") == [
        (len(records), reference.applied, reference.duplicates, 0)
    ]
    con.close()


@PROPERTY
@given(history=histories(), data=st.data())
def test_as_of_state_equals_the_fold_over_what_was_true_and_known(history: tuple, data) -> None:
    records, cuts = history
    con = connect(":memory:")
    store = Store(con)
    apply_in_batches(store, records, cuts)
    as_of = data.draw(st.sampled_from([r.event.occurred_at for r in records] + [FAR]))
    known_at = data.draw(st.sampled_from([r.ingested_at for r in records] + [FAR]))
    reference = fold_capacity(records, as_of=as_of, known_at=known_at)
    # Where lines are looked for first (the current row, then spans of history before T) must
    # not change the answer: spans of minutes split these histories' five minutes every way.
    spans = data.draw(st.lists(st.integers(0, 6), max_size=3, unique=True).map(sorted))
    lookback = tuple(timedelta(minutes=m) for m in spans)
    stale_after = timedelta(minutes=data.draw(st.integers(0, 6)))

    table = state(con.cursor(), as_of, known_at, stale_after, lookback=lookback).to_pylist()
    got = {
        (r["facility_id"], r["bed_type"]): (
            r["usable"],
            r["occupied"],
            r["accepting"],
            r["secured"],
            r["oxygen"],
            r["reported_at"],
            r["stale"],
        )
        for r in table
    }
    want = {
        (f, b): (
            line.usable,
            line.occupied,
            reference.status.get((f, "accepting")),
            line.secured,
            line.oxygen,
            line.occurred_at,
            is_stale(reference.last_report(f), as_of, stale_after),
        )
        for (f, b), line in reference.lines.items()
    }
    assert got == want
    for r in table:
        assert r["ed_status"] == reference.status.get((r["facility_id"], "ed_status"))
    con.close()


# --- counts, offsets and atomicity --------------------------------------------------------------


def test_counts_reconcile_with_duplicates_and_rejections(store: Store) -> None:
    first = event(
        "capacity.reported",
        facility_id="HJ-0001",
        beds=[{"bed_type": "hcu", "usable": 4, "occupied": 1}],
    )
    records = [Accepted(first, BASE, 0, 0), Accepted(first, BASE, 0, 1)]
    bad = {
        "topic": "capacity",
        "partition": 0,
        "offset": 2,
        "reason": "invalid_json",
        "detail": "not UTF-8 JSON",
        "detail_ja": "JSON として読めません",
        "raw": b"\xff",
        "ingested_at": BASE,
    }
    batch = Batch({"capacity": records}, [bad], {"capacity": 3}, {("t.capacity", 0): 3})
    assert store.write(batch) == {"capacity": 1}
    assert rows(store, "SELECT * FROM ingest_counts") == [("capacity", 3, 1, 1, 1)]
    assert rows(store, 'SELECT topic, "offset", reason, raw FROM rejected') == [
        ("capacity", 2, "invalid_json", b"\xff")
    ]
    assert store.offsets() == {("t.capacity", 0): 3}
    # The same event in a later batch is a duplicate too.
    write(store, "capacity", first, start=3)
    assert rows(store, "SELECT read, applied, duplicates FROM ingest_counts") == [(4, 1, 2)]


def test_a_failed_write_leaves_no_rows_and_no_offsets(store: Store, monkeypatch) -> None:
    report = event(
        "capacity.reported",
        facility_id="HJ-0001",
        beds=[{"bed_type": "hcu", "usable": 4, "occupied": 1}],
    )

    def broken(offsets: dict) -> None:
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(store, "_store_offsets", broken)
    with pytest.raises(duckdb.IOException):
        write(store, "capacity", report)
    for table in ("capacity_reports", "capacity_lines", "current_beds", "seen_events"):
        assert rows(store, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert store.offsets() == {}
    monkeypatch.undo()
    write(store, "capacity", report)  # the retry applies it once
    assert rows(store, "SELECT count(*) FROM capacity_reports") == [(1,)]


def test_a_report_round_trips_with_every_field(store: Store) -> None:
    report = event(
        "capacity.reported",
        facility_id="HJ-0007",
        occurred_at="2026-11-26T08:55:00.250000+09:00",
        accepting="limited",
        ed_status="normal",
        note="'; DROP TABLE x; -- 救急は <b>制限</b>",
        beds=[
            {"bed_type": "medical_surgical", "usable": 220, "occupied": 207},
            {"bed_type": "adult_icu", "usable": 12, "occupied": 14},
        ],
    )
    write(store, "capacity", report)
    assert rows(store, "SELECT * EXCLUDE (event_id) FROM capacity_reports") == [
        (
            "HJ-0007",
            datetime(2026, 11, 25, 23, 55, 0, 250000, tzinfo=UTC),
            BASE,
            0,
            0,
            "limited",
            "normal",
            "'; DROP TABLE x; -- 救急は <b>制限</b>",
            "health_centre",
            "coord.sato",
            2,
        )
    ]
    assert rows(store, "SELECT bed_type, usable, occupied FROM capacity_lines ORDER BY 1") == [
        ("adult_icu", 12, 14),
        ("medical_surgical", 220, 207),
    ]


# --- placements, notices, alerts, facilities: their current state --------------------------------


def placement_events() -> list[Any]:
    pid = str(uuid.uuid4())
    return [
        placement_requested(pid, at="2026-11-26T09:00:00+09:00"),
        placement_responded(pid, at="2026-11-26T09:05:00+09:00"),
        placement_closed(pid, at="2026-11-26T09:30:00+09:00"),
    ]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_a_placement_ends_in_the_same_state_whatever_the_arrival_order(order: tuple) -> None:
    events = placement_events()
    con = connect(":memory:")
    store = Store(con)
    for i, index in enumerate(order):
        write(store, "placements", events[index], start=i)
    assert rows(
        store,
        "SELECT facility_id, bed_type, age_band, severity, needs, status, requested_by, "
        "requested_at, responded_at, closed_at FROM placements",
    ) == [
        (
            "HJ-0003",
            "adult_icu",
            "70-79",
            "severe",
            '["oxygen"]',
            "admitted",
            "coord.sato",
            datetime(2026, 11, 26, 0, 0, tzinfo=UTC),
            datetime(2026, 11, 26, 0, 5, tzinfo=UTC),
            datetime(2026, 11, 26, 0, 30, tzinfo=UTC),
        )
    ]
    assert rows(store, "SELECT count(*) FROM placement_events") == [(3,)]
    con.close()


def test_a_decline_then_an_acceptance_keeps_the_newest_answer(store: Store) -> None:
    requested = placement_events()[0]
    pid = str(requested.placement_id)
    declined = event(
        "placement.responded",
        occurred_at="2026-11-26T09:10:00+09:00",
        placement_id=pid,
        facility_id="HJ-0003",
        decision="declined",
        reason="満床",
    )
    accepted = event(
        "placement.responded",
        occurred_at="2026-11-26T09:05:00+09:00",
        placement_id=pid,
        facility_id="HJ-0003",
        decision="accepted",
    )
    write(store, "placements", requested, declined, accepted)
    assert rows(store, "SELECT status, reason FROM placements") == [("declined", "満床")]


def test_a_withdrawn_notice_stays_withdrawn_whatever_the_order(store: Store) -> None:
    nid = str(uuid.uuid4())
    withdrawn = event("notice.withdrawn", notice_id=nid)
    posted = event(
        "notice.posted",
        occurred_at="2026-11-26T08:00:00+09:00",
        notice_id=nid,
        severity="warning",
        title="病床逼迫",
        body="ICU が満床に近づいています",
    )
    write(store, "notices", withdrawn, posted)
    assert rows(
        store, "SELECT title, severity, posted_by, withdrawn_at IS NOT NULL FROM notices"
    ) == [("病床逼迫", "warning", "health_centre:coord.sato", True)]


def alert(kind: str, at: str, **detail: Any) -> Any:
    return event(
        kind,
        occurred_at=at,
        actor={"org": "system", "user": "bedboard-alerts"},
        alert_id="HJ-0001:occupancy_high:adult_icu",
        facility_id="HJ-0001",
        kind="occupancy_high",
        detail=detail,
    )


def test_alerts_follow_their_newest_transition(store: Store) -> None:
    raised = alert("alert.raised", "2026-11-26T09:00:00+09:00", occupancy_rate=0.97)
    cleared = alert("alert.cleared", "2026-11-26T10:00:00+09:00", occupancy_rate=0.8)
    stale_raise = alert("alert.raised", "2026-11-26T09:30:00+09:00", occupancy_rate=0.96)
    write(store, "alerts", raised)
    assert rows(store, "SELECT kind, raised_at, cleared_at FROM alerts") == [
        ("occupancy_high", datetime(2026, 11, 26, 0, 0, tzinfo=UTC), None)
    ]
    write(store, "alerts", cleared, stale_raise, start=1)
    assert rows(store, "SELECT raised_at, cleared_at, detail FROM alerts") == [
        (
            datetime(2026, 11, 26, 0, 0, tzinfo=UTC),
            datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
            '{"occupancy_rate": 0.8}',
        )
    ]
    again = alert("alert.raised", "2026-11-26T11:00:00+09:00", occupancy_rate=0.99)
    write(store, "alerts", again, start=3)
    assert rows(store, "SELECT raised_at, cleared_at FROM alerts") == [
        (datetime(2026, 11, 26, 2, 0, tzinfo=UTC), None)
    ]


def test_a_clear_before_its_raise_leaves_the_alert_closed(store: Store) -> None:
    cleared = alert("alert.cleared", "2026-11-26T10:00:00+09:00")
    raised = alert("alert.raised", "2026-11-26T09:00:00+09:00")
    write(store, "alerts", cleared, raised)
    assert rows(store, "SELECT count(*) FROM alerts WHERE cleared_at IS NULL") == [(0,)]


def test_the_newest_registration_of_a_facility_replaces_the_earlier(store: Store) -> None:
    def registered(name: str) -> Any:
        return event(
            "facility.registered",
            facility_id="HJ-0001",
            name={"ja": name},
            kind="hospital",
            district="八王子市",
            location={"lat": 35.66, "lon": 139.32},
        )

    write(store, "facilities", registered("旧名病院"), registered("八王子中央病院"))
    assert rows(store, "SELECT name_ja, lat FROM facilities") == [("八王子中央病院", 35.66)]


# --- the replica file ---------------------------------------------------------------------------


def test_a_replica_held_by_another_process_names_that_process(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(ReplicaLocked) as caught:
            connect(path)
        assert f"process {holder.pid}" in str(caught.value)
        assert "--db" in str(caught.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_a_new_replica_appears_only_whole(tmp_path: Path) -> None:
    """A creation killed half-way leaves its part-written file under a name of its own; the next
    one starts afresh and links a whole file into place."""
    path = tmp_path / "replica.duckdb"
    killed = tmp_path / f".replica.duckdb.{os.getpid()}.creating"
    killed.write_bytes(b"DUCK" + bytes(100))  # what DuckDB had written when the kill came
    con = connect(path)
    try:
        assert con.execute("SELECT count(*) FROM offsets").fetchall() == [(0,)]
    finally:
        con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replica.duckdb"]


def test_a_replica_with_event_ids_as_text_is_migrated_and_keeps_them(tmp_path: Path) -> None:
    report = event(
        "capacity.reported",
        facility_id="HJ-0001",
        beds=[{"bed_type": "hcu", "usable": 4, "occupied": 1}],
    )
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))  # seen_events as the first version of the replica made it
    old.execute("CREATE TABLE seen_events (event_id VARCHAR PRIMARY KEY, topic VARCHAR)")
    old.execute("INSERT INTO seen_events VALUES (?, 'capacity')", [str(report.event_id)])
    old.close()

    con = connect(path)
    store = Store(con)
    assert rows(store, "SELECT typeof(event_id), topic FROM seen_events") == [("UUID", "capacity")]
    assert write(store, "capacity", report) == {"capacity": 1}  # seen before the migration
    con.close()


def test_a_replica_with_naive_times_is_migrated_to_aware_utc(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))  # times as naive UTC, as versions before this one kept them
    old.execute(
        "CREATE TABLE current_beds (facility_id VARCHAR, bed_type VARCHAR, usable INTEGER, "
        "occupied INTEGER, occurred_at TIMESTAMP, ingested_at TIMESTAMP, src_partition INTEGER, "
        "src_offset BIGINT, event_id VARCHAR, PRIMARY KEY (facility_id, bed_type))"
    )
    old.execute(
        "INSERT INTO current_beds VALUES "
        "('HJ-0001', 'hcu', 4, 1, '2026-11-26 00:00', '2026-11-26 00:01', 0, 0, 'e')"
    )
    old.close()

    con = connect(path)
    assert con.execute("SELECT occurred_at, ingested_at FROM current_beds").fetchall() == [
        (datetime(2026, 11, 26, 0, 0, tzinfo=UTC), datetime(2026, 11, 26, 0, 1, tzinfo=UTC))
    ]
    naive = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE data_type = 'TIMESTAMP'"
    ).fetchall()
    assert naive == [(0,)]
    con.close()


def test_counters_and_offsets_are_rewritten_when_their_rows_were_removed(store: Store) -> None:
    report = event(
        "capacity.reported",
        facility_id="HJ-0001",
        beds=[{"bed_type": "hcu", "usable": 4, "occupied": 1}],
    )
    write(store, "capacity", report)
    store.con.execute("DELETE FROM ingest_counts; DELETE FROM offsets")  # behind the store's back

    write(store, "capacity", report, start=1)
    assert rows(store, "SELECT read, applied, duplicates FROM ingest_counts") == [(1, 0, 1)]
    assert store.offsets() == {("t.capacity", 0): 2}


def test_only_the_facility_asked_can_answer_a_placement() -> None:
    requested, accepted, _ = placement_events()
    forged = accepted.model_copy(
        update={"event_id": uuid.uuid4(), "facility_id": "HJ-0009", "decision": "declined",
                "reason": "not ours", "occurred_at": accepted.occurred_at + timedelta(minutes=1)}
    )  # fmt: skip
    store = Store(connect(":memory:"))
    for i, e in enumerate((requested, accepted, forged)):
        write(store, "placements", e, start=i)
    assert rows(store, "SELECT facility_id, status FROM placements") == [("HJ-0003", "accepted")]
    assert rows(store, "SELECT count(*) FROM placement_events") == [(3,)]
