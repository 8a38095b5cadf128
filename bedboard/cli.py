"""The `bedboard` command: parse arguments, build settings, run the command named."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from bedboard.commands import (
    alerts,
    api,
    checkpoint,
    consume,
    export,
    export_options,
    infra,
    lapses,
    notify,
    produce,
    returns,
    serve,
    summary,
    users,
)
from bedboard.console import FAILED, USAGE, text, warn
from bedboard.credentials import OPERATOR, CredentialsError
from bedboard.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
Options = Callable[[argparse.ArgumentParser], None]


def no_options(parser: argparse.ArgumentParser) -> None:
    """For a command that takes no arguments."""


@dataclass(frozen=True)
class Command:
    """One subcommand: its one-line help, what runs it, what adds its arguments, and who it is
    on Kafka (its credentials and ACLs)."""

    help: str
    run: Handler
    options: Options = no_options
    principal: str = OPERATOR


# Every subcommand, in the order `bedboard --help` lists them. A new one is a row here: its
# handler and its options live in a module of bedboard/commands/.
COMMANDS: dict[str, Command] = {
    "broker": Command(
        "a local Apache Kafka (KRaft): one node, or a cluster (--nodes 3)",
        infra.broker_command,
        infra.broker_options,
    ),
    "topics": Command("create the topics if missing", infra.topics),
    "facilities": Command("the facility registry", produce.facilities, produce.facilities_options),
    "publish": Command(
        "validate and publish a JSON-lines file (- for stdin)",
        produce.publish,
        produce.publish_options,
    ),
    "rollup": Command(
        "roll the topics up into a DuckDB replica",
        consume.rollup,
        consume.rollup_options,
        principal="replica",
    ),
    "status": Command(
        "ingest counts of a replica", consume.status, consume.status_options, principal="replica"
    ),
    "checkpoint": Command(
        "write a checkpoint of a replica now",
        checkpoint.checkpoint_command,
        checkpoint.checkpoint_options,
        principal="replica",
    ),
    "simulate": Command(
        "a realistic stream of capacity reports", produce.simulate, produce.simulate_options
    ),
    "users": Command("the dashboard's local accounts", users.users, users.users_options),
    "snapshot": Command(
        "catch up, then export the snapshot of a day or time",
        export.snapshot_command,
        export_options.snapshot_options,
        principal="replica",
    ),
    "report": Command(
        "per day, district and bed type at the daily cutoff; or a return with --layout",
        returns.report_command,
        export_options.report_options,
        principal="replica",
    ),
    "summary": Command(
        "catch up, then print the meeting summary since a time to a PDF",
        summary.summary_command,
        summary.summary_options,
        principal="replica",
    ),
    "import-return": Command(
        "read a return (CSV in UTF-8 or Shift_JIS, or XLSX) back in as events",
        returns.import_return,
        returns.import_options,
    ),
    "opendata": Command(
        "write the day's open-data files, dictionary and manifest into a folder",
        returns.opendata_command,
        returns.opendata_options,
        principal="replica",
    ),
    "open-feed": Command(
        "serve the open-data feed over HTTP, no sign-in (when the HTTP API does not)",
        returns.open_feed_command,
        returns.feed_options,
        principal="replica",
    ),
    "alerts": Command(
        "derive alerts from the capacity stream",
        alerts.alerts,
        alerts.alerts_options,
        principal="alerts",
    ),
    "notify": Command(
        "send webhooks and e-mails to the subscribers of requests, answers and alerts",
        notify.notify,
        notify.notify_options,
        principal="notify",
    ),
    "lapses": Command(
        "flag unanswered placement requests and lapse bed holds, on the log",
        lapses.lapses,
        lapses.lapses_options,
        principal="alerts",  # the principal of processors that derive events from the log
    ),
    "dashboard": Command("the Streamlit app", serve.dashboard, serve.port_option),
    "api": Command("the HTTP API for hospital systems", api.api, api.api_options, principal="api"),
    "tokens": Command("the HTTP API's tokens", api.tokens, api.tokens_options),
    "outbox": Command(
        "what waits in the local outbox; then send it", api.outbox, api.outbox_options
    ),
    "demo": Command(
        "broker, topics, demo city, simulator, dashboard and API", serve.demo, serve.demo_options
    ),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bedboard", description="Live, shared hospital-bed status.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.options(sub.add_parser(name, help=command.help))
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # kafka-python narrates every connection; what matters reaches the user through our messages.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    args = parser().parse_args(argv)
    # Everything this process and its children create (replicas and their WAL, the outbox,
    # accounts, broker data, credentials) is readable by its owner only.
    os.umask(0o077)
    try:
        settings = Settings().as_principal(COMMANDS[args.command].principal)
    except ValueError as error:
        warn(f"configuration: {error}")
        return USAGE
    try:
        return COMMANDS[args.command].run(args, settings)
    except KeyboardInterrupt:
        return FAILED
    except CredentialsError as error:
        warn(text(settings, "kafka_credentials", error=error))
        return FAILED
