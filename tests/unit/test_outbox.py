"""The durable outbox, and the publisher's queue-then-drain logic around it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError

from bedboard.settings import Settings
from producers.demo_city import registry_for
from producers.outbox import Outbox, Record
from producers.publisher import Publisher
from producers.simulator import Simulator
from schemas.events import to_json

START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def records(count: int, start: int = 0) -> list[Record]:
    return [
        Record("t.capacity", f"k{n}".encode(), f"v{n}".encode())
        for n in range(start, start + count)
    ]


def values(found: list[Record]) -> list[bytes]:
    return [r.value for r in found]


def test_put_peek_remove_keep_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")

    assert box.put(records(5)) == 5
    assert len(box) == 5
    first = box.peek(3)
    assert values(first) == [b"v0", b"v1", b"v2"]
    box.remove([r.id for r in first[:2]])
    assert values(box.peek(10)) == [b"v2", b"v3", b"v4"]
    assert len(box) == 3


def test_keys_may_be_none_and_values_are_bytes(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")

    box.put([Record("t.dlq", None, b"\xff\x00")])

    (found,) = box.peek(1)
    assert found.key is None and found.value == b"\xff\x00" and found.topic == "t.dlq"


def test_records_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "outbox.sqlite"
    box = Outbox(path)
    box.put(records(3))
    box.close()

    again = Outbox(path)

    assert values(again.peek(10)) == [b"v0", b"v1", b"v2"]


# A fresh interpreter per writer: multiprocessing's spawn re-imports __main__, which other
# tests in the same session (Streamlit's AppTest) may have replaced.
PUT_FROM_PROCESS = """
import sys
from pathlib import Path
from producers.outbox import Outbox, Record
box, start = Outbox(Path(sys.argv[1])), int(sys.argv[2])
for n in range(start, start + 50):
    box.put([Record("t.capacity", f"k{n}".encode(), f"v{n}".encode())])
"""


def test_several_processes_share_one_outbox(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    Outbox(path).close()
    workers = [
        subprocess.Popen([sys.executable, "-c", PUT_FROM_PROCESS, str(path), str(n * 1000)])
        for n in range(4)
    ]
    exit_codes = [worker.wait(timeout=60) for worker in workers]

    found = Outbox(path).peek(1000)

    assert exit_codes == [0, 0, 0, 0]
    assert len(found) == 200
    assert len({r.id for r in found}) == 200
    for n in range(4):  # each process's records stay in its order
        mine = [int(r.value[1:]) for r in found if n * 1000 <= int(r.value[1:]) < n * 1000 + 1000]
        assert mine == sorted(mine)


class Acked:
    def get(self, timeout: float | None = None) -> Any:
        return "ok"


class Unacked:
    def get(self, timeout: float | None = None) -> Any:
        raise KafkaTimeoutError("no answer")


class StandIn:
    """A producer stand-in that acknowledges only while `up` is true (the logic, not Kafka)."""

    def __init__(self, log: list[tuple[str, bytes | None, bytes | None]], state: dict[str, bool]):
        self.log, self.state = log, state

    def send(self, topic: str, value: bytes | None = None, key: bytes | None = None,
             headers: Any = None) -> Any:  # fmt: skip
        if not self.state["up"]:
            return Unacked()
        self.log.append((topic, key, value))
        return Acked()

    def close(self, timeout: float | None = None) -> None:
        pass


@pytest.fixture
def rig(tmp_path: Path) -> tuple[Publisher, list[Any], dict[str, bool]]:
    log: list[Any] = []
    state = {"up": False}
    settings = Settings(bootstrap_servers="127.0.0.1:1", topic_prefix="u.", data_dir=tmp_path)
    publisher = Publisher(settings, producer_factory=lambda s: StandIn(log, state), retry_after=0)
    return publisher, log, state


def test_unacknowledged_events_queue_in_order_and_drain_in_order(rig: Any) -> None:
    publisher, log, state = rig
    events = [Simulator(registry_for(8, START), seed=1).next_report(START) for _ in range(3)]
    more = Simulator(registry_for(8, START), seed=2).next_report(START)

    first = publisher.publish(events)
    second = publisher.publish([more])

    assert (first.sent, first.queued, first.status) == (0, 3, "queued")
    assert (second.sent, second.queued) == (0, 1)
    assert publisher.queued == 4
    state["up"] = True
    assert publisher.drain() == 4
    assert publisher.queued == 0
    assert [value for _, _, value in log] == [to_json(e) for e in [*events, more]]
    assert {topic for topic, _, _ in log} == {"u.capacity"}
    assert [key for _, key, _ in log] == [e.facility_id.encode() for e in [*events, more]]


def test_publish_drains_the_outbox_first(rig: Any) -> None:
    publisher, log, state = rig
    sim = Simulator(registry_for(8, START), seed=1)
    old = sim.next_report(START)
    publisher.publish([old])
    state["up"] = True
    new = sim.next_report(START)

    receipt = publisher.publish([new])

    assert (receipt.sent, receipt.queued, receipt.drained, receipt.status) == (1, 0, 1, "live")
    assert [value for _, _, value in log] == [to_json(old), to_json(new)]


def test_after_a_failure_submissions_queue_without_waiting(tmp_path: Path) -> None:
    calls: list[int] = []
    state = {"up": False}

    def factory(settings: Settings) -> StandIn:
        calls.append(1)
        return StandIn([], state)

    settings = Settings(bootstrap_servers="127.0.0.1:1", data_dir=tmp_path)
    publisher = Publisher(settings, producer_factory=factory, retry_after=60)
    sim = Simulator(registry_for(2, START), seed=1)

    publisher.publish([sim.next_report(START)])
    receipt = publisher.publish([sim.next_report(START)])

    assert receipt.status == "queued" and publisher.queued == 2
    assert len(calls) == 1  # the second submission did not try the broker again
