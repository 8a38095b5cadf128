"""`bedboard rollup` and `bedboard status`: the read side from the command line."""

from __future__ import annotations

import argparse
import contextlib
import threading
from pathlib import Path

import duckdb
from kafka.errors import KafkaError

from bedboard import service
from bedboard.console import DONE, FAILED, row, say, text, warn
from bedboard.settings import Settings
from consumers.replica import checkpointer, seed
from consumers.rollup import DlqUnavailable, Rollup, TopicsMissing, tune_gc
from consumers.store import ReplicaLocked, Store, connect
from producers.publisher import Publisher


def rollup_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path)
    p.add_argument("--until-caught-up", action="store_true")
    p.add_argument("--from-checkpoint", type=Path, metavar="DIR", help="start a new replica")


def rollup(args: argparse.Namespace, settings: Settings) -> int:
    """Roll up until caught up (if asked) or until SIGTERM or Ctrl-C."""
    with service.stop_on_signals(threading.Event()) as stop:
        return _rollup(args, settings, stop)


def _rollup(args: argparse.Namespace, settings: Settings, stop: threading.Event) -> int:
    path = args.db or settings.replica_path("rollup")
    try:
        seeded = seed(settings, path, args.from_checkpoint)
        con = connect(path)
    except ReplicaLocked as error:
        warn(str(error))
        return FAILED
    if seeded:
        say(text(settings, "seeded", name=seeded.name, path=path))
    store = Store(con.cursor())
    checkpoints = checkpointer(settings, con, store.lock)
    try:
        with Publisher(settings) as publisher:
            job = Rollup(settings, store, publisher.send_dlq, publisher.flush)
            tune_gc()
            if checkpoints:
                checkpoints.start()
            say(text(settings, "rolling_up", path=path))
            read = job.run(stop, until_caught_up=args.until_caught_up)
    except TopicsMissing as error:
        warn(str(error))
        return FAILED
    except DlqUnavailable as error:
        warn(text(settings, "dlq", error=error))
        return FAILED
    except KafkaError as error:
        warn(text(settings, "broker", error=type(error).__name__))
        return FAILED
    except duckdb.Error as error:
        # Typically a full disk: the batch being written rolled back with its offsets.
        warn(text(settings, "replica_unwritable", path=path, error=error))
        return FAILED
    finally:
        if checkpoints:
            checkpoints.stop()
        with contextlib.suppress(duckdb.Error):  # a failed write may have closed it already
            con.close()
    say(text(settings, "rolled_up", read=read, path=path))
    return DONE


def status_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path)


def status(args: argparse.Namespace, settings: Settings) -> int:
    """The ingest counts of a replica: every record read is applied, a duplicate or rejected."""
    from bedboard.commands.api import describe_outbox

    path = args.db or settings.replica_path("rollup")
    if not path.exists():
        describe_outbox(settings)  # what this machine has not sent yet, replica or not
        warn(text(settings, "no_replica", path=path))
        return FAILED
    try:
        con = connect(path, read_only=True)
    except ReplicaLocked as error:
        warn(str(error))
        return FAILED
    try:
        rows = con.execute(
            "SELECT topic, read, applied, duplicates, rejected FROM ingest_counts ORDER BY topic"
        ).fetchall()
        reasons = con.execute(
            "SELECT topic, reason, count(*) FROM rejected GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        (rejected_rows,) = con.execute("SELECT count(*) FROM rejected").fetchall()[0]
    finally:
        con.close()
    say(text(settings, "header", path=path))
    if not rows:
        say(text(settings, "empty"))
        describe_outbox(settings)
        return DONE
    widths = (-12, 10, 10, 12, 10)
    say(row(text(settings, "columns").split(), widths))
    for topic, read, applied, dups, rejected in rows:
        ok = text(settings, "yes" if read == applied + dups + rejected else "no")
        say(row([topic, read, applied, dups, rejected, ok], widths))
    for topic, reason, count in reasons:
        say(text(settings, "reason", topic=topic, reason=reason, count=count))
    say(text(settings, "rejected_rows", rows=rejected_rows))
    describe_outbox(settings)
    balanced = all(r[1] == r[2] + r[3] + r[4] for r in rows)
    return DONE if balanced and rejected_rows == sum(r[4] for r in rows) else FAILED
