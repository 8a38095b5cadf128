"""A replica that may lag a little gathers what arrives close together into one commit."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from bedboard.settings import Settings
from consumers.replica import LiveReplica
from producers.demo_city import registry_for
from producers.publisher import Publisher
from producers.simulator import Simulator


def applied_after(settings: Settings, settle_s: float, gap: float) -> tuple[int, int]:
    """Five reports sent `gap` s apart to a live replica: (reports it holds, commits it made)."""
    now = datetime.now(UTC)
    simulator = Simulator(registry_for(4, now), seed=7)
    replica = LiveReplica(
        settings, settings.data_dir / f"settle-{settle_s}.duckdb", settle_s=settle_s
    )
    replica.start()
    tick = threading.Event()
    try:
        deadline = time.monotonic() + 30
        while not replica.health.connected:  # assigned and caught up with the empty topics
            assert time.monotonic() < deadline
            tick.wait(0.05)
        before = replica.health.applied_batches
        with Publisher(settings) as publisher:
            for _ in range(5):
                publisher.publish([simulator.next_report(now)])
                tick.wait(gap)
        while True:
            with replica.cursor() as cur:
                ((held,),) = cur.execute("SELECT count(*) FROM capacity_reports").fetchall()
            if held == 5 or time.monotonic() > deadline:
                break
            tick.wait(0.05)
        return held, replica.health.applied_batches - before
    finally:
        replica.stop()


def test_a_settling_replica_commits_reports_close_together_at_once(settings: Settings) -> None:
    settled = applied_after(settings, settle_s=2.0, gap=0.03)

    assert settled == (5, 1)


def test_without_settling_each_report_is_committed_as_it_comes(settings: Settings) -> None:
    held, batches = applied_after(settings, settle_s=0.0, gap=0.3)

    assert held == 5 and batches > 1
