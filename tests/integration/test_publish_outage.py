"""Nothing is lost while the broker is down: queued in order, sent exactly once when it is back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bedboard import broker as local_broker
from bedboard import cluster
from bedboard.admin import end_offsets
from bedboard.settings import Settings
from producers.demo_city import registry_for
from producers.publisher import Publisher
from producers.simulator import Simulator
from schemas.events import CapacityReported, to_json
from tests.integration.conftest import JARS
from tests.kafka_log import topic_records


def written(settings: Settings) -> int:
    return sum(end_offsets(settings, [settings.topic("capacity")]).values())


def reports(count: int, seed: int) -> list[CapacityReported]:
    now = datetime.now(UTC)
    simulator = Simulator(registry_for(8, now), seed=seed)
    return [simulator.next_report(now) for _ in range(count)]


def test_unreachable_broker_queues_quickly_then_drains_exactly_once_in_order(
    settings: Settings,
) -> None:
    nobody = local_broker.free_port_pair()  # nothing listens there
    down = settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{nobody}"})
    first, second = reports(3, seed=1), reports(2, seed=2)

    began = time.monotonic()
    with Publisher(down, timeout=2) as publisher:
        built = time.monotonic() - began
        receipts = [publisher.publish(first), publisher.publish(second)]
        queued = publisher.queued
    took = time.monotonic() - began

    assert built < 1  # no probe of the broker in the constructor
    assert took < 6
    assert [(r.sent, r.queued, r.status) for r in receipts] == [(0, 3, "queued"), (0, 2, "queued")]
    assert queued == 5
    with Publisher(settings) as publisher:
        assert publisher.drain() == 5
        assert publisher.queued == 0
    found = topic_records(settings, "capacity", 5)
    assert [r.value for r in found] == [to_json(e) for e in [*first, *second]]
    assert [r.key for r in found] == [e.facility_id.encode() for e in [*first, *second]]
    assert written(settings) == 5


@dataclass(frozen=True)
class Kafka:
    """Settings on a Kafka that a test may take down whole and bring back."""

    settings: Settings
    stop: Callable[[], object]
    start: Callable[[], object]


@pytest.fixture(params=["one broker", "three nodes"])
def restartable(request: pytest.FixtureRequest) -> Kafka:
    if request.param == "one broker":
        settings, data_dir, port = request.getfixturevalue("own_broker")
        return Kafka(
            settings,
            lambda: local_broker.stop(data_dir),
            lambda: local_broker.start(port=port, data_dir=data_dir, jars_dir=JARS),
        )
    nodes = request.getfixturevalue("three_nodes")
    return Kafka(
        request.getfixturevalue("on_cluster"),
        lambda: cluster.stop(nodes),
        lambda: cluster.start(nodes, JARS),
    )


def test_a_publisher_rides_out_a_whole_outage(restartable: Kafka) -> None:
    settings = restartable.settings
    before, during, after = reports(2, seed=1), reports(3, seed=2), reports(1, seed=3)

    with Publisher(settings, timeout=3, retry_after=0) as publisher:
        assert publisher.publish(before).status == "live"
        restartable.stop()
        outage = publisher.publish(during)
        assert (outage.sent, outage.queued, outage.status) == (0, 3, "queued")
        assert publisher.queued == 3
        restartable.start()
        back = publisher.publish(after)
        assert (back.sent, back.queued, back.drained, back.status) == (1, 0, 3, "live")

    found = topic_records(settings, "capacity", 6)
    assert [r.value for r in found] == [to_json(e) for e in [*before, *during, *after]]
    assert written(settings) == 6
