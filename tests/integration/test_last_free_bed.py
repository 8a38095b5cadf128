"""Bed holds and lapses on a real broker: the last free bed is held once, a lapse is logged once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bedboard.settings import Settings
from consumers import queries, waiting
from consumers.lapses import LapseProcessor
from consumers.rollup import Rollup
from consumers.rules import ms_to_utc
from consumers.store import Store, connect
from producers.publisher import Publisher
from schemas.records import check
from tests.factories import HEALTH_CENTRE, beds, capacity, event, placement_requested

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(microsecond=0)
HOSPITAL = {"org": "hospital", "user": "ward.ito"}
HALF_HOUR = timedelta(minutes=31)
SECOND_COORDINATOR = {"org": "health_centre", "user": "coord.kato"}


def accepted(placement_id: str, at: datetime, facility: str = "HJ-0001") -> object:
    return event(
        "placement.responded", at, actor=HOSPITAL, placement_id=placement_id,
        facility_id=facility, decision="accepted",
    )  # fmt: skip


def replica(settings: Settings, path: Path) -> Store:
    store = Store(connect(path))
    Rollup(settings, store).run(threading.Event(), until_caught_up=True)
    return store


def holds_and_line(store: Store) -> tuple[dict[str, bool], tuple[int, int, int]]:
    cur = store.con.cursor()
    held = {r["placement_id"]: r["held"] for r in waiting.holds(cur).to_pylist()}
    (line,) = [r for r in queries.board(cur).to_pylist() if r["bed_type"] == "hcu"]
    return held, (line["available"], line["held"], line["arriving"])


def test_two_coordinators_accepting_against_the_last_free_bed_cannot_both_hold_it(
    settings: Settings, tmp_path: Path
) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    earlier = NOW - timedelta(minutes=5)
    with Publisher(settings) as sato, Publisher(settings) as kato:
        sato.publish([capacity("HJ-0001", earlier, beds=beds(hcu=(4, 3)))])  # one free bed
        # Two coordinators ask the same hospital for its last HCU bed, from two processes.
        sato.publish([placement_requested(first, "HJ-0001", bed_type="hcu", at=earlier)])
        kato.publish([
            placement_requested(second, "HJ-0001", bed_type="hcu", at=earlier,
                                actor=SECOND_COORDINATOR)
        ])  # fmt: skip
        # Two ward staff accept both; the second acceptance in the log is the later one.
        sato.publish([accepted(second, NOW - timedelta(minutes=2))])
        kato.publish([accepted(first, NOW - timedelta(minutes=1))])
    store = replica(settings, tmp_path / "a.duckdb")
    held, line = holds_and_line(store)
    assert held == {second: True, first: False}
    assert line == (0, 1, 0)  # no free bed left, one held

    # Admitted: the hold is released and the admission keeps the bed until the next report...
    with Publisher(settings) as sato:
        sato.publish([event("placement.closed", NOW, actor=HEALTH_CENTRE, placement_id=second,
                             outcome="admitted")])  # fmt: skip
    Rollup(settings, store).run(threading.Event(), until_caught_up=True)
    held, line = holds_and_line(store)
    assert held == {first: False} and line == (0, 0, 1)
    # ...which counts the patient as occupied; the free bed that it then shows goes to the
    # acceptance still waiting.
    with Publisher(settings) as ward:
        ward.publish([capacity("HJ-0001", NOW + timedelta(seconds=1), beds=beds(hcu=(5, 4)))])
    Rollup(settings, store).run(threading.Event(), until_caught_up=True)
    assert holds_and_line(store) == ({first: True}, (0, 1, 0))
    store.con.close()

    # A fresh replica of the same log decides the same.
    again = replica(settings, tmp_path / "b.duckdb")
    assert holds_and_line(again) == ({first: True}, (0, 1, 0))
    again.con.close()


def lapse_log(settings: Settings) -> list[tuple[str, str]]:
    from tests.kafka_log import topic_records

    found = []
    for record in topic_records(settings, "placements"):
        e = check(record.value, ms_to_utc(record.timestamp))
        if getattr(e, "type", None) == "placement.lapsed":
            found.append((str(e.placement_id), e.lapse))  # type: ignore[union-attr]
    return found


def test_the_lapse_processor_puts_each_lapse_on_the_log_once(
    settings: Settings, tmp_path: Path
) -> None:
    unanswered, held, fresh = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    long_ago = NOW - timedelta(hours=4)
    with Publisher(settings) as publisher:
        publisher.publish([
            capacity("HJ-0001", long_ago, beds=beds(hcu=(4, 1))),
            placement_requested(unanswered, "HJ-0001", bed_type="hcu", at=NOW - HALF_HOUR),
            placement_requested(held, "HJ-0001", bed_type="hcu", at=long_ago),
            accepted(held, long_ago + timedelta(minutes=5)),
            placement_requested(fresh, "HJ-0001", bed_type="hcu", at=NOW - timedelta(minutes=5)),
        ])  # fmt: skip

        def process() -> int:
            processor = LapseProcessor(settings, publisher.publish, clock=lambda: NOW)
            return processor.run(threading.Event(), until_caught_up=True)

        assert process() == 2
        assert process() == 0  # a restart reads its own lapses back: nothing twice
    assert sorted(lapse_log(settings)) == sorted([(unanswered, "answer"), (held, "hold")])

    store = replica(settings, tmp_path / "replica.duckdb")
    rows = dict(
        store.con.execute(
            "SELECT placement_id, status || ':' || (overdue_at IS NOT NULL) FROM placements"
        ).fetchall()
    )
    assert rows == {unanswered: "requested:true", held: "expired:false", fresh: "requested:false"}
    assert holds_and_line(store) == ({}, (3, 0, 0))  # the lapsed hold gave its bed back
    store.con.close()


def test_bedboard_lapses_runs_as_a_command(settings: Settings) -> None:
    pid = str(uuid.uuid4())
    with Publisher(settings) as publisher:
        publisher.publish([placement_requested(pid, "HJ-0001", at=NOW - timedelta(minutes=5))])
    env = os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        "BEDBOARD_LANG": "en",
        "BEDBOARD_ANSWER_WITHIN": "PT1M",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bedboard", "lapses", "--until-caught-up"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "unanswered after 1 min is flagged" in done.stdout
    assert "published 1 lapse(s)" in done.stdout
    assert lapse_log(settings) == [(pid, "answer")]
