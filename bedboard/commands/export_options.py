"""The options of `bedboard snapshot` and `bedboard report`, read and checked."""

from __future__ import annotations

import argparse
import re
import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bedboard.console import text
from bedboard.settings import Settings
from consumers.exports import FORMATS, report, snapshot
from schemas.problems import Problem

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
CUTOFF = re.compile(r"\d{1,2}:\d{2}")


class BadOption(ValueError):
    """An option's value breaks its rule; the message names the option, in the user's language."""


def moment_options(p: argparse.ArgumentParser) -> None:
    """The replica and the moment a snapshot or an open-data day is taken as of."""
    p.add_argument("--db", type=Path)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", help="YYYY-MM-DD: that day at the cutoff")
    when.add_argument("--as-of", dest="as_of", help="RFC 3339 time with an offset")
    p.add_argument("--cutoff", help="HH:MM (default BEDBOARD_SNAPSHOT_CUTOFF, 09:00)")
    p.add_argument("--known-at", dest="known_at", help="RFC 3339: reports received by then")


def snapshot_options(p: argparse.ArgumentParser) -> None:
    moment_options(p)
    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("-o", "--output", required=True, help="file to write (- for stdout)")


def report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path)
    p.add_argument("--from", dest="from_day", help="YYYY-MM-DD (the range report)")
    p.add_argument("--to", dest="to_day", help="YYYY-MM-DD (the range report)")
    p.add_argument("--layout", help="a return in an official layout, e.g. weekly-survey")
    p.add_argument("--date", help="YYYY-MM-DD: with --layout, that day at the layout's cutoff")
    p.add_argument("--as-of", dest="as_of", help="RFC 3339 time with an offset (--layout)")
    p.add_argument("--cutoff", help="HH:MM (default BEDBOARD_SNAPSHOT_CUTOFF, 09:00)")
    p.add_argument("--known-at", dest="known_at", help="RFC 3339: reports received by then")
    p.add_argument("--format", required=True, choices=list(report.REPORT_FORMATS))
    p.add_argument("-o", "--output", required=True, help="file to write (- for stdout)")


def parse_day(value: str, option: str, settings: Settings) -> date:
    """A YYYY-MM-DD day."""
    try:
        if not DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadOption(text(settings, "bad_date", option=option)) from None


def parse_cutoff(value: str, settings: Settings) -> time:
    """An HH:MM time of day."""
    try:
        if not CUTOFF.fullmatch(value):
            raise ValueError(value)
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise BadOption(text(settings, "bad_cutoff")) from None


def parse_moment(value: str, option: str, settings: Settings) -> datetime:
    """An RFC 3339 time; one without an offset is refused, never guessed."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadOption(Problem(option, "datetime_parsing").message(settings.lang)) from None
    if moment.tzinfo is None:
        raise BadOption(Problem(option, "timezone_aware").message(settings.lang))
    return moment


def snapshot_times(args: argparse.Namespace, settings: Settings) -> tuple[datetime, datetime]:
    """as_of from --date/--cutoff or --as-of, and known_at from --known-at or now."""
    return as_of_of(args, settings), known_at_of(args, settings)


def as_of_of(args: argparse.Namespace, settings: Settings, cutoff: time | None = None) -> datetime:
    """--as-of, or --date at --cutoff, else at the given (a layout's own) cutoff, else the
    daily one; a --cutoff without --date is refused rather than ignored."""
    if args.cutoff is not None and args.date is None:
        raise BadOption(text(settings, "cutoff_without_date"))
    if args.as_of is not None:
        return parse_moment(args.as_of, "--as-of", settings)
    if args.date is None:
        raise BadOption(text(settings, "layout_when"))
    if args.cutoff:
        cutoff = parse_cutoff(args.cutoff, settings)
    day = parse_day(args.date, "--date", settings)
    return snapshot.daily_as_of(day, cutoff or settings.snapshot_cutoff, settings.timezone)


def known_at_of(args: argparse.Namespace, settings: Settings) -> datetime:
    """--known-at, which must not be in the future; by default now, to the second."""
    if args.known_at is None:
        return _next_whole_second()
    known_at = parse_moment(args.known_at, "--known-at", settings)
    # Against the clock itself: snapshot.now() is cut to the second, a given time need not be.
    if known_at > datetime.now(UTC):
        raise BadOption(text(settings, "future_known_at"))
    return known_at


def _next_whole_second() -> datetime:
    """Now, rounded up to a whole second that has passed by the time this returns.

    Whole, so that it can be given back as --known-at; up, and waited for, so that a report
    the broker took in just before the command started belongs to the snapshot, and the
    catch-up that follows sees everything received by then.
    """
    moment = snapshot.now() + timedelta(seconds=1)
    threading.Event().wait(max((moment - datetime.now(UTC)).total_seconds(), 0))
    return moment


def check_output(target: str, settings: Settings) -> None:
    """Refuse an output whose folder is missing before any work is done."""
    folder = Path(target).parent
    if target != "-" and not folder.is_dir():
        raise BadOption(text(settings, "no_folder", folder=folder))
