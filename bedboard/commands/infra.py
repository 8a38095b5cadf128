"""`bedboard broker` and `bedboard topics`: the Kafka the rest stands on."""

from __future__ import annotations

import argparse
from pathlib import Path

from kafka.errors import KafkaError

from bedboard import admin, broker, cluster
from bedboard.broker_setup import write_broker_secrets
from bedboard.console import DONE, FAILED, row, say, text, warn
from bedboard.settings import Settings


def start_local_broker(settings: Settings, port: int, data_dir: Path | None = None) -> str:
    """Start (or find running) the local broker, or the local cluster if the folder holds one;
    return its bootstrap address(es)."""
    data_dir = data_dir or settings.data_dir / "kafka"
    jars = settings.data_dir / "jars"
    if cluster.is_cluster(data_dir):
        return cluster.start(cluster.layout(data_dir), jars)
    return broker.start(port=port, data_dir=data_dir, jars_dir=jars)


def stop_local_broker(settings: Settings, data_dir: Path | None = None) -> bool:
    """Stop the local broker (every node of a local cluster); False if none was running."""
    data_dir = data_dir or settings.data_dir / "kafka"
    if cluster.is_cluster(data_dir):
        return bool(cluster.stop(cluster.layout(data_dir)))
    return broker.stop(data_dir)


def broker_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["start", "stop", "status", "fetch", "credentials"])
    p.add_argument("--port", type=int, default=None, help="client port of node 1 (default 9092)")
    p.add_argument("--dir", type=Path, default=None, help="data dir (default .bedboard/kafka)")
    p.add_argument(
        "--nodes",
        type=int,
        default=None,
        help="start: a replicated cluster of this many nodes (e.g. 3) on ports P, P+2, ...",
    )
    p.add_argument("--node", type=int, default=None, help="start or stop this node of a cluster")


def broker_command(args: argparse.Namespace, settings: Settings) -> int:
    data_dir = args.dir or settings.data_dir / "kafka"
    jars = settings.data_dir / "jars"
    try:
        if args.action in ("start", "stop", "status") and (
            (args.nodes or 1) > 1 or args.node is not None or cluster.is_cluster(data_dir)
        ):
            return _cluster_command(args, settings, cluster.layout(data_dir, args.nodes, args.port))
        if args.action == "start":
            say(broker.start(port=args.port or 9092, data_dir=data_dir, jars_dir=jars))
        elif args.action == "fetch":
            say(str(broker.fetch_jars(jars)))
        elif args.action == "credentials":
            # For a broker this command does not start (docker-compose.yml's): never printed.
            for path in write_broker_secrets(data_dir):
                say(str(path))
        elif args.action == "stop":
            say(text(settings, "broker_stopped" if broker.stop(data_dir) else "broker_not_running"))
        else:
            state = broker.status(data_dir)
            for key, value in state.items():
                say(f"{key}: {value}")
            return DONE if state["running"] else FAILED
    except broker.BrokerError as error:
        warn(str(error))
        return FAILED
    return DONE


def _cluster_command(args: argparse.Namespace, settings: Settings, nodes: cluster.Layout) -> int:
    """start / stop / status of a local cluster, or of one of its nodes (--node)."""
    if args.action == "start":
        say(cluster.start(nodes, settings.data_dir / "jars", only=args.node))
    elif args.action == "stop":
        stopped = cluster.stop(nodes, only=args.node)
        ids = ", ".join(str(i) for i in stopped)
        key = "nodes_stopped" if stopped else "broker_not_running"
        say(text(settings, key, nodes=ids))
    else:
        found = cluster.status(nodes)
        say(text(settings, "nodes_columns"))
        for node in found:
            ports = f"{node['port']}/{node['controller_port']}"
            pid = node["pid"] or "-"
            role = text(settings, f"role_{node['role']}")
            say(row([node["node"], pid, ports, role], (-6, -9, -11)))
        say(f"bootstrap: {nodes.bootstrap}")
        say(f"credentials: {cluster.credentials_file(nodes.base)}")
        return DONE if all(node["pid"] for node in found) else FAILED
    return DONE


def topics(args: argparse.Namespace, settings: Settings) -> int:
    try:
        created = admin.create_topics(settings)
    except (KafkaError, admin.BrokerUnavailableError, OSError) as error:
        warn(text(settings, "kafka_unreachable", servers=settings.bootstrap_servers, error=error))
        return FAILED
    say(
        text(settings, "topics_created", topics=", ".join(created))
        if created
        else text(settings, "topics_exist")
    )
    return DONE
