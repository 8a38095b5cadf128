"""The topics of design.md: short name, record key and broker configs."""

from __future__ import annotations

from dataclasses import dataclass, field

FOREVER = "-1"
THIRTY_DAYS_MS = str(30 * 24 * 3600 * 1000)


@dataclass(frozen=True)
class TopicSpec:
    name: str  # short name, without the configurable prefix
    key_field: str | None  # the event field that keys the record
    configs: dict[str, str] = field(default_factory=dict)
    partitions: int = 1  # at least this many, whatever `bedboard topics` is asked for


# Topics read by consumer groups (each member a share of the partitions) get several
# partitions; a future notifications topic too. The roll-up reads every partition itself.
GROUP_PARTITIONS = 6


def _spec(name: str, key_field: str | None, partitions: int = 1, **configs: str) -> TopicSpec:
    base = {"message.timestamp.type": "LogAppendTime"}
    configs = {k.replace("_", "."): v for k, v in configs.items()}
    return TopicSpec(name, key_field, base | configs, partitions)


TOPICS: dict[str, TopicSpec] = {
    spec.name: spec
    for spec in (
        _spec("capacity", "facility_id", cleanup_policy="delete", retention_ms=FOREVER),
        _spec("facilities", "facility_id", cleanup_policy="compact"),
        _spec("placements", "placement_id", cleanup_policy="delete", retention_ms=FOREVER),
        _spec("notices", "notice_id", cleanup_policy="delete", retention_ms=FOREVER),
        # The city's word: phase declarations and the health centre's district counts (v2).
        _spec("city", None, cleanup_policy="delete", retention_ms=FOREVER),
        _spec(
            "alerts",
            "facility_id",
            GROUP_PARTITIONS,
            cleanup_policy="delete",
            retention_ms=THIRTY_DAYS_MS,
        ),
        _spec("dlq", None, cleanup_policy="compact"),
    )
}


def replication(brokers: int) -> tuple[int, int]:
    """The replication factor and min.insync.replicas for a cluster of `brokers` brokers: three
    copies where there are three brokers, of which two must hold a write before it counts, so
    that losing any one broker loses no acknowledged record and stops no writer."""
    copies = max(1, min(3, brokers))
    return copies, max(1, copies - 1)


# Which topic each event type travels on.
TOPIC_OF_TYPE: dict[str, str] = {
    "capacity.reported": "capacity",
    "facility.registered": "facilities",
    "placement.requested": "placements",
    "placement.responded": "placements",
    "placement.closed": "placements",
    "notice.posted": "notices",
    "notice.withdrawn": "notices",
    "phase.declared": "city",
    "district.counted": "city",
    # The waiting list shares the placements topic: one partition, so one total order of every
    # case and placement event (holds are granted in that order). Case events have no
    # placement_id and go unkeyed; with one partition the key decides nothing.
    "case.registered": "placements",
    "case.withdrawn": "placements",
    "placement.transport": "placements",
    "placement.lapsed": "placements",
    # A facility's own word, beside its reports (keyed by facility_id, like them).
    "step_down.reported": "capacity",
    "alert.raised": "alerts",
    "alert.cleared": "alerts",
}
