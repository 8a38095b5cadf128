"""`bedboard summary`: the meeting summary since a time, as a PDF."""

from __future__ import annotations

import argparse
from pathlib import Path

from bedboard.commands.export import built_and_written
from bedboard.commands.export_options import BadOption, check_output, known_at_of, parse_moment
from bedboard.console import DONE, FAILED, USAGE, say, text, warn
from bedboard.settings import Settings
from consumers.exports import summary, summary_doc
from schemas import glossary


def summary_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path)
    p.add_argument(
        "--since", help="RFC 3339 time with an offset (default: the meeting before, Mon/Thu 10:00)"
    )
    p.add_argument("--known-at", dest="known_at", help="RFC 3339: reports received by then")
    p.add_argument(
        "--lang", choices=glossary.LANGS, help="the PDF's language (default BEDBOARD_LANG)"
    )
    p.add_argument("-o", "--output", required=True, help="PDF file to write (- for stdout)")


def summary_command(args: argparse.Namespace, settings: Settings) -> int:
    """Catch up, read the summary from --since to --known-at, and print it to a PDF."""
    tell = warn if args.output == "-" else say
    try:
        known_at = known_at_of(args, settings)
        if args.since is None:
            since = summary.previous_meeting(known_at, settings.timezone)
        else:
            since = parse_moment(args.since, "--since", settings)
        if since >= known_at:
            raise BadOption(
                text(settings, "since_not_before", since=since.isoformat(),
                     known_at=known_at.isoformat())
            )  # fmt: skip
        check_output(args.output, settings)
    except BadOption as error:
        warn(str(error))
        return USAGE
    try:
        done = built_and_written(
            args,
            settings,
            tell,
            lambda cur: summary.build(
                cur,
                since=since,
                known_at=known_at,
                timezone=settings.timezone,
                stale_after=settings.stale_after,
            ),
            lambda made: summary_doc.render(made, args.lang or settings.lang),
        )
    except summary_doc.PdfFailed as error:
        warn(text(settings, "pdf_failed", error=error))
        return FAILED
    if isinstance(done, int):
        return done
    made, where = done
    source = glossary.word(f"waiting_source.{made.waiting_source}", settings.lang)
    tell(
        text(settings, "summary_written", path=where, since=since.isoformat(),
             known_at=known_at.isoformat(), source=source, sha256=made.sha256)
    )  # fmt: skip
    return DONE
