"""The local broker's server.properties: one KRaft node that authenticates and authorizes."""

from __future__ import annotations

from pathlib import Path

from bedboard.credentials import CONTROLLER, OPERATOR, LocalCredentials

HOST = "127.0.0.1"
BROKER_LISTENER = "BROKER"
CONTROLLER_LISTENER = "CONTROLLER"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def render_server_properties(port: int, data_dir: Path, credentials: LocalCredentials) -> str:
    """The server.properties of a single-node broker on port and its controller on port + 1."""
    settings = _node(port, data_dir) | security_properties(credentials) | _single_node_tuning()
    return properties(settings)


def properties(settings: dict[str, str]) -> str:
    """settings in the server.properties format."""
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _node(port: int, data_dir: Path) -> dict[str, str]:
    broker, controller = f"{HOST}:{port}", f"{HOST}:{port + 1}"
    listeners = f"{BROKER_LISTENER}://{broker},{CONTROLLER_LISTENER}://{controller}"
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": listeners,
        "advertised.listeners": listeners,
        "listener.security.protocol.map": (
            f"{BROKER_LISTENER}:SASL_PLAINTEXT,{CONTROLLER_LISTENER}:SASL_PLAINTEXT"
        ),
        "inter.broker.listener.name": BROKER_LISTENER,
        "controller.listener.names": CONTROLLER_LISTENER,
        "controller.quorum.bootstrap.servers": controller,
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


def _single_node_tuning() -> dict[str, str]:
    return {
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        # One node: every internal topic has one replica, and one partition so that the first
        # consumer group or transaction does not wait for 50 partitions to be created.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
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
