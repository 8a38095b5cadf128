"""The local broker's server.properties: KRaft nodes that authenticate and authorize."""

from __future__ import annotations

from pathlib import Path

from bedboard.credentials import CONTROLLER, OPERATOR, LocalCredentials
from schemas.topics import replication

HOST = "127.0.0.1"
BROKER_LISTENER = "BROKER"
CONTROLLER_LISTENER = "CONTROLLER"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def render_server_properties(port: int, data_dir: Path, credentials: LocalCredentials) -> str:
    """The server.properties of a single-node broker on port and its controller on port + 1."""
    # A quorum of one found through its own address (format --standalone refuses static voters).
    quorum = {"controller.quorum.bootstrap.servers": f"{HOST}:{port + 1}"}
    settings = _node(1, port, data_dir, quorum) | security_properties(credentials) | _tuning(1)
    return properties(settings)


def render_cluster_node(
    node_id: int, ports: list[int], data_dir: Path, credentials: LocalCredentials
) -> str:
    """The server.properties of node node_id (1-based) of a local cluster whose nodes listen on
    ports (each a broker on P and a controller on P + 1), every node in the controller quorum."""
    # A static quorum: every node knows all the voters from the start, so that the three can be
    # formatted alike and started in any order.
    voters = ",".join(f"{i}@{HOST}:{p + 1}" for i, p in enumerate(ports, start=1))
    quorum = {"controller.quorum.voters": voters}
    settings = (
        _node(node_id, ports[node_id - 1], data_dir, quorum)
        | security_properties(credentials)
        | _tuning(len(ports))
    )
    return properties(settings)


def properties(settings: dict[str, str]) -> str:
    """settings in the server.properties format."""
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _node(node_id: int, port: int, data_dir: Path, quorum: dict[str, str]) -> dict[str, str]:
    broker, controller = f"{HOST}:{port}", f"{HOST}:{port + 1}"
    listeners = f"{BROKER_LISTENER}://{broker},{CONTROLLER_LISTENER}://{controller}"
    return {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "listeners": listeners,
        "advertised.listeners": listeners,
        "listener.security.protocol.map": (
            f"{BROKER_LISTENER}:SASL_PLAINTEXT,{CONTROLLER_LISTENER}:SASL_PLAINTEXT"
        ),
        "inter.broker.listener.name": BROKER_LISTENER,
        "controller.listener.names": CONTROLLER_LISTENER,
        **quorum,
        "log.dirs": str(data_dir / "data"),
    }


def security_properties(credentials: LocalCredentials) -> dict[str, str]:
    """SCRAM for clients, PLAIN for the controller, ACLs for everyone but the two super users
    (for a broker whose inter-broker listener is BROKER and controller listener CONTROLLER)."""
    scram = credentials.mechanism
    broker_login = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{OPERATOR}" password="{credentials.passwords[OPERATOR]}";'
    )
    # SCRAM users are stored in the metadata log, which the controller must serve before it can
    # read them; so the controller listener authenticates with a static PLAIN user of its own.
    secret = credentials.controller_password
    controller_login = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{CONTROLLER}" password="{secret}" user_{CONTROLLER}="{secret}";'
    )
    broker, controller = BROKER_LISTENER.lower(), CONTROLLER_LISTENER.lower()
    return {
        "sasl.enabled.mechanisms": scram,
        f"listener.name.{broker}.{scram.lower()}.sasl.jaas.config": broker_login,
        "sasl.mechanism.inter.broker.protocol": scram,
        f"listener.name.{controller}.sasl.enabled.mechanisms": "PLAIN",
        f"listener.name.{controller}.plain.sasl.jaas.config": controller_login,
        "sasl.mechanism.controller.protocol": "PLAIN",
        "authorizer.class.name": AUTHORIZER,
        # The operator creates topics and ACLs; the controller is the node talking to itself.
        "super.users": f"User:{OPERATOR};User:{CONTROLLER}",
        "allow.everyone.if.no.acl.found": "false",
    }


def _tuning(nodes: int) -> dict[str, str]:
    # Every topic, internal ones included, gets the replication its cluster can give: on three
    # nodes three copies, of which two must have a write before it is acknowledged.
    copies, in_sync = (str(n) for n in replication(nodes))
    return {
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        "default.replication.factor": copies,
        "min.insync.replicas": in_sync,
        # One partition for the internal topics, so that the first consumer group or
        # transaction does not wait for 50 partitions to be created.
        "offsets.topic.replication.factor": copies,
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": copies,
        "transaction.state.log.min.isr": in_sync,
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": copies,
        "share.coordinator.state.topic.min.isr": in_sync,
        "share.coordinator.state.topic.num.partitions": "1",
        # Consumers in tests and the demo join alone; waiting 3 s for more members is pure delay.
        "group.initial.rebalance.delay.ms": "0",
        # The compacted topics are small; the default 128 MiB buffer is a quarter of the heap.
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        "num.network.threads": "2",
        "num.io.threads": "4",
    }


def scram_arguments(credentials: LocalCredentials) -> list[str]:
    """StorageTool format's --add-scram arguments: every principal's SCRAM user."""
    arguments = []
    for name, password in credentials.passwords.items():
        arguments += ["--add-scram", f"{credentials.mechanism}=[name={name},password={password}]"]
    return arguments


def configured_port(server_properties: str) -> int | None:
    """The client port named in a server.properties' listeners."""
    for line in server_properties.splitlines():
        if line.startswith("listeners="):
            for listener in line.partition("=")[2].split(","):
                if not listener.startswith(f"{CONTROLLER_LISTENER}://"):
                    return int(listener.rsplit(":", 1)[1])
    return None
