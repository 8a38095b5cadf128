"""The `bedboard` command: parse arguments, build settings, wire, run."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from bedboard.settings import Settings

DONE, FAILED, USAGE, REJECTED = 0, 1, 2, 3
Handler = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = handler
        return handler

    return register


def say(text: str = "") -> None:
    """What the command tells the person running it."""
    sys.stdout.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(text + "\n")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bedboard", description="Live, shared hospital-bed status.")
    sub = p.add_subparsers(dest="command", required=True)

    broker = sub.add_parser("broker", help="a local single-node Apache Kafka (KRaft)")
    broker.add_argument("action", choices=["start", "stop", "status", "fetch"])
    broker.add_argument("--port", type=int, default=9092)
    broker.add_argument("--dir", type=Path, default=None, help="data dir (default .bedboard/kafka)")

    sub.add_parser("topics", help="create the topics if missing")

    fac = sub.add_parser("facilities", help="the facility registry")
    fac.add_argument("action", choices=["import"])
    fac.add_argument("file", type=Path)

    pub = sub.add_parser("publish", help="validate and publish a JSON-lines file (- for stdin)")
    pub.add_argument("file")

    roll = sub.add_parser("rollup", help="roll the topics up into a DuckDB replica")
    roll.add_argument("--db", type=Path)
    roll.add_argument("--until-caught-up", action="store_true")

    sub.add_parser("status", help="ingest counts of a replica").add_argument("--db", type=Path)

    sim = sub.add_parser("simulate", help="a realistic stream of capacity reports")
    sim.add_argument("--facilities", type=int, default=8)
    sim.add_argument("--rate", type=float, default=2.0, help="reports per second")
    sim.add_argument("--duration", type=float, default=None, help="seconds (default: forever)")
    sim.add_argument(
        "--wave-minutes", type=float, default=10.0, help="minutes for the epidemic wave to play out"
    )
    sim.add_argument(
        "--left-to-people",
        action="append",
        default=[],
        metavar="FACILITY",
        help="report once for this facility, then leave it to its staff (repeatable)",
    )

    users = sub.add_parser("users", help="the dashboard's local accounts")
    users.add_argument("action", choices=["add", "remove", "list"])
    users.add_argument("username", nargs="?")
    users.add_argument("extra", nargs="*", help=argparse.SUPPRESS)  # refused: never a password
    users.add_argument("--role", choices=["hospital_staff", "coordinator", "official", "admin"])
    users.add_argument("--facility", action="append", default=[], help="facility id (staff)")
    users.add_argument("--sso", action="store_true", help="no password: single sign-on only")

    snap = sub.add_parser("snapshot", help="catch up, then export the snapshot of a day or time")
    snap.add_argument("--db", type=Path)
    when = snap.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", help="YYYY-MM-DD: that day at the cutoff")
    when.add_argument("--as-of", dest="as_of", help="RFC 3339 time with an offset")
    snap.add_argument("--cutoff", help="HH:MM (default BEDBOARD_SNAPSHOT_CUTOFF, 09:00)")
    snap.add_argument("--known-at", dest="known_at", help="RFC 3339: reports received by then")
    snap.add_argument(
        "--format", required=True, choices=["csv", "xlsx", "parquet", "json", "fhir", "have"]
    )
    snap.add_argument("-o", "--output", required=True, help="file to write (- for stdout)")

    rep = sub.add_parser("report", help="per day, district and bed type at the daily cutoff")
    rep.add_argument("--db", type=Path)
    rep.add_argument("--from", dest="from_day", required=True, help="YYYY-MM-DD")
    rep.add_argument("--to", dest="to_day", required=True, help="YYYY-MM-DD")
    rep.add_argument("--cutoff", help="HH:MM (default BEDBOARD_SNAPSHOT_CUTOFF, 09:00)")
    rep.add_argument("--known-at", dest="known_at", help="RFC 3339: reports received by then")
    rep.add_argument("--format", required=True, choices=["csv", "xlsx"])
    rep.add_argument("-o", "--output", required=True, help="file to write (- for stdout)")

    alerts = sub.add_parser("alerts", help="derive alerts from the capacity stream")
    alerts.add_argument("--until-caught-up", action="store_true")
    alerts.add_argument("--threshold", type=float, help="occupancy rate that raises (e.g. 0.95)")

    dash = sub.add_parser("dashboard", help="the Streamlit app")
    dash.add_argument("--port", type=int, default=8501)

    demo = sub.add_parser("demo", help="broker, topics, demo city, simulator and dashboard")
    demo.add_argument("--port", type=int, default=8501)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # kafka-python narrates every connection; what matters reaches the user through our messages.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as error:
        warn(f"configuration: {error}")
        return USAGE
    from bedboard import commands  # noqa: F401  (registers the handlers)

    try:
        return COMMANDS[args.command](args, settings)
    except KeyboardInterrupt:
        return FAILED
