"""A three-node cluster: three copies of every topic, and a node lost mid-surge loses nothing."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka.admin import ConfigResource, ConfigResourceType

from bedboard import broker as local_broker
from bedboard import cluster
from bedboard.admin import admin_client
from bedboard.settings import Settings
from consumers.replica import LiveReplica
from consumers.rules import Accepted, fold_capacity
from producers.demo_city import registry_for
from producers.publisher import Publisher
from producers.simulator import Simulator
from schemas.events import CapacityReported
from schemas.topics import TOPICS
from tests import replica_state
from tests.integration.conftest import JARS
from tests.kafka_log import topic_records

REPORTS = 20_000
CHUNK = 250  # reports a publish call sends and waits for, as a busy door would
KILL_AFTER = REPORTS // 4  # acknowledged before the kill; the rest are sent across it


def eventually(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{what} within {within} s"
        time.sleep(0.1)


def partitions(settings: Settings, short: str) -> list[dict[str, object]]:
    with admin_client(settings.kafka_options()) as client:
        (topic,) = client.describe_topics([settings.topic(short)])
    return list(topic["partitions"])


def surge(count: int) -> list[CapacityReported]:
    """A city's reports in a surge, each at its own millisecond, so that the newest report of a
    facility is decided by its time alone and the answer does not depend on the log's order."""
    start = datetime.now(UTC) - timedelta(hours=1)
    simulator = Simulator(registry_for(200, start), seed=14)
    return [simulator.next_report(start + timedelta(milliseconds=i)) for i in range(count)]


def test_topics_get_three_copies_two_in_sync_and_status_names_every_role(
    on_cluster: Settings, three_nodes: cluster.Layout
) -> None:
    resources = [ConfigResource(ConfigResourceType.TOPIC, on_cluster.topic(n)) for n in TOPICS]
    with admin_client(on_cluster.kafka_options()) as client:
        configs = client.describe_configs(resources)["topic"]
    assert {name: c["min.insync.replicas"]["value"] for name, c in configs.items()} == {
        on_cluster.topic(n): "2" for n in TOPICS
    }
    for name in TOPICS:
        assert {len(p["replica_nodes"]) for p in partitions(on_cluster, name)} == {3}, name
    roles = sorted(node["role"] for node in cluster.status(three_nodes))
    assert roles == ["follower", "follower", "leader"]
    assert all(isinstance(node["pid"], int) for node in cluster.status(three_nodes))


def test_kill_9_of_the_capacity_leader_mid_surge_loses_nothing_and_applies_nothing_twice(
    on_cluster: Settings, three_nodes: cluster.Layout, tmp_path: Path
) -> None:
    settings = on_cluster
    reports = surge(REPORTS)
    leader = int(partitions(settings, "capacity")[0]["leader_id"])  # type: ignore[call-overload]
    victim = local_broker.running_pid(three_nodes.node(leader).dir)
    assert victim is not None
    replica = LiveReplica(settings, tmp_path / "replica.duckdb").start()
    acknowledged = 0
    killed_at: list[int] = []
    seen_short: list[int] = []

    def kill_mid_surge() -> None:
        # The publisher goes straight on with the next call: the kill lands with records in flight.
        eventually(lambda: acknowledged >= KILL_AFTER, 300, "a quarter acknowledged")
        os.kill(victim, signal.SIGKILL)
        killed_at.append(acknowledged)
        # The page says that a node is away once the partitions have moved to the other two.
        eventually(lambda: replica.health.short_of_copies > 0, 120, "the replica sees it")
        seen_short.append(replica.health.short_of_copies)

    killer = threading.Thread(target=kill_mid_surge, daemon=True)
    killer.start()
    try:
        live = []
        # Long enough to ride out the failover (the dead broker is fenced after 9 s): the
        # idempotent producer retries, and nothing needs the outbox.
        with Publisher(settings, timeout=60) as publisher:
            for i in range(0, REPORTS, CHUNK):
                receipt = publisher.publish(reports[i : i + CHUNK], source="api")
                live += receipt.live
                acknowledged += receipt.sent
        killer.join(timeout=180)
        assert killed_at and killed_at[0] < REPORTS, "the kill landed after the surge"
        assert live == [True] * REPORTS, "some reports were not acknowledged"
        assert seen_short, "the replica never said that a node was away"

        # On the log exactly once each, and nothing else.
        found = Counter(r.value for r in topic_records(settings, "capacity", within=120))
        assert set(found.values()) == {1} and len(found) == REPORTS

        eventually(
            lambda: (
                replica.con.cursor().execute("SELECT read FROM ingest_counts").fetchall()
                == [(REPORTS,)]
            ),
            180,
            "the replica rolls everything up",
        )
        cursor = replica.con.cursor()
        want = fold_capacity(Accepted(r, r.occurred_at) for r in reports)
        counts = cursor.execute("SELECT read, applied, duplicates, rejected FROM ingest_counts")
        assert counts.fetchall() == [(REPORTS, want.applied, 0, 0)]
        assert want.applied == REPORTS
        assert replica_state.current(cursor) == replica_state.folded(want)

        # The node comes back: it catches up by itself and the page's warning clears.
        cluster.start(three_nodes, JARS, only=leader)
        eventually(
            lambda: all(len(p["isr_nodes"]) == 3 for p in partitions(settings, "capacity")),  # type: ignore[arg-type]
            120,
            "the restarted node back in sync",
        )
        eventually(lambda: replica.health.short_of_copies == 0, 60, "the warning clears")
        assert replica.health.connected
    finally:
        replica.stop()
