"""The notifier on a real broker, sending to a real HTTP server and a real SMTP server on
loopback: each event once per subscription, across a crash, with retries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bedboard.settings import Settings
from consumers.notifier import Notifier
from consumers.notify_store import NotifyStore
from consumers.senders import sender
from producers.publisher import Publisher
from schemas.events import Event, parse_event
from tests.factories import body, placement_closed, placement_requested, placement_responded
from tests.factories import registration as registered
from tests.loopback import Behaviour, smtp_server, wait_for, webhook_server

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(microsecond=0)


def alert(facility: str, kind: str, **detail: object) -> Event:
    return parse_event(
        body(
            "alert.raised",
            NOW,
            {"org": "system", "user": "alerts"},
            alert_id=f"{facility}:{kind}",
            facility_id=facility,
            kind=kind,
            detail=detail,
        )
    )


def notifier_settings(settings: Settings, smtp_port: int, **changes: object) -> Settings:
    """As the notifier signs in (its own principal and ACLs), with the loopback mail server."""
    return settings.as_principal("notify").model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "notify_first_retry": timedelta(milliseconds=50),
        }
        | changes
    )


def run_once(settings: Settings, store: NotifyStore) -> int:
    notifier = Notifier(settings, store, sender(settings), from_beginning=True)
    return notifier.run(threading.Event(), until_caught_up=True)


def test_each_subscriber_hears_of_what_they_chose_once(settings: Settings, tmp_path: Path) -> None:
    pid_1, pid_2 = str(uuid.uuid4()), str(uuid.uuid4())
    with Publisher(settings) as publisher:
        publisher.publish(
            [
                registered("HJ-0001", "中央地区", name={"ja": "八王子中央病院", "en": "Central"}),
                registered("HJ-0002", "東部地区"),
                placement_requested(pid_1, "HJ-0001"),
                placement_requested(pid_2, "HJ-0002", bed_type="hcu"),
                placement_responded(pid_1, "HJ-0001", "declined", reason="満床"),
                placement_closed(pid_2, "expired"),
                placement_closed(pid_1, "cancelled"),  # not a lapse: nobody hears of it
                alert("HJ-0002", "occupancy_high", bed_type="hcu"),
                alert("HJ-0001", "stale_report"),
            ]
        )
    store = NotifyStore(tmp_path / "notify.sqlite")
    with webhook_server() as hook, smtp_server() as mail:
        coordinator = store.add(
            "coordinator", "webhook", hook.url, ["request", "answer", "lapse"], lang="en"
        )
        staff = store.add(
            "staff.hj0001", "email", "ward@hj1.example", ["request", "lapse"],
            bound_to=["HJ-0001"],
        )  # fmt: skip
        city = "city@hachioji.example"
        store.add("official", "email", city, ["capacity"], districts=["東部地区"])
        store.add("official", "webhook", hook.url, ["stale"], bed_types=["burn"])  # none is burn
        notify = notifier_settings(settings, mail.port)

        assert run_once(notify, store) == 6
        texts = sorted(body["text"] for _, body in hook.received.all())
        assert texts == [
            "A placement request was answered: Central (中央地区) · Adult ICU · Declined · 満床",
            "New placement request: Central (中央地区) · Adult ICU · 70-79 · Severe · Oxygen",
            "New placement request: HJ-0002 (東部地区) · High care unit (HCU) · 70-79 · Severe · "
            "Oxygen",
            "Placement request lapsed: HJ-0002 (東部地区) · High care unit (HCU)",
        ]
        mails = mail.messages()
        assert sorted((m["To"], m["Subject"]) for m in mails) == [
            ("city@hachioji.example", "[Bedboard] 病床アラート: HJ-0002"),
            ("ward@hj1.example", "[Bedboard] 新しい受入依頼: 八王子中央病院"),
        ]
        city_mail = next(m for m in mails if m["To"] == city)
        assert "病床使用率が高い" in city_mail.get_content()
        assert {s for s in Counter(key for key, _ in hook.received.all()).values()} == {1}

        # Read again from the start (a new member of the group): nothing is sent twice.
        assert run_once(notify, store) == 0
        assert len(hook.received) == 4 and len(mail.received) == 2
    by_subscription = Counter(d.subscription_id for d in store.deliveries("sent"))
    assert by_subscription[coordinator.id] == 4 and by_subscription[staff.id] == 1


def test_a_failing_webhook_is_retried_with_backoff_then_given_up(
    settings: Settings, tmp_path: Path
) -> None:
    with Publisher(settings) as publisher:
        publisher.publish([placement_requested(str(uuid.uuid4()), "HJ-0001")])
    store = NotifyStore(tmp_path / "notify.sqlite")
    with (
        webhook_server(Behaviour(fail_first=3)) as flaky,
        webhook_server(Behaviour(fail_first=1000)) as broken,
    ):
        store.add("coordinator", "webhook", flaky.url, ["request"])
        store.add("official", "webhook", broken.url, ["request"])
        notify = notifier_settings(settings, 1, notify_attempts=4)
        assert run_once(notify, store) == 1
        assert len(flaky.received) == 1 and flaky.behaviour.tries == 4
        assert len(broken.received) == 0 and broken.behaviour.tries == 4
    sent = store.deliveries("sent")
    assert [(d.username, d.attempts) for d in sent] == [("coordinator", 4)]
    (failed,) = store.troubles()
    assert (failed.username, failed.status, failed.attempts) == ("official", "failed", 4)
    assert failed.last_error == "HTTP 503"


def command_env(settings: Settings, data_dir: Path, smtp_port: int) -> dict[str, str]:
    return os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(data_dir),
        "BEDBOARD_LANG": "en",
        "BEDBOARD_SMTP_HOST": "127.0.0.1",
        "BEDBOARD_SMTP_PORT": str(smtp_port),
        "BEDBOARD_NOTIFY_FIRST_RETRY": "PT0.05S",
        # Static membership: the restarted notifier takes over from the killed one at once.
        "BEDBOARD_NOTIFY_MEMBER": "notifier-1",
    }


def test_exactly_once_across_a_crash_of_the_notifier(settings: Settings) -> None:
    data_dir = settings.data_dir
    first = [str(uuid.uuid4()) for _ in range(12)]
    later = [str(uuid.uuid4()) for _ in range(3)]
    with Publisher(settings) as publisher:
        publisher.publish([placement_requested(pid, "HJ-0001") for pid in first])
    store = NotifyStore(settings.notify_path)
    # The webhook holds its 5th delivery while the notifier is killed: 4 went out, the rest not.
    with webhook_server(Behaviour(hold_at=5)) as hook, smtp_server() as mail:
        store.add("coordinator", "webhook", hook.url, ["request"])
        store.add("staff.hj0001", "email", "ward@hj1.example", ["request"], bound_to=["HJ-0001"])
        env = command_env(settings, data_dir, mail.port)
        command = [sys.executable, "-m", "bedboard", "notify"]
        running = subprocess.Popen(
            [*command, "--from-beginning"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            wait_for(
                lambda: hook.behaviour.holding.is_set() or running.poll() is not None,
                90,
                "the fifth webhook delivery",
            )
        finally:
            running.send_signal(signal.SIGKILL)
            _, errors = running.communicate(timeout=30)
        assert hook.behaviour.holding.is_set(), errors.decode()
        hook.behaviour.released.set()
        assert len(hook.received) == 4

        # While it is down, more requests arrive; the next start owes them too, and nothing twice.
        with Publisher(settings) as publisher:
            publisher.publish([placement_requested(pid, "HJ-0001") for pid in later])
        done = subprocess.run(
            [*command, "--until-caught-up"], env=env, cwd=ROOT, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        hooks = Counter(key.split(".")[0] for key, _ in hook.received.all())
        mails = Counter(m["Message-ID"] for m in mail.messages())
    expected = set(events_of(settings, first + later))
    assert set(hooks) == expected and set(hooks.values()) == {1}
    assert len(mails) == 15 and set(mails.values()) == {1}
    assert "waiting for a retry" in done.stdout


def events_of(settings: Settings, placement_ids: list[str]) -> list[str]:
    """The event ids of these placements' requests, as read back from the log."""
    from consumers.rules import ms_to_utc
    from schemas.records import check
    from tests.kafka_log import topic_records

    found = []
    for record in topic_records(settings, "placements"):
        event = check(record.value, ms_to_utc(record.timestamp))
        if str(getattr(event, "placement_id", "")) in placement_ids:
            found.append(str(event.event_id))  # type: ignore[union-attr]
    return found


class Crash(RuntimeError):
    """The process dies here."""


class DiesBeforeCommitting(Notifier):
    """Dies after recording what it owes and sending it, before committing its offsets."""

    def _commit(self, consumer: Any, polled: Any) -> None:
        if polled:
            self.deliver_due()  # sent, as a notifier could have in an earlier loop
            raise Crash


def test_a_crash_between_recording_and_committing_sends_nothing_twice(
    settings: Settings, tmp_path: Path
) -> None:
    with Publisher(settings) as publisher:
        publisher.publish([placement_requested(str(uuid.uuid4()), "HJ-0001") for _ in range(6)])
    store = NotifyStore(tmp_path / "notify.sqlite")
    with webhook_server() as hook:
        store.add("coordinator", "webhook", hook.url, ["request"])
        notify = notifier_settings(settings, 1)
        dying = DiesBeforeCommitting(notify, store, sender(notify), from_beginning=True)
        with pytest.raises(Crash):
            dying.run(threading.Event(), until_caught_up=True)
        assert len(hook.received) == 6  # all sent; no offset committed past them

        # The next start reads the same six again and owes them once: nothing is sent twice.
        assert run_once(notify, store) == 0
        assert len(hook.received) == 6 and len(store.deliveries("sent")) == 6
