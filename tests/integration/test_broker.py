"""The real broker: topics with the contract's configs, LogAppendTime, idempotent start."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.consumer.fetcher import ConsumerRecord

from bedboard import broker as local_broker
from bedboard.admin import admin_client, create_topics, end_offsets
from bedboard.credentials import LocalCredentials
from bedboard.settings import Settings
from schemas.topics import TOPICS
from tests.local_kafka import on_session_broker

LOG_APPEND_TIME = 1  # ConsumerRecord.timestamp_type: 0 CreateTime, 1 LogAppendTime


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    resources = [ConfigResource(ConfigResourceType.TOPIC, settings.topic(name)) for name in TOPICS]
    with admin_client(settings.kafka_options()) as client:
        described = client.describe_configs(resources)["topic"]
    return {
        name: {key: entry["value"] for key, entry in configs.items()}
        for name, configs in described.items()
    }


def test_every_topic_has_the_contract_configs(settings: Settings) -> None:
    found = topic_configs(settings)

    for name, spec in TOPICS.items():
        configs = found[settings.topic(name)]
        assert configs["message.timestamp.type"] == "LogAppendTime"
        for key, value in spec.configs.items():
            assert configs[key] == value, (name, key)
    assert found[settings.topic("capacity")]["retention.ms"] == "-1"
    assert found[settings.topic("alerts")]["retention.ms"] == str(30 * 24 * 3600 * 1000)
    assert found[settings.topic("facilities")]["cleanup.policy"] == "compact"
    assert found[settings.topic("dlq")]["cleanup.policy"] == "compact"


def test_create_topics_returns_the_names_it_created(
    broker: str, broker_credentials: Path, tmp_path: Path
) -> None:
    fresh = on_session_broker(
        broker, broker_credentials, tmp_path, topic_prefix=f"n{uuid.uuid4().hex[:8]}."
    )

    created = create_topics(fresh)

    assert created == sorted(fresh.topic(name) for name in TOPICS)


def test_create_topics_is_idempotent(settings: Settings) -> None:
    before = topic_configs(settings)

    assert create_topics(settings) == []
    assert create_topics(settings) == []
    assert topic_configs(settings) == before


def test_a_record_gets_the_broker_ingest_time(settings: Settings) -> None:
    topic = settings.topic("capacity")
    producer = KafkaProducer(**settings.kafka_options())
    before_ms = int(time.time() * 1000)
    try:
        sent = producer.send(topic, key=b"F1", value=b"{}", timestamp_ms=1_000).get(timeout=30)
    finally:
        producer.close()
    after_ms = int(time.time() * 1000)

    # The sender's timestamp (1970) is replaced by the broker's clock.
    assert before_ms - 1_000 <= sent.timestamp <= after_ms + 1_000
    record = read_one(settings, TopicPartition(topic, 0))
    assert record.timestamp_type == LOG_APPEND_TIME
    assert record.timestamp == sent.timestamp


def test_end_offsets_count_the_records(settings: Settings) -> None:
    topic = settings.topic("notices")
    producer = KafkaProducer(**settings.kafka_options())
    try:
        for key in (b"N1", b"N2", b"N3"):
            producer.send(topic, key=key, value=b"{}")
        producer.flush(timeout=30)
    finally:
        producer.close()

    offsets = end_offsets(settings, [topic, settings.topic("placements")])

    assert offsets == {
        TopicPartition(topic, 0): 3,
        TopicPartition(settings.topic("placements"), 0): 0,
    }


def test_start_again_returns_the_running_broker(broker: str, broker_data_dir: Path) -> None:
    port = int(broker.rsplit(":", 1)[1])
    began = time.monotonic()

    assert local_broker.start(port=port, data_dir=broker_data_dir) == broker
    assert time.monotonic() - began < 5
    state = local_broker.status(broker_data_dir)
    assert state["running"] is True and state["answering"] is True
    assert state["port"] == port and state["bootstrap"] == broker
    assert state["credentials"] == str(broker_data_dir / "credentials.json")


def test_the_broker_keeps_its_secrets_to_its_owner(broker: str, broker_data_dir: Path) -> None:
    for secret in (broker_data_dir, broker_data_dir / "credentials.json",
                   broker_data_dir / "server.properties"):  # fmt: skip
        assert secret.stat().st_mode & 0o077 == 0, secret


def test_start_on_another_port_names_the_running_broker(broker: str, broker_data_dir: Path) -> None:
    other = local_broker.free_port_pair()

    with pytest.raises(local_broker.BrokerError, match="already runs"):
        local_broker.start(port=other, data_dir=broker_data_dir)


def test_a_broker_that_dies_while_starting_shows_its_log(broker: str, tmp_path: Path) -> None:
    # A data dir whose identity file is unreadable: the broker refuses it and exits at once.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "meta.properties").write_text("version=1\nnode.id=7\ncluster.id=x\n")
    LocalCredentials.generate().write(tmp_path / "credentials.json")
    port = local_broker.free_port_pair()

    with pytest.raises(local_broker.BrokerError, match="exited while starting") as failure:
        local_broker.start(port=port, data_dir=tmp_path, timeout=60)

    assert "broker.out" in str(failure.value) or "server.log" in str(failure.value)
    assert local_broker.status(tmp_path)["running"] is False


def read_one(settings: Settings, partition: TopicPartition, timeout: float = 30) -> ConsumerRecord:
    consumer = KafkaConsumer(**settings.kafka_options(), enable_auto_commit=False)
    try:
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                return records[0]
    finally:
        consumer.close()
    raise AssertionError(f"no record arrived on {partition} within {timeout} s")
