"""The alert processor on a real broker: raises once, clears once, and a restart repeats nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bedboard.settings import Settings
from consumers.alerts import AlertProcessor
from consumers.rollup import Rollup
from consumers.rules import ms_to_utc
from consumers.store import Store, connect
from producers.publisher import Publisher
from schemas.records import check
from tests.factories import beds, capacity
from tests.kafka_log import topic_records

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(microsecond=0)


def alert_log(settings: Settings) -> list[tuple[str, str]]:
    """(type, alert_id) of every event on the alerts topic, in order."""
    events = [check(r.value, ms_to_utc(r.timestamp)) for r in topic_records(settings, "alerts")]
    return [(e.type, e.alert_id) for e in events]  # type: ignore[union-attr]


def process(settings: Settings, publisher: Publisher, clock: datetime = NOW) -> int:
    processor = AlertProcessor(settings, publisher.publish, clock=lambda: clock)
    return processor.run(threading.Event(), until_caught_up=True)


def test_alerts_raise_once_clear_once_and_survive_a_restart(
    settings: Settings, tmp_path: Path
) -> None:
    hour_ago = NOW - timedelta(hours=1)
    with Publisher(settings) as publisher:
        publisher.publish(
            [
                capacity("HJ-0001", NOW, beds=beds(adult_icu=(20, 19), hcu=(10, 5))),  # 95 %: raise
                capacity("HJ-0002", NOW, beds=beds(hcu=(4, 1)), accepting="closed"),
                capacity("HJ-0003", NOW, beds=beds(burn=(4, 6))),  # over capacity (150 %)
                capacity("HJ-0004", NOW - timedelta(hours=7), beds=beds(hcu=(4, 1))),  # stale
                capacity("HJ-0005", NOW, beds=beds(hcu=(0, 0))),  # no rate: nothing to say
                capacity("HJ-0006", NOW, beds=beds(hcu=(8, 2))),
                capacity("HJ-0006", hour_ago, beds=beds(hcu=(8, 8))),  # late: history
            ]
        )
        assert process(settings, publisher) == 5
        raised = {
            "HJ-0001:occupancy_high:adult_icu",
            "HJ-0002:not_accepting",
            "HJ-0003:occupancy_high:burn",
            "HJ-0003:over_capacity:burn",
            "HJ-0004:stale_report",
        }
        assert {a for t, a in alert_log(settings) if t == "alert.raised"} == raised
        assert len(alert_log(settings)) == 5  # one event per alert, no more

        # A restart derives what is open from the alerts topic: nothing is raised again.
        assert process(settings, publisher) == 0

        # New reports resolve two problems and cause none: each clears exactly once.
        publisher.publish(
            [
                capacity("HJ-0001", NOW, beds=beds(adult_icu=(20, 10))),
                capacity("HJ-0002", NOW, beds=beds(hcu=(4, 1)), accepting="open"),
                capacity("HJ-0004", NOW, beds=beds(hcu=(4, 2))),
            ]
        )
        assert process(settings, publisher) == 3
        assert process(settings, publisher) == 0
    cleared = {a for t, a in alert_log(settings) if t == "alert.cleared"}
    assert cleared == {
        "HJ-0001:occupancy_high:adult_icu",
        "HJ-0002:not_accepting",
        "HJ-0004:stale_report",
    }

    # The roll-up applies the alerts: what is open in the replica is what is still wrong.
    con = connect(tmp_path / "replica.duckdb")
    Rollup(settings, Store(con)).run(threading.Event(), until_caught_up=True)
    open_now = con.execute(
        "SELECT alert_id FROM alerts WHERE cleared_at IS NULL ORDER BY 1"
    ).fetchall()
    con.close()
    assert open_now == [("HJ-0003:occupancy_high:burn",), ("HJ-0003:over_capacity:burn",)]


def test_a_facility_goes_stale_as_the_clock_moves(settings: Settings) -> None:
    # The clock stays within the contract's 10 minutes of the broker's time, or the alert itself
    # would be a future_timestamp.
    last = NOW - timedelta(hours=6) + timedelta(minutes=1)
    with Publisher(settings) as publisher:
        publisher.publish([capacity("HJ-0001", last, beds=beds(hcu=(4, 1)))])
        assert process(settings, publisher, clock=NOW) == 0
        assert process(settings, publisher, clock=NOW + timedelta(minutes=2)) == 1
        assert process(settings, publisher, clock=NOW + timedelta(minutes=3)) == 0
    assert alert_log(settings) == [("alert.raised", "HJ-0001:stale_report")]


def test_bedboard_alerts_runs_as_a_command(settings: Settings) -> None:
    with Publisher(settings) as publisher:
        publisher.publish([capacity("HJ-0001", NOW, beds=beds(adult_icu=(10, 9)))])
    env = os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        "BEDBOARD_LANG": "en",
    }
    command = [sys.executable, "-m", "bedboard", "alerts", "--until-caught-up"]
    done = subprocess.run(
        [*command, "--threshold", "0.9"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "published 1 alert change(s)" in done.stdout
    assert alert_log(settings) == [("alert.raised", "HJ-0001:occupancy_high:adult_icu")]
    refused = subprocess.run(
        [*command, "--threshold", "95"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "--threshold" in refused.stderr
