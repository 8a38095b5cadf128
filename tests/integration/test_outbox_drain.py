"""Queued records go out by themselves: the API rides out a broker outage, a draining publisher
sends what `bedboard publish` queued, and `bedboard outbox` / `bedboard status` say what waits."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bedboard import broker as local_broker
from bedboard.cli import main
from bedboard.settings import Settings
from producers.outbox import waiting_in
from producers.publisher import Publisher
from producers.tokens import TokenStore
from tests.api_server import serving
from tests.integration.conftest import JARS
from tests.kafka_log import topic_records


def poll(check: Callable[[], Any], within: float = 60) -> None:
    deadline = time.monotonic() + within
    tick = threading.Event()
    while not check():
        assert time.monotonic() < deadline, "not within the deadline"
        tick.wait(0.2)


def waiting(settings: Settings) -> int:
    """What waits in this machine's outboxes, whichever principal queued it."""
    return sum(w.count for path in settings.outbox_paths() for w in waiting_in(path))


def report_line(facility_id: str = "HJ-0001") -> dict[str, Any]:
    return {
        "type": "capacity.reported",
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "actor": {"org": "city_hall", "user": "cli.test"},
        "facility_id": facility_id,
        "beds": [{"bed_type": "adult_icu", "usable": 5, "occupied": 4}],
    }


def test_with_the_broker_stopped_the_api_queues_and_the_event_arrives_once_after_restart(
    own_broker: tuple[Settings, Path, int],
) -> None:
    settings, data_dir, port = own_broker
    _, token = TokenStore(settings.tokens_path).add(("HJ-0001",))
    headers = {"Authorization": f"Bearer {token}"}
    body = {k: v for k, v in report_line().items() if k != "actor"}

    with serving(settings) as url:
        local_broker.stop(data_dir)
        down = httpx.post(f"{url}/v1/capacity", json=body, headers=headers, timeout=30)
        resent = httpx.post(f"{url}/v1/capacity", json=body, headers=headers, timeout=30)
        assert (down.status_code, down.json()) == (
            202,
            {"event_id": body["event_id"], "status": "queued"},
        )
        assert resent.json() == down.json()  # the first answer, and nothing queued twice
        assert waiting(settings) == 1

        local_broker.start(port=port, data_dir=data_dir, jars_dir=JARS)
        # No further submission: the API's publisher drains by itself.
        poll(lambda: waiting(settings) == 0)
        again = httpx.post(f"{url}/v1/capacity", json=body, headers=headers, timeout=30)

    assert again.json() == down.json()
    # The outbox is empty and nothing else was sent: the topic holds the event once.
    found = topic_records(settings, "capacity")
    assert [json.loads(r.value)["event_id"] for r in found] == [body["event_id"]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Callable[..., int]:
    """`bedboard ...` in this process with the test's settings (BEDBOARD_* variables)."""
    monkeypatch.setenv("BEDBOARD_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BEDBOARD_LANG", "en")

    def run(*argv: str, bootstrap: str = settings.bootstrap_servers) -> int:
        monkeypatch.setenv("BEDBOARD_BOOTSTRAP_SERVERS", bootstrap)
        return main(list(argv))

    return run


def queue_with_the_broker_away(cli: Callable[..., int], tmp_path: Path, count: int) -> list[str]:
    """Run `bedboard publish` while nothing listens: the reports wait in the outbox."""
    lines = [report_line() for _ in range(count)]
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    nobody = f"127.0.0.1:{local_broker.free_port_pair()}"
    assert cli("publish", str(path), bootstrap=nobody) == 0
    return [line["event_id"] for line in lines]


def test_a_draining_publisher_sends_what_bedboard_publish_queued(
    settings: Settings, cli: Callable[..., int], tmp_path: Path
) -> None:
    queued = queue_with_the_broker_away(cli, tmp_path, 2)
    assert waiting(settings) == 2

    # The dashboard's and the API's publisher, with no submission of their own.
    with Publisher(settings).drain_in_background(every=0.2):
        poll(lambda: waiting(settings) == 0)

    found = topic_records(settings, "capacity")
    assert [json.loads(r.value)["event_id"] for r in found] == queued


def test_an_empty_publish_after_the_broker_returned_sends_what_waits(
    settings: Settings, cli: Callable[..., int], tmp_path: Path
) -> None:
    queued = queue_with_the_broker_away(cli, tmp_path, 1)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")

    assert cli("publish", str(empty)) == 0

    assert waiting(settings) == 0
    assert [json.loads(r.value)["event_id"] for r in topic_records(settings, "capacity")] == queued


def test_outbox_and_status_say_what_waits_and_outbox_sends_it(
    settings: Settings,
    cli: Callable[..., int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queued = queue_with_the_broker_away(cli, tmp_path, 3)
    capsys.readouterr()
    topic = settings.topic("capacity")

    cli("status")
    status = capsys.readouterr().out
    assert cli("outbox", "--list") == 0
    listed = capsys.readouterr().out
    assert waiting(settings) == 3  # --list only shows
    assert cli("outbox") == 0
    sent = capsys.readouterr().out
    cli("outbox", "--list")
    after = capsys.readouterr().out

    assert f"waiting: 3 on {topic}" in status
    assert f"waiting: 3 on {topic}" in listed
    assert "sent 3; 0 still waiting" in sent
    assert "nothing waits in the outbox" in after
    assert [json.loads(r.value)["event_id"] for r in topic_records(settings, "capacity")] == queued
