"""`bedboard broker` and `bedboard topics`: the Kafka the rest stands on."""

from __future__ import annotations

import argparse
from pathlib import Path

from kafka.errors import KafkaError

from bedboard import admin, broker
from bedboard.broker_setup import write_broker_secrets
from bedboard.console import DONE, FAILED, say, text, warn
from bedboard.settings import Settings


def start_local_broker(settings: Settings, port: int, data_dir: Path | None = None) -> str:
    """Start (or find running) the local broker; return its bootstrap address."""
    return broker.start(
        port=port,
        data_dir=data_dir or settings.data_dir / "kafka",
        jars_dir=settings.data_dir / "jars",
    )


def broker_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["start", "stop", "status", "fetch", "credentials"])
    p.add_argument("--port", type=int, default=9092)
    p.add_argument("--dir", type=Path, default=None, help="data dir (default .bedboard/kafka)")


def broker_command(args: argparse.Namespace, settings: Settings) -> int:
    data_dir = args.dir or settings.data_dir / "kafka"
    try:
        if args.action == "start":
            say(
                broker.start(port=args.port, data_dir=data_dir, jars_dir=settings.data_dir / "jars")
            )
        elif args.action == "fetch":
            say(str(broker.fetch_jars(settings.data_dir / "jars")))
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
