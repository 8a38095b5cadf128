"""The local broker refuses strangers and lets each principal do its own part only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kafka import KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAuthorizationFailedError

from bedboard.admin import admin_client, end_offsets
from bedboard.credentials import FILE_NAME
from bedboard.settings import Settings
from consumers.store import connect

ROOT = Path(__file__).resolve().parents[2]
REFUSED_WITHIN_MS = 3_000


def send(settings: Settings, short: str, **options: object) -> None:
    """Send one keyed record to a topic of settings with these client options; raise if refused."""
    producer = KafkaProducer(**(settings.kafka_options() | options), max_block_ms=REFUSED_WITHIN_MS)
    try:
        producer.send(settings.topic(short), key=b"k", value=b"{}").get(timeout=30)
    finally:
        producer.close(timeout=5)


def written(settings: Settings, short: str) -> int:
    return sum(end_offsets(settings, [settings.topic(short)]).values())


def scram(username: str, password: str) -> dict[str, object]:
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": username,
        "sasl_plain_password": password,
    }


@pytest.mark.parametrize(
    "who",
    [
        pytest.param({"security_protocol": "PLAINTEXT"}, id="no credentials"),
        pytest.param(scram("admin", "not-the-password"), id="wrong password"),
        pytest.param(scram("mallory", "whatever"), id="unknown user"),
    ],
)
def test_a_stranger_cannot_write(settings: Settings, who: dict[str, object]) -> None:
    with pytest.raises(KafkaTimeoutError):
        send(settings, "capacity", **who)

    assert written(settings, "capacity") == 0
    send(settings, "capacity")  # the same send, signed in as the operator, goes through
    assert written(settings, "capacity") == 1


def test_a_replica_writes_the_dead_letter_topic_only(settings: Settings) -> None:
    replica = settings.as_principal("replica")

    for short in ("capacity", "notices", "alerts"):
        with pytest.raises(TopicAuthorizationFailedError):
            send(replica, short)
    send(replica, "dlq")

    assert [written(settings, s) for s in ("capacity", "notices", "alerts", "dlq")] == [0, 0, 0, 1]


def test_the_alert_processor_writes_alerts_not_capacity(settings: Settings) -> None:
    alerts = settings.as_principal("alerts")

    with pytest.raises(TopicAuthorizationFailedError):
        send(alerts, "capacity")
    send(alerts, "alerts")

    assert written(settings, "capacity") == 0 and written(settings, "alerts") == 1


@pytest.mark.parametrize("door", ["dashboard", "api"])
def test_the_doors_write_the_events_but_not_alerts(settings: Settings, door: str) -> None:
    signed_in = settings.as_principal(door)

    for short in ("capacity", "facilities", "placements", "notices"):
        send(signed_in, short)
    with pytest.raises(TopicAuthorizationFailedError):
        send(signed_in, "alerts")

    assert written(settings, "capacity") == 1 and written(settings, "alerts") == 0


def test_acls_cover_only_the_prefix_they_were_made_for(settings: Settings) -> None:
    # Topics of another prefix made without `bedboard topics`, so without its ACLs.
    other = settings.model_copy(update={"topic_prefix": f"o{uuid.uuid4().hex[:8]}."})
    with admin_client(other.kafka_options()) as client:
        client.create_topics([NewTopic(other.topic("capacity"), 1, 1)])
        client.wait_for_topics([other.topic("capacity")], timeout_ms=30_000)

    with pytest.raises(TopicAuthorizationFailedError):
        send(other.as_principal("dashboard"), "capacity")
    send(other, "capacity")  # the operator may


def cli(cwd: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bedboard", *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def test_local_commands_find_the_credentials_by_themselves(
    broker: str, broker_credentials: Path, tmp_path: Path
) -> None:
    # A person's machine: the broker's credentials where `bedboard broker start` leaves them
    # (.bedboard/kafka/), and no security settings at all in the environment.
    local = tmp_path / ".bedboard" / "kafka"
    local.mkdir(parents=True)
    shutil.copy2(broker_credentials, local / FILE_NAME)
    prefix = f"c{uuid.uuid4().hex[:8]}."
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEDBOARD_")}
    env |= {"BEDBOARD_BOOTSTRAP_SERVERS": broker, "BEDBOARD_TOPIC_PREFIX": prefix,
            "BEDBOARD_LANG": "en", "PYTHONPATH": str(ROOT)}  # fmt: skip
    event = {
        "type": "capacity.reported", "version": 1, "event_id": str(uuid.uuid4()),
        "occurred_at": "2026-01-05T08:55:00+09:00",
        "actor": {"org": "hospital", "user": "bedmgr.tanaka"}, "facility_id": "HJ-0007",
        "beds": [{"bed_type": "adult_icu", "usable": 12, "occupied": 7}],
    }  # fmt: skip
    (tmp_path / "reports.jsonl").write_text(json.dumps(event) + "\n")

    topics = cli(tmp_path, env, "topics")
    published = cli(tmp_path, env, "publish", "reports.jsonl")
    # The roll-up runs as `replica`: no super user, so it reads only thanks to the ACLs that
    # `bedboard topics` granted for this prefix.
    rolled = cli(tmp_path, env, "rollup", "--until-caught-up")

    assert topics.returncode == 0, topics.stderr
    assert "created:" in topics.stdout and f"{prefix}capacity" in topics.stdout
    assert published.returncode == 0, published.stderr
    assert "published 1" in published.stdout
    assert rolled.returncode == 0, rolled.stderr
    con = connect(tmp_path / ".bedboard" / "rollup.duckdb", read_only=True)
    try:
        counts = con.execute("SELECT topic, applied FROM ingest_counts").fetchall()
    finally:
        con.close()
    assert ("capacity", 1) in counts


def test_without_the_credentials_file_a_command_is_refused(broker: str, tmp_path: Path) -> None:
    settings = Settings(bootstrap_servers=broker, data_dir=tmp_path)  # nothing in tmp_path

    with pytest.raises(KafkaError):
        send(settings, "capacity")
