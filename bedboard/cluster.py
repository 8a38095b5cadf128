"""A replicated local cluster: several KRaft nodes on this machine, each broker and controller."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from kafka.errors import KafkaError

from bedboard import broker, credentials
from bedboard.admin import admin_client
from bedboard.broker import BrokerError
from bedboard.broker_config import HOST, render_cluster_node
from bedboard.broker_setup import credentials_file, fetch_jars, format_storage, new_cluster_id
from bedboard.credentials import OPERATOR

log = logging.getLogger(__name__)

LAYOUT_FILE = "cluster.json"
MAX_NODES = 9


@dataclass(frozen=True)
class Node:
    """One node of the cluster: its id (1-based), client port (the controller's is port + 1)
    and folder."""

    id: int
    port: int
    dir: Path

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"


@dataclass(frozen=True)
class Layout:
    """Where a cluster's nodes live and listen, and its cluster id, as cluster.json keeps it."""

    base: Path
    ports: tuple[int, ...]
    cluster_id: str

    @property
    def nodes(self) -> list[Node]:
        return [Node(i, p, self.base / f"node-{i}") for i, p in enumerate(self.ports, start=1)]

    @property
    def bootstrap(self) -> str:
        """Every node's address: a client that finds one node down asks the next."""
        return ",".join(node.address for node in self.nodes)

    def node(self, node_id: int) -> Node:
        if not 1 <= node_id <= len(self.ports):
            raise BrokerError(f"--node {node_id}: the cluster has nodes 1 to {len(self.ports)}")
        return self.nodes[node_id - 1]


def is_cluster(base: Path) -> bool:
    """Whether base holds a cluster (rather than a single broker, or nothing yet)."""
    return (base / LAYOUT_FILE).is_file()


def layout(base: Path, nodes: int | None = None, port: int | None = None) -> Layout:
    """The cluster of base; laid out (nodes on port, port + 2, ...) and written if new."""
    base = base.resolve()
    path = base / LAYOUT_FILE
    if path.is_file():
        body = json.loads(path.read_text())
        found = Layout(base, tuple(body["ports"]), body["cluster_id"])
        if nodes is not None and nodes != len(found.ports):
            raise BrokerError(
                f"{base} holds a cluster of {len(found.ports)} nodes, not {nodes}; use another "
                "--dir for another cluster"
            )
        if port is not None and port != found.ports[0]:
            raise BrokerError(f"the cluster of {base} listens on port {found.ports[0]}, not {port}")
        return found
    if nodes is None or not 2 <= nodes <= MAX_NODES:
        raise BrokerError(f"--nodes: a local cluster has 2 to {MAX_NODES} nodes")
    if (base / "data" / "meta.properties").exists():
        raise BrokerError(
            f"{base} holds a single-node broker; a cluster needs a folder of its own (--dir)"
        )
    first = 9092 if port is None else port
    made = Layout(base, tuple(first + 2 * i for i in range(nodes)), new_cluster_id())
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    path.write_text(json.dumps({"ports": made.ports, "cluster_id": made.cluster_id}) + "\n")
    return made


def start(cluster: Layout, jars_dir: Path, only: int | None = None, timeout: float = 120) -> str:
    """Start every node of the cluster (or node `only`) that is not running; return once each
    started one is registered and unfenced. Returns the bootstrap addresses."""
    deadline = time.monotonic() + timeout
    java = shutil.which("java")
    if java is None:
        raise BrokerError("Java ('java', version 17 or later) is not on PATH; the broker needs it.")
    wanted = cluster.nodes if only is None else [cluster.node(only)]
    jars = fetch_jars(jars_dir)
    secrets = credentials.read_or_create(credentials_file(cluster.base))
    pids = {node.id: broker.running_pid(node.dir) for node in wanted}
    idle = [node for node in wanted if pids[node.id] is None]
    # Each launch formats a new node first (a JVM run of its own): side by side, not in turn.
    with ThreadPoolExecutor(max_workers=len(idle) or 1) as pool:
        launch = partial(_launch, java, f"{jars}/*", cluster, secrets=secrets)
        pids |= dict(zip([node.id for node in idle], pool.map(launch, idle), strict=True))
    # A node answers once a majority of the quorum runs: wait for all only after starting all.
    hint = f" (a majority of the {len(cluster.ports)} nodes must run for any of them to serve)"
    for node in wanted:
        pid = pids[node.id]
        assert pid is not None  # running, or launched just now
        broker.wait_until(partial(_registered, cluster, node), node.dir, pid, deadline, hint)
    return cluster.bootstrap


def stop(cluster: Layout, only: int | None = None, timeout: float = 60) -> list[int]:
    """Stop every node (or node `only`); returns the ids of those that were running."""
    nodes = cluster.nodes if only is None else [cluster.node(only)]
    running = [(node, pid) for node in nodes if (pid := broker.running_pid(node.dir)) is not None]
    # All at once: stopped one by one, the last nodes would wait for a quorum already gone.
    for _, pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for node, pid in running:
        broker.wait_for_exit(pid, max(0.0, deadline - time.monotonic()))
        broker.stop(node.dir, timeout=0)  # removes the pid file; kills what is still there
    return [node.id for node, _ in running]


def status(cluster: Layout) -> list[dict[str, object]]:
    """Each node: its id, pid (None when stopped), ports, folder and role in the quorum."""
    pids = {node.id: broker.running_pid(node.dir) for node in cluster.nodes}
    leader, voters = _quorum(cluster, [n for n in cluster.nodes if pids[n.id] is not None])
    return [
        {
            "node": node.id,
            "pid": pids[node.id],
            "port": node.port,
            "controller_port": node.port + 1,
            "role": _role(node.id, pids[node.id] is not None, leader, voters),
            "data_dir": str(node.dir),
        }
        for node in cluster.nodes
    ]


def _role(node_id: int, running: bool, leader: int | None, voters: set[int]) -> str:
    """The node's part: 'leader' or 'follower' of the controller quorum (and a broker, as every
    node of a local cluster is), 'broker' only, 'stopped', or 'unknown' while no quorum answers."""
    if not running:
        return "stopped"
    if leader is None:
        return "unknown"
    if node_id == leader:
        return "leader"
    return "follower" if node_id in voters else "broker"


def _quorum(cluster: Layout, running: list[Node]) -> tuple[int | None, set[int]]:
    """The metadata quorum's leader and voters, as the running nodes report it."""
    options = _operator_options(cluster, running)
    if options is None:
        return None, set()
    try:
        with admin_client(options, timeout=3) as client:
            answer = client.describe_metadata_quorum()
    except (OSError, KafkaError):
        return None, set()
    partition = answer["topics"][0]["partitions"][0]
    voters = {int(v["replica_id"]) for v in partition["current_voters"]}
    leader = int(partition["leader_id"])
    return (leader if leader >= 0 else None), voters


def _registered(cluster: Layout, node: Node) -> bool:
    """Whether node listens and the cluster lists it as a broker, unfenced."""
    options = _operator_options(cluster, [node])
    if options is None or not broker.answers(node.address, credentials_file(cluster.base)):
        return False
    try:
        with admin_client(options, timeout=3) as client:
            brokers = client.describe_cluster()["brokers"]
    except (OSError, KafkaError):
        return False
    return any(b["broker_id"] == node.id and not b.get("is_fenced", False) for b in brokers)


def _operator_options(cluster: Layout, nodes: list[Node]) -> dict[str, object] | None:
    secrets = credentials.read(credentials_file(cluster.base))
    if secrets is None or not nodes:
        return None
    servers = [node.address for node in nodes]
    return {"bootstrap_servers": servers, **secrets.client_options(OPERATOR)}


def _launch(
    java: str,
    classpath: str,
    cluster: Layout,
    node: Node,
    *,
    secrets: credentials.LocalCredentials,
) -> int:
    for wanted in (node.port, node.port + 1):
        if not broker.port_free(wanted):
            raise BrokerError(
                f"port {wanted} on {HOST} is already taken by another program; node {node.id} "
                f"needs ports {node.port} and {node.port + 1}"
            )
    node.dir.mkdir(parents=True, exist_ok=True)
    node.dir.chmod(0o700)
    properties = node.dir / "server.properties"
    # It holds the broker's own passwords: owner only, before a byte is written.
    properties.touch(mode=0o600)
    properties.chmod(0o600)
    properties.write_text(render_cluster_node(node.id, list(cluster.ports), node.dir, secrets))
    if not (node.dir / "data" / "meta.properties").exists():
        format_storage(java, classpath, node.dir, secrets, cluster.cluster_id)
    pid = broker.launch(java, classpath, node.dir, broker.CLUSTER_HEAP)
    log.info("started node %d (pid %d) on %s", node.id, pid, node.address)
    return pid
