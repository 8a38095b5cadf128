"""Cluster administration: is the broker there, create the topics, where do the topics end."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import kafka.errors as kafka_errors
from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from tenacity import (
    before_sleep_log,
    retry,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
)

from bedboard import acls
from bedboard.settings import Settings
from schemas.topics import TOPICS, replication

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = kafka_errors.TopicAlreadyExistsError.errno


class BrokerUnavailableError(RuntimeError):
    """No Kafka broker answered at the bootstrap address in time."""


def _transient(error: BaseException) -> bool:
    # kafka-python marks the errors worth another try (leader moving, broker not ready, ...).
    return isinstance(error, OSError) or bool(getattr(error, "retriable", False))


_retry_transient = retry(
    retry=retry_if_exception(_transient),
    stop=stop_after_delay(30),
    wait=wait_exponential(multiplier=0.2, max=3),
    before_sleep=before_sleep_log(log, logging.WARNING),
    reraise=True,
)


@contextmanager
def admin_client(options: Mapping[str, object], timeout: float = 10) -> Iterator[KafkaAdminClient]:
    """An admin client on options (Settings.kafka_options()) that gives up after timeout seconds
    instead of kafka-python's 30."""
    timeout_ms = int(timeout * 1000)
    # api_version is dropped: the client asks the broker (ApiVersions) and so uses the newest
    # request versions both sides know. Its constructor already connects, bounded by
    # bootstrap_timeout_ms.
    connection = {key: value for key, value in options.items() if key != "api_version"}
    client = KafkaAdminClient(
        **connection,
        client_id="bedboard-admin",
        bootstrap_timeout_ms=timeout_ms,
        request_timeout_ms=timeout_ms,
    )
    try:
        yield client
    finally:
        client.close()


def broker_answers(options: Mapping[str, object], timeout: float = 3) -> bool:
    """Whether a broker answers these client options (signed in) and reports itself ready
    (registered, unfenced)."""
    bootstrap = options["bootstrap_servers"]
    first = bootstrap[0] if isinstance(bootstrap, list) else str(bootstrap).split(",")[0]
    host, _, port = str(first).rpartition(":")
    try:
        # A plain connect first: it fails at once while nothing listens, where the admin client
        # would log errors and wait out its bootstrap timeout.
        socket.create_connection((host or "localhost", int(port)), timeout=timeout).close()
        with admin_client(options, timeout) as client:
            brokers = client.describe_cluster()["brokers"]
    except (OSError, kafka_errors.KafkaError):
        return False
    return any(not broker.get("is_fenced", False) for broker in brokers)


def wait_for_broker(settings: Settings, timeout: float = 60) -> None:
    """Return once a broker answers settings; raise BrokerUnavailableError after timeout."""
    deadline = time.monotonic() + timeout
    options = settings.kafka_options()
    while not broker_answers(options, timeout=min(3, max(0.5, deadline - time.monotonic()))):
        if time.monotonic() >= deadline:
            raise BrokerUnavailableError(
                f"no Kafka broker answered at {settings.bootstrap_servers} in {timeout} s"
            )
        time.sleep(0.5)


@_retry_transient
def create_topics(settings: Settings, partitions: int = 1) -> list[str]:
    """Create every topic of the contract that is missing; return the names created.

    Each gets `partitions` partitions, or more where its spec asks for more, and the
    replication factor and min.insync.replicas that the brokers found allow (3 and 2 on three or
    more, 1 and 1 on one).
    """
    with admin_client(settings.kafka_options()) as client:
        copies, in_sync = replication(len(client.describe_cluster()["brokers"]))
        wanted = {
            settings.topic(spec.name): {
                "num_partitions": max(partitions, spec.partitions),
                "replication_factor": copies,
                "configs": dict(spec.configs) | {"min.insync.replicas": str(in_sync)},
            }
            for spec in TOPICS.values()
        }
        # raise_errors=False: an existing topic is an answer per topic, not a failure.
        response = client.create_topics(wanted, raise_errors=False)
        created = []
        for topic in response["topics"]:
            code = topic["error_code"]
            if code == 0:
                created.append(topic["name"])
            elif code != TOPIC_ALREADY_EXISTS:
                error = kafka_errors.for_code(code)
                raise error(f"creating topic {topic['name']}: {topic.get('error_message')}")
        # The controller has accepted them; wait until each has a leader so producers can start.
        client.wait_for_topics(list(wanted), timeout_ms=30_000)
        if settings.local_credentials() is not None:
            # The local broker's principals are ours to manage: let each do its part, no more.
            acls.grant(client, settings.topic_prefix)
    log.info("created topics %s (%d copies, %d in sync)", created, copies, in_sync)
    return sorted(created)


@_retry_transient
def end_offsets(settings: Settings, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """The next offset to be written in every partition of the given (full-name) topics."""
    with admin_client(settings.kafka_options()) as client:
        described: list[dict[str, Any]] = client.describe_topics(list(topics))
        specs = {}
        for topic in described:
            name, code = topic["name"], topic["error_code"]
            if code != 0:
                raise kafka_errors.for_code(code)(f"describing topic {name}")
            for partition in topic["partitions"]:
                specs[TopicPartition(name, partition["partition_index"])] = OffsetSpec.LATEST
        found = client.list_partition_offsets(specs)
    return {partition: found[partition].offset for partition in specs}
