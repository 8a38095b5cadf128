"""`bedboard facilities import`, `bedboard publish` and `bedboard simulate`: the write side."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import re
import secrets
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bedboard import service
from bedboard.console import DONE, REJECTED, USAGE, say, text, warn
from bedboard.settings import Settings
from producers.demo_city import demo_registry, synthetic_facilities
from producers.jsonl import read_jsonl
from producers.publisher import Publisher, Receipt
from producers.registry import read_registry_csv
from producers.simulator import Simulator
from schemas.events import Actor, Event

CHUNK = 1000  # events per publish call, so that a large file is not one huge batch


def facilities_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["import"])
    p.add_argument("file", type=Path)


def facilities(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the whole registry CSV; publish it only when every row is valid."""
    path: Path = args.file
    if not path.is_file():
        warn(text(settings, "no_file", path=path))
        return USAGE
    events, problems = read_registry_csv(path, _cli_actor(), datetime.now(UTC))
    if problems:
        for problem in problems:
            warn(f"{path}: {problem.message(settings.lang)}")
        warn(text(settings, "registry_rejected", path=path, count=len(problems)))
        return REJECTED
    with Publisher(settings) as publisher:
        receipt = _publish(publisher, events, settings)
    if receipt.sent:
        say(text(settings, "registered", count=receipt.sent))
    return DONE


def publish_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file")


def publish(args: argparse.Namespace, settings: Settings) -> int:
    """Publish the valid lines of a JSON-lines file; name every invalid line and why."""
    with _lines(args.file) as lines:
        if lines is None:
            warn(text(settings, "no_file", path=args.file))
            return USAGE
        events, problems = read_jsonl(lines, now=datetime.now(UTC))
    for problem in problems:
        warn(problem.message(settings.lang))
    with Publisher(settings) as publisher:
        receipt = _publish(publisher, events, settings)
    summary = {"sent": receipt.sent, "queued": receipt.queued, "rejected": len(problems)}
    say(text(settings, "publish_summary", **summary))
    return REJECTED if problems else DONE


def simulate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--facilities", type=int, default=8)
    p.add_argument("--rate", type=float, default=2.0, help="reports per second")
    p.add_argument("--duration", type=float, default=None, help="seconds (default: forever)")
    p.add_argument(
        "--wave-minutes", type=float, default=10.0, help="minutes for the epidemic wave to play out"
    )
    p.add_argument(
        "--left-to-people",
        action="append",
        default=[],
        metavar="FACILITY",
        help="report once for this facility, then leave it to its staff (repeatable)",
    )


def simulate(args: argparse.Namespace, settings: Settings) -> int:
    """The demo city's hospitals (and invented ones beyond eight) reporting along a real wave."""
    for name in ("facilities", "rate", "wave_minutes"):
        if getattr(args, name) <= 0:
            warn(text(settings, "bad_number", name="--" + name.replace("_", "-")))
            return USAGE
    now = datetime.now(UTC)
    demo = demo_registry(now)[: args.facilities]
    # The demo city is registered by `facilities import`; only invented facilities are new.
    synthetic = synthetic_facilities(args.facilities - len(demo), now)
    # A fresh seed per run: a repeated seed repeats event ids, which consumers drop.
    simulator = Simulator(
        demo + synthetic,
        seed=secrets.randbits(64),
        wave_minutes=args.wave_minutes,
        left_to_people=args.left_to_people,
    )
    stop = threading.Event()
    with Publisher(settings) as publisher, service.stop_on_signals(stop):
        if synthetic:
            receipt = _publish(publisher, synthetic, settings)
            if receipt.sent:
                say(text(settings, "registered", count=receipt.sent))
        say(text(settings, "simulate_start", facilities=args.facilities, rate=args.rate,
                 wave=args.wave_minutes))  # fmt: skip
        total = simulator.run(publisher, args.rate, args.duration, stop)
    say(text(settings, "simulate_summary", sent=total.sent, queued=total.queued))
    return DONE


def _publish(publisher: Publisher, events: Sequence[Event], settings: Settings) -> Receipt:
    sent = queued = drained = 0
    # At least one call, even with no events: it sends what the outbox holds first.
    for start in range(0, max(len(events), 1), CHUNK):
        receipt = publisher.publish(events[start : start + CHUNK], source="cli")
        sent, queued, drained = (
            sent + receipt.sent,
            queued + receipt.queued,
            drained + receipt.drained,
        )
    if drained:
        say(text(settings, "drained", count=drained))
    if queued:
        warn(text(settings, "queued", count=queued, path=settings.outbox_path))
    return Receipt(sent, queued, drained)


@contextlib.contextmanager
def _lines(name: str) -> Iterator[Any]:
    """The file's lines as bytes (stdin for '-'), or None when there is no such file."""
    if name == "-":
        yield sys.stdin.buffer
        return
    path = Path(name)
    if not path.is_file():
        yield None
        return
    with path.open("rb") as handle:
        yield handle


def _cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        user = "unknown"
    # A login name may hold characters actor.user refuses (spaces, accents): those become _.
    return Actor(org="city_hall", user=re.sub(r"[^A-Za-z0-9._@+-]", "_", f"cli.{user}")[:64])
