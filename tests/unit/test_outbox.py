"""The durable outbox, and the publisher's queue-then-drain logic around it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError

from bedboard.settings import Settings
from producers.demo_city import registry_for
from producers.outbox import Outbox, Record, waiting_in
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


def poll(check: Any, within: float = 10.0) -> bool:
    """Whether `check()` came true within the deadline, looked at every 20 ms."""
    deadline = time.monotonic() + within
    tick = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            return False
        tick.wait(0.02)
    return True


def test_a_draining_publisher_sends_what_waits_without_a_new_submission(rig: Any) -> None:
    publisher, log, state = rig
    event = Simulator(registry_for(8, START), seed=1).next_report(START)
    assert publisher.publish([event]).status == "queued"

    publisher.drain_in_background(every=0.02, backoff_max=0.1)
    state["up"] = True

    assert poll(lambda: publisher.queued == 0)
    publisher.close()
    assert [value for _, _, value in log] == [to_json(event)]


def test_the_background_drain_sends_what_another_process_queued(tmp_path: Path) -> None:
    settings = Settings(bootstrap_servers="127.0.0.1:1", topic_prefix="u.", data_dir=tmp_path)
    Outbox(settings.outbox_path).put(records(2))  # as `bedboard publish` leaves it
    log: list[Any] = []
    publisher = Publisher(settings, producer_factory=lambda s: StandIn(log, {"up": True}))

    publisher.drain_in_background(every=0.02)

    assert poll(lambda: len(log) == 2)
    publisher.close()
    assert [value for _, _, value in log] == [b"v0", b"v1"]


def test_the_background_drain_backs_off_while_the_broker_stays_away(tmp_path: Path) -> None:
    tries: list[float] = []

    class Counting(StandIn):
        def send(self, topic: str, value: bytes | None = None, key: bytes | None = None,
                 headers: Any = None) -> Any:  # fmt: skip
            tries.append(time.monotonic())
            return super().send(topic, value, key, headers)

    settings = Settings(bootstrap_servers="127.0.0.1:1", data_dir=tmp_path)
    Outbox(settings.outbox_path).put(records(1))
    publisher = Publisher(settings, producer_factory=lambda s: Counting([], {"up": False}))

    publisher.drain_in_background(every=0.02, backoff_max=0.32)
    assert poll(lambda: len(tries) >= 5)
    publisher.close()

    gaps = [b - a for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps[3] > 2 * gaps[0]  # 0.02, 0.04, 0.08, 0.16: each wait longer than the last


def test_a_receipt_says_which_events_went_live(rig: Any) -> None:
    publisher, _, state = rig
    sim = Simulator(registry_for(8, START), seed=1)

    down = publisher.publish([sim.next_report(START), sim.next_report(START)])
    state["up"] = True
    up = publisher.publish([sim.next_report(START)])

    assert down.live == (False, False)
    assert up.live == (True,)


def test_waiting_says_how_many_per_topic_and_since_when(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    assert waiting_in(path) == [] and not path.exists()  # looking creates nothing
    box = Outbox(path)
    box.put([*records(2), Record("t.notices", None, b"n")])

    found = waiting_in(path)

    assert [(w.topic, w.count) for w in found] == [("t.capacity", 2), ("t.notices", 1)]
    assert all(w.oldest.tzinfo is not None for w in found)


def test_each_principal_queues_in_its_own_outbox_so_no_drain_stops_at_what_it_may_not_send(
    tmp_path: Path,
) -> None:
    base = Settings(bootstrap_servers="127.0.0.1:1", topic_prefix="u.", data_dir=tmp_path)
    alerts, dashboard = base.as_principal("alerts"), base.as_principal("dashboard")
    # The alert processor's record, which the dashboard's principal could never write.
    Outbox(alerts.outbox_path).put([Record("u.alerts", b"F1", b"alert")])
    Outbox(dashboard.outbox_path).put(records(1))
    log: list[Any] = []
    publisher = Publisher(dashboard, producer_factory=lambda s: StandIn(log, {"up": True}))

    assert publisher.drain() == 1
    publisher.close()

    assert [topic for topic, _, _ in log] == ["t.capacity"]
    assert len({base.outbox_path, alerts.outbox_path, dashboard.outbox_path}) == 3
    assert base.outbox_paths() == [alerts.outbox_path, dashboard.outbox_path]
