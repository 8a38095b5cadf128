"""Who may do what on Kafka: each principal's ACLs for one topic prefix, least privilege."""

from __future__ import annotations

import time
from dataclasses import dataclass

import kafka.errors as kafka_errors
from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
)

# The events people and hospital systems send; only the two doors write them. "city" holds the
# officials' phase and district counts (contract v2).
EVENT_TOPICS = ("capacity", "facilities", "placements", "notices", "city")
# What a replica rolls up (consumers.rollup.ROLLED_UP): the events and the derived alerts.
REPLICA_READS = (*EVENT_TOPICS, "alerts")
DOORS = ("dashboard", "api")
# The alert processor's consumer group (consumers.alerts.AlertProcessor.group_id).
ALERTS_GROUP = "alerts-processor"
# The notifier's group (consumers.notifier.Notifier.group_id) and what it reads: the topics
# whose events notify (consumers.notify_rules.notified_topics) and the registry, for districts.
NOTIFY_GROUP = "notifier"
NOTIFY_READS = ("alerts", "placements", "facilities")
LAPSES_GROUP = "placements-processor"  # consumers.lapses.GROUP


@dataclass(frozen=True)
class Grant:
    """principal may do operation on the topic or group named prefix + name."""

    principal: str
    operation: str  # "READ" or "WRITE" (each implies DESCRIBE)
    resource: str  # "topic" or "group"
    name: str  # without the topic prefix


# The admin principal is a super user (it creates topics and these ACLs), so it has none here.
# Replicas run inside the dashboard and the API too, hence their READ and dead-letter WRITE.
GRANTS: tuple[Grant, ...] = (
    *(Grant(door, "WRITE", "topic", topic) for door in DOORS for topic in EVENT_TOPICS),
    *(
        Grant(reader, "READ", "topic", topic)
        for reader in (*DOORS, "replica")
        for topic in REPLICA_READS
    ),
    *(Grant(reader, "WRITE", "topic", "dlq") for reader in (*DOORS, "replica")),
    Grant("alerts", "READ", "topic", "capacity"),
    # It reads its own history on start so that it never raises an alert twice.
    Grant("alerts", "READ", "topic", "alerts"),
    Grant("alerts", "WRITE", "topic", "alerts"),
    Grant("alerts", "READ", "group", ALERTS_GROUP),
    *(Grant("notify", "READ", "topic", topic) for topic in NOTIFY_READS),
    Grant("notify", "READ", "group", NOTIFY_GROUP),
    # The same principal runs the placements processor (`bedboard lapses`): it reads the
    # placements from their start and writes placement.lapsed there.
    Grant("alerts", "READ", "topic", "placements"),
    Grant("alerts", "WRITE", "topic", "placements"),
    Grant("alerts", "READ", "group", LAPSES_GROUP),
)

_RESOURCE = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}


def bindings(prefix: str) -> list[ACL]:
    """The ACLs of GRANTS for the topics and groups of one prefix, each on its exact name."""
    # LITERAL rather than PREFIXED on the prefix: a PREFIXED READ would also cover the
    # dead-letter topic and any topic added later; an exact name covers what is listed only.
    return [
        ACL(
            principal=f"User:{grant.principal}",
            host="*",
            operation=ACLOperation[grant.operation],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(
                _RESOURCE[grant.resource], prefix + grant.name, ACLResourcePatternType.LITERAL
            ),
        )
        for grant in GRANTS
    ]


def grant(client: KafkaAdminClient, prefix: str, timeout: float = 30) -> None:
    """Create the ACLs of one prefix (creating an existing ACL again changes nothing) and return
    once the broker enforces them."""
    wanted = bindings(prefix)
    result = client.create_acls(wanted)
    if result["failed"]:
        error = result["failed"][0]
        raise kafka_errors.KafkaError(f"creating the ACLs of {prefix!r} failed: {error!r}")
    # The controller accepts them before the broker has applied them from the metadata log; it
    # applies that log in order, so once the last is visible, all are.
    last = wanted[-1]
    deadline = time.monotonic() + timeout
    while last not in client.describe_acls(last)[0]:
        if time.monotonic() >= deadline:
            raise kafka_errors.KafkaTimeoutError(f"the ACLs of {prefix!r} did not apply in time")
        time.sleep(0.05)
