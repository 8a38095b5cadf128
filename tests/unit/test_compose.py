"""The compose file publishes on loopback only and keeps what must survive a restart on volumes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bedboard.service import STOP_GRACE_S

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
LOOPBACK = re.compile(r"^(127\.0\.0\.1|\$\{[A-Z_]+:-127\.0\.0\.1\}):\d+:\d+$")


def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]  # type: ignore[no-any-return]


def test_every_published_port_is_on_loopback_unless_asked_otherwise() -> None:
    published = {name: s.get("ports", []) for name, s in services().items() if s.get("ports")}
    assert published  # the dashboard at least
    for name, ports in published.items():
        for port in ports:
            assert LOOPBACK.match(str(port)), f"{name} publishes {port} beyond this machine"


def test_the_outbox_and_the_users_file_live_on_a_volume() -> None:
    # Both are in BEDBOARD_DATA_DIR (/data in the image): unsent reports and accounts.
    for name, service in services().items():
        if service.get("command", [None])[0] in ("dashboard", "api"):
            mounts = [str(v).split(":")[1] for v in service.get("volumes", [])]
            assert "/data" in mounts, f"{name} would lose its outbox and accounts on restart"


def test_every_long_running_service_is_given_time_to_stop_on_sigterm() -> None:
    for name, service in services().items():
        if service.get("restart") == "unless-stopped":
            grace = str(service.get("stop_grace_period", "10s"))
            assert service.get("init") is True, f"{name} runs as PID 1 without an init"
            assert service.get("stop_signal", "SIGTERM") == "SIGTERM"
            assert grace.endswith("s") and float(grace[:-1]) > STOP_GRACE_S, name


def test_the_dashboard_and_the_api_share_one_tokens_file() -> None:
    found = services()
    files = {found[name]["environment"]["BEDBOARD_TOKENS_FILE"] for name in ("dashboard", "api")}
    (path,) = files
    mounts = {
        name: {str(v).split(":")[1]: str(v).split(":")[0] for v in found[name]["volumes"]}
        for name in ("dashboard", "api")
    }
    folder = str(Path(path).parent)
    assert mounts["dashboard"][folder] == mounts["api"][folder]


def test_the_notifier_reads_the_subscriptions_the_dashboard_keeps() -> None:
    # notify.sqlite is written on the dashboard's Notifications page and read by the notifier.
    volumes = {name: set(s.get("volumes", [])) for name, s in services().items()}
    shared = {v for v in volumes["dashboard"] if v.endswith(":/data")}
    assert shared and shared <= volumes["notify"]
    assert services()["notify"]["environment"]["BEDBOARD_KAFKA_PRINCIPAL"] == "notify"


def kafka_properties(name: str) -> dict[str, str]:
    text = (COMPOSE.parent / "infra" / "compose" / name).read_text(encoding="utf-8")
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


def test_the_cluster_profile_runs_three_nodes_of_one_cluster() -> None:
    nodes = {n: s for n, s in services().items() if "cluster" in s.get("profiles", [])}

    assert sorted(nodes) == ["kafka-1", "kafka-2", "kafka-3"]
    assert len({s["environment"]["CLUSTER_ID"] for s in nodes.values()}) == 1
    assert [s["environment"]["BEDBOARD_NODE_ID"] for s in nodes.values()] == ["1", "2", "3"]
    data = [v for s in nodes.values() for v in s["volumes"] if v.endswith(":/var/lib/kafka/data")]
    assert len(set(data)) == 3  # a data volume each
    # Without the profile, the single node and the app run as before.
    assert all(not s.get("profiles") for n, s in services().items() if n not in nodes)


def test_the_compose_cluster_keeps_the_copies_of_the_local_cluster() -> None:
    from bedboard.broker_config import render_cluster_node
    from bedboard.credentials import LocalCredentials

    compose = kafka_properties("cluster.properties")
    secrets = LocalCredentials(passwords={"admin": "a"}, controller_password="c")
    local = dict(
        line.split("=", 1)
        for line in render_cluster_node(1, [1, 3, 5], Path("/x"), secrets).splitlines()
    )
    kept = [k for k in local if "replication" in k or "min.isr" in k or "insync" in k]
    assert len(kept) >= 6
    assert {k: compose.get(k) for k in kept} == {k: local[k] for k in kept}
    assert compose["controller.quorum.voters"] == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
    assert compose["process.roles"] == "broker,controller"
