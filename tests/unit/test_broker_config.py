"""The pure parts of the local broker: its server.properties (security included), credentials,
port checks, clear errors."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest

from bedboard import acls, broker, cluster
from bedboard.broker_config import (
    render_cluster_node,
    render_server_properties,
    scram_arguments,
)
from bedboard.broker_setup import write_broker_secrets
from bedboard.credentials import PRINCIPALS, LocalCredentials, read, read_or_create
from bedboard.settings import Settings
from schemas.topics import TOPICS, replication

SECRETS = LocalCredentials(
    passwords={name: f"pw-{name}" for name in PRINCIPALS}, controller_password="pw-controller"
)


def parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


def test_server_properties_describe_one_combined_node(tmp_path: Path) -> None:
    props = parse(render_server_properties(19092, tmp_path, SECRETS))

    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["listeners"] == "BROKER://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    # format --standalone refuses a static voter list.
    assert "controller.quorum.voters" not in props
    assert Path(props["log.dirs"]).is_relative_to(tmp_path)


def test_server_properties_suit_a_single_node(tmp_path: Path) -> None:
    props = parse(render_server_properties(9092, tmp_path, SECRETS))

    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["num.partitions"] == "1"
    assert props["auto.create.topics.enable"] == "false"


def test_every_listener_authenticates_and_acls_decide(tmp_path: Path) -> None:
    props = parse(render_server_properties(9092, tmp_path, SECRETS))

    protocols = dict(pair.split(":") for pair in props["listener.security.protocol.map"].split(","))
    assert protocols == {"BROKER": "SASL_PLAINTEXT", "CONTROLLER": "SASL_PLAINTEXT"}
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert props["listener.name.controller.sasl.enabled.mechanisms"] == "PLAIN"
    assert props["sasl.mechanism.controller.protocol"] == "PLAIN"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    # Only the operator and the node itself are super users; never ANONYMOUS.
    assert props["super.users"] == "User:admin;User:controller"


def test_the_broker_signs_in_with_the_generated_passwords(tmp_path: Path) -> None:
    props = parse(render_server_properties(9092, tmp_path, SECRETS))

    broker_login = props["listener.name.broker.scram-sha-512.sasl.jaas.config"]
    assert 'username="admin" password="pw-admin"' in broker_login
    controller_login = props["listener.name.controller.plain.sasl.jaas.config"]
    assert 'password="pw-controller" user_controller="pw-controller"' in controller_login


def test_storage_is_formatted_with_every_principal() -> None:
    arguments = scram_arguments(SECRETS)

    assert arguments[0::2] == ["--add-scram"] * len(PRINCIPALS)
    assert "SCRAM-SHA-512=[name=replica,password=pw-replica]" in arguments[1::2]


def test_credentials_are_random_and_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "kafka" / "credentials.json"

    made = read_or_create(path)

    assert set(made.passwords) == set(PRINCIPALS)
    assert len(set(made.passwords.values())) == len(PRINCIPALS)
    assert min(len(p) for p in made.passwords.values()) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_or_create(path) == made == read(path)
    assert read_or_create(tmp_path / "other.json") != made


def test_start_names_a_data_dir_formatted_before_authentication(tmp_path: Path) -> None:
    jars = tmp_path / "jars"
    jars.mkdir()
    digest = hashlib.sha256(broker.POM.read_bytes()).hexdigest()
    (jars / ".pom-sha256").write_text(digest + "\n")
    # What an older Bedboard left: formatted storage and no credentials file.
    (tmp_path / "kafka" / "data").mkdir(parents=True)
    (tmp_path / "kafka" / "data" / "meta.properties").write_text("version=1\nnode.id=1\n")

    with pytest.raises(broker.BrokerError, match="before Kafka required authentication"):
        broker.start(port=broker.free_port_pair(), data_dir=tmp_path / "kafka", jars_dir=jars)


def test_a_listening_port_is_not_free() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert broker.port_free(port) is False
    assert broker.port_free(port) is True


def test_free_port_pair_gives_two_free_ports() -> None:
    port = broker.free_port_pair()

    assert broker.port_free(port) and broker.port_free(port + 1)


def test_start_refuses_a_taken_controller_port(tmp_path: Path) -> None:
    port = broker.free_port_pair()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port + 1))
        server.listen()

        with pytest.raises(broker.BrokerError, match=f"port {port + 1} .* already taken"):
            broker.start(port=port, data_dir=tmp_path / "kafka", jars_dir=tmp_path / "jars")
    assert not (tmp_path / "jars").exists()


def test_start_without_java_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(broker.BrokerError, match="Java"):
        broker.start(port=broker.free_port_pair(), data_dir=tmp_path / "kafka")


def test_fetching_jars_without_maven_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(broker.BrokerError, match="Maven"):
        broker.fetch_jars(tmp_path / "jars")


def test_fetched_jars_need_no_maven_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jars = tmp_path / "jars"
    jars.mkdir()
    digest = hashlib.sha256(broker.POM.read_bytes()).hexdigest()
    (jars / ".pom-sha256").write_text(digest + "\n")
    monkeypatch.setenv("PATH", str(tmp_path))

    assert broker.fetch_jars(jars) == jars.resolve()


def test_a_stale_pid_file_means_not_running(tmp_path: Path) -> None:
    (tmp_path / "server.properties").write_text(render_server_properties(19092, tmp_path, SECRETS))
    # This test's own pid is alive but is no broker.
    (tmp_path / "broker.pid").write_text(f"{os.getpid()}\n")

    state = broker.status(tmp_path)

    assert state["running"] is False and state["pid"] is None and state["port"] == 19092
    assert broker.stop(tmp_path) is False
    assert not (tmp_path / "broker.pid").exists()


def test_secrets_for_a_broker_started_elsewhere_are_kept_and_owner_only(tmp_path: Path) -> None:
    first = write_broker_secrets(tmp_path)
    made = read(tmp_path / "credentials.json")
    again = write_broker_secrets(tmp_path)

    assert first == again and [p.name for p in first] == [
        "credentials.json",
        "broker-security.properties",
        "scram-arguments",
    ]
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in first)
    assert read(tmp_path / "credentials.json") == made and made is not None
    props = parse((tmp_path / "broker-security.properties").read_text())
    assert props["super.users"] == "User:admin;User:controller"
    assert f"password={made.passwords['alerts']}]" in (tmp_path / "scram-arguments").read_text()


def test_the_acls_follow_what_the_consumers_read() -> None:
    # Kept apart to spare bedboard an import of consumers; held together here.
    from consumers.alerts import AlertProcessor
    from consumers.rollup import ROLLED_UP

    assert acls.REPLICA_READS == ROLLED_UP
    processor = AlertProcessor(Settings(topic_prefix="p."), lambda events: None)  # type: ignore[arg-type,return-value]
    assert processor.group_id == "p." + acls.ALERTS_GROUP
    assert {g.name for g in acls.GRANTS if g.resource == "topic"} <= set(TOPICS)


# --- a local cluster ------------------------------------------------------------------------------


def test_each_node_of_a_cluster_knows_every_voter(tmp_path: Path) -> None:
    ports = [29092, 29094, 29096]
    nodes = [parse(render_cluster_node(i, ports, tmp_path / f"n{i}", SECRETS)) for i in (1, 2, 3)]

    assert [n["node.id"] for n in nodes] == ["1", "2", "3"]
    voters = "1@127.0.0.1:29093,2@127.0.0.1:29095,3@127.0.0.1:29097"
    assert {n["controller.quorum.voters"] for n in nodes} == {voters}
    assert nodes[1]["listeners"] == "BROKER://127.0.0.1:29094,CONTROLLER://127.0.0.1:29095"
    assert all(n["process.roles"] == "broker,controller" for n in nodes)
    assert all("controller.quorum.bootstrap.servers" not in n for n in nodes)
    # The same sign-in and ACLs as a single broker, on every node.
    single = parse(render_server_properties(9092, tmp_path, SECRETS))
    for node in nodes:
        assert {k: v for k, v in node.items() if "sasl" in k or "super" in k or "acl" in k} == {
            k: v for k, v in single.items() if "sasl" in k or "super" in k or "acl" in k
        }


def test_three_nodes_keep_three_copies_and_want_two(tmp_path: Path) -> None:
    props = parse(render_cluster_node(2, [1, 3, 5], tmp_path, SECRETS))

    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"
    single = parse(render_server_properties(9092, tmp_path, SECRETS))
    assert (single["default.replication.factor"], single["min.insync.replicas"]) == ("1", "1")


@pytest.mark.parametrize(
    ("brokers", "expected"), [(1, (1, 1)), (2, (2, 1)), (3, (3, 2)), (6, (3, 2)), (0, (1, 1))]
)
def test_replication_follows_the_brokers_found(brokers: int, expected: tuple[int, int]) -> None:
    assert replication(brokers) == expected


def test_a_cluster_is_laid_out_once_and_kept(tmp_path: Path) -> None:
    made = cluster.layout(tmp_path / "kafka", nodes=3, port=29092)

    assert made.ports == (29092, 29094, 29096)
    assert made.bootstrap == "127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096"
    assert [n.dir.name for n in made.nodes] == ["node-1", "node-2", "node-3"]
    assert cluster.is_cluster(tmp_path / "kafka")
    assert cluster.layout(tmp_path / "kafka") == made  # the same cluster id, every time
    with pytest.raises(broker.BrokerError, match="cluster of 3 nodes, not 5"):
        cluster.layout(tmp_path / "kafka", nodes=5)
    with pytest.raises(broker.BrokerError, match="nodes 1 to 3"):
        made.node(4)


def test_a_cluster_is_not_laid_over_a_single_broker(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "meta.properties").write_text("node.id=1\n")

    with pytest.raises(broker.BrokerError, match="single-node broker"):
        cluster.layout(tmp_path, nodes=3)
    with pytest.raises(broker.BrokerError, match="2 to 9 nodes"):
        cluster.layout(tmp_path / "other", nodes=1)


def test_status_of_a_stopped_cluster_names_every_node(tmp_path: Path) -> None:
    made = cluster.layout(tmp_path, nodes=3, port=29092)

    found = cluster.status(made)

    assert [(n["node"], n["pid"], n["port"], n["role"]) for n in found] == [
        (1, None, 29092, "stopped"),
        (2, None, 29094, "stopped"),
        (3, None, 29096, "stopped"),
    ]
    assert cluster.stop(made) == []


def test_broker_status_of_a_stopped_cluster_lists_every_node(tmp_path: Path) -> None:
    import subprocess
    import sys

    cluster.layout(tmp_path / "kafka", nodes=3, port=29092)
    done = subprocess.run(
        [sys.executable, "-m", "bedboard", "broker", "status", "--dir", str(tmp_path / "kafka")],
        capture_output=True,
        text=True,
        env=os.environ | {"BEDBOARD_LANG": "en", "BEDBOARD_DATA_DIR": str(tmp_path)},
        check=False,
    )

    assert done.returncode == 1  # not all nodes run
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["node", "pid", "ports", "role"]
    assert [line.split() for line in lines[1:4]] == [
        ["1", "-", "29092/29093", "stopped"],
        ["2", "-", "29094/29095", "stopped"],
        ["3", "-", "29096/29097", "stopped"],
    ]
    assert lines[4] == "bootstrap: 127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096"


def test_free_ports_lie_below_the_range_outgoing_connections_take() -> None:
    """A client's socket cannot take a broker's port between the probe and the bind, nor while
    a node is stopped for a test: the ports come from below the kernel's ephemeral range."""
    low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for _ in range(20):
        port = broker.free_ports(6)
        assert not low <= port <= high and not low <= port + 5 <= high
        assert all(broker.port_free(p) for p in range(port, port + 6))
