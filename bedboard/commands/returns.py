"""Returns and open data: report --layout, opendata, open-feed, import-return."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import UTC
from pathlib import Path

from bedboard.commands.export import built_and_written, caught_up_replica
from bedboard.commands.export import report_command as range_report
from bedboard.commands.export_options import (
    BadOption,
    as_of_of,
    check_output,
    known_at_of,
    moment_options,
)
from bedboard.commands.produce import _cli_actor, _publish
from bedboard.console import DONE, FAILED, REJECTED, USAGE, say, text, warn
from bedboard.settings import Settings
from consumers.exports import open_feed, opendata, returns
from consumers.exports.snapshot import now
from consumers.replica import LiveReplica
from producers.from_return import Shape, read_return
from producers.publisher import Publisher
from schemas.events_v2 import BED_TYPES_V2


def opendata_options(p: argparse.ArgumentParser) -> None:
    moment_options(p)
    p.add_argument("--out", type=Path, required=True, help="folder to write into")


def check_severe(settings: Settings) -> None:
    """BEDBOARD_SEVERE_BED_TYPES names bed types of the contract (settings cannot know them)."""
    unknown = sorted(settings.severe - set(BED_TYPES_V2))
    if unknown or not settings.severe:
        raise BadOption(text(settings, "severe_unknown", codes=", ".join(unknown) or "''"))


def report_command(args: argparse.Namespace, settings: Settings) -> int:
    """`bedboard report`: a return with --layout, else the range report."""
    return return_report(args, settings) if args.layout else range_report(args, settings)


def return_report(args: argparse.Namespace, settings: Settings) -> int:
    """`bedboard report --layout NAME`: one return as of its cutoff, CSV (with BOM) or XLSX."""
    tell = warn if args.output == "-" else say
    try:
        try:
            layout = returns.load(args.layout)
        except KeyError:
            known = ", ".join(returns.layouts())
            raise BadOption(
                text(settings, "unknown_layout", name=args.layout, known=known)
            ) from None
        as_of = as_of_of(args, settings, layout.cutoff)
        known_at = known_at_of(args, settings)
        check_output(args.output, settings)
        check_severe(settings)
    except BadOption as error:
        warn(str(error))
        return USAGE
    done = built_and_written(
        args,
        settings,
        tell,
        lambda cur: returns.build(
            cur,
            layout,
            as_of=as_of,
            known_at=known_at,
            **returns.of_city(settings),
        ),
        returns.RETURN_FORMATS[args.format][0],
    )
    if isinstance(done, int):
        return done
    made, where = done
    meta = made.metadata()
    tell(text(settings, "return_written", path=where, rows=len(made.rows), **meta))
    return DONE


def opendata_command(args: argparse.Namespace, settings: Settings) -> int:
    """Write the day's open-data files, their dictionary and a manifest into a folder."""
    try:
        as_of = as_of_of(args, settings)
        known_at = known_at_of(args, settings)
        check_severe(settings)
    except BadOption as error:
        warn(str(error))
        return USAGE
    con = caught_up_replica(args, settings, say)
    if isinstance(con, int):
        return con
    try:
        made = opendata.files(con.cursor(), settings, as_of=as_of, known_at=known_at)
    finally:
        con.close()
    folder: Path = args.out
    generated_at = now()
    extra = {
        "dictionary.html": opendata.dictionary_html(settings).encode("utf-8"),
        "manifest.json": opendata.manifest(made, settings, known_at, generated_at),
    }
    try:
        names = opendata.write_folder(folder, made, extra)
    except OSError as error:
        warn(f"--out: {folder}: {error}")
        return FAILED
    stamp = as_of.astimezone(UTC).astimezone(settings.zone).isoformat()
    say(text(settings, "opendata_written", folder=folder, names=", ".join(names), as_of=stamp))
    return DONE


def import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path)
    p.add_argument("--layout", required=True, help="its layout, e.g. weekly-survey")


def import_return(args: argparse.Namespace, settings: Settings) -> int:
    """Read a return (CSV or XLSX of a layout) back as events; publish all of it or nothing."""
    try:
        layout = returns.load(args.layout)
    except KeyError:
        known = ", ".join(returns.layouts())
        warn(text(settings, "unknown_layout", name=args.layout, known=known))
        return USAGE
    path: Path = args.file
    if not path.is_file():
        warn(text(settings, "no_file", path=path))
        return USAGE
    shape = Shape(
        layout.name, layout.header_of_measure, layout.total_label if layout.total else None
    )
    events, problems = read_return(path.read_bytes(), shape, _cli_actor(), received_at=now())
    if problems:
        for problem in problems:
            warn(f"{path}: {problem.message(settings.lang)}")
        warn(text(settings, "return_rejected", path=path, count=len(problems)))
        return REJECTED
    with Publisher(settings) as publisher:
        receipt = _publish(publisher, events, settings)
    said = {"sent": receipt.sent, "queued": receipt.queued, "events": len(events)}
    say(text(settings, "return_read", path=path, **said))
    return DONE


def feed_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: all)")
    p.add_argument("--port", type=int, default=8600)
    p.add_argument(
        "--fresh-seconds",
        type=float,
        default=open_feed.MAX_AGE_S,
        help="how long a day's files are served before they are made again (default 60)",
    )


def open_feed_command(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the open-data feed with no sign-in, from a replica kept live, until stopped."""
    try:
        check_severe(settings)
    except BadOption as error:
        warn(str(error))
        return USAGE
    publisher = Publisher(settings)
    live = LiveReplica(
        settings,
        args.db or settings.replica_path("open-data"),
        dlq_send=publisher.send_dlq,
        dlq_flush=publisher.flush,
    ).start()
    try:
        feed = open_feed.Feed(live.cursor, settings, fresh_s=args.fresh_seconds)
        service = open_feed.server(feed, args.host, args.port)
    except OSError as error:
        live.stop()
        publisher.close()
        warn(f"--port: {args.port}: {error}")
        return FAILED
    # SIGTERM (docker stop, systemd) ends it as Ctrl-C does: the replica is closed cleanly.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=service.shutdown).start())
    url = f"http://{args.host}:{service.server_port}{open_feed.PREFIX}/"
    say(text(settings, "feed_serving", url=url))
    try:
        service.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        service.server_close()
        live.stop()
        publisher.close()
    return DONE
