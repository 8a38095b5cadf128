"""`bedboard snapshot` and `bedboard report`: the daily snapshot and the range report."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
from kafka.errors import KafkaError

from bedboard.commands.export_options import (
    BadOption,
    check_output,
    known_at_of,
    parse_cutoff,
    parse_day,
    snapshot_times,
)
from bedboard.console import DONE, FAILED, USAGE, say, text, warn
from bedboard.settings import Settings
from consumers import replica
from consumers.exports import FORMATS, report, snapshot
from consumers.replica import BrokerUnreachable
from consumers.rollup import TopicsMissing
from consumers.store import ReplicaLocked
from producers.publisher import Publisher, PublishError

Built = TypeVar("Built")


def catch_up(settings: Settings, path: Path) -> duckdb.DuckDBPyConnection:
    """Bring the command's own replica up to the end of the topics; returns the connection."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    publisher = Publisher(settings)
    con = replica.catch_up(settings, path, publisher.send_dlq, publisher.flush, stop=stop)
    publisher.close()
    return con


def caught_up_replica(
    args: argparse.Namespace, settings: Settings, tell: Callable[[str], None]
) -> duckdb.DuckDBPyConnection | int:
    """The caught-up replica of --db (default the snapshot replica), or the exit code."""
    path = args.db or settings.replica_path("snapshot")
    tell(text(settings, "catching_up", path=path))
    try:
        return catch_up(settings, path)
    except ReplicaLocked as error:
        warn(str(error))
    except (BrokerUnreachable, KafkaError, PublishError, TopicsMissing, OSError) as error:
        warn(text(settings, "broker_down", error=error))
    return FAILED


def write_output(target: str, data: bytes) -> str:
    """Write bytes to a file (replaced whole, never half-written) or to stdout for '-'."""
    if target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return "stdout"
    path = Path(target)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return str(path)


def built_and_written(
    args: argparse.Namespace,
    settings: Settings,
    tell: Callable[[str], None],
    build: Callable[[duckdb.DuckDBPyConnection], Built],
    render: Callable[[Built], bytes],
) -> tuple[Built, str] | int:
    """Catch the replica up, build from it and write the bytes whole to -o: (what was built,
    where it went), or the exit code with the reason said."""
    con = caught_up_replica(args, settings, tell)
    if isinstance(con, int):
        return con
    try:
        made = build(con.cursor())
    finally:
        con.close()
    try:
        return made, write_output(args.output, render(made))
    except OSError as error:
        warn(text(settings, "cannot_write", path=args.output, error=error))
        return FAILED


def snapshot_command(args: argparse.Namespace, settings: Settings) -> int:
    # With -o -, the file goes to stdout, so what people read goes to stderr.
    tell = warn if args.output == "-" else say
    try:
        as_of, known_at = snapshot_times(args, settings)
        check_output(args.output, settings)
    except BadOption as error:
        warn(str(error))
        return USAGE
    done = built_and_written(
        args,
        settings,
        tell,
        lambda cur: snapshot.build(
            cur,
            as_of=as_of,
            known_at=known_at,
            timezone=settings.timezone,
            stale_after=settings.stale_after,
        ),
        FORMATS[args.format].render,
    )
    if isinstance(done, int):
        return done
    taken, where = done
    meta = taken.metadata()
    tell(text(settings, "written", path=where, rows=len(taken.rows), **meta))
    return DONE


def report_command(args: argparse.Namespace, settings: Settings) -> int:
    tell = warn if args.output == "-" else say
    try:
        if not (args.from_day and args.to_day):
            raise BadOption(text(settings, "range_needs"))
        first = parse_day(args.from_day, "--from", settings)
        last = parse_day(args.to_day, "--to", settings)
        cutoff = parse_cutoff(args.cutoff, settings) if args.cutoff else settings.snapshot_cutoff
        known_at = known_at_of(args, settings)
        if last < first:
            raise BadOption(text(settings, "range_order"))
        span = (last - first).days + 1
        if span > report.MAX_DAYS:
            raise BadOption(text(settings, "range_too_long", most=report.MAX_DAYS, days=span))
        check_output(args.output, settings)
    except BadOption as error:
        warn(str(error))
        return USAGE
    done = built_and_written(
        args,
        settings,
        tell,
        lambda cur: report.build(
            cur,
            first,
            last,
            cutoff=cutoff,
            timezone=settings.timezone,
            stale_after=settings.stale_after,
            known_at=known_at,
        ),
        report.REPORT_FORMATS[args.format][0],
    )
    if isinstance(done, int):
        return done
    made, where = done
    tell(
        text(
            settings,
            "report_written",
            path=where,
            first=first,
            last=last,
            cutoff=cutoff.strftime("%H:%M"),
            rows=len(made.rows),
        )
    )
    return DONE
