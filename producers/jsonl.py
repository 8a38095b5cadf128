"""Read a JSON-lines file of events: the valid events, and every invalid line with its reasons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schemas.events import Event
from schemas.problems import Problem
from schemas.records import Rejection, check

# Blank means JSON's own whitespace, the bytes the parser skips around a document: a line of any
# other character (a form feed, U+3000, U+001F) is not an event and is reported, not dropped.
JSON_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True)
class LineProblem:
    """Why one line of a JSON-lines file was rejected."""

    line: int  # 1-based, counting blank lines too, as an editor shows it
    problems: tuple[Problem, ...]

    def message(self, lang: str = "ja") -> str:
        where = f"{self.line}行目" if lang == "ja" else f"line {self.line}"
        return f"{where}: " + "; ".join(p.message(lang) for p in self.problems)


def read_jsonl(
    lines: Iterable[str | bytes], *, now: datetime | None = None
) -> tuple[list[Event], list[LineProblem]]:
    """Validate each non-blank line as one event; with `now`, also reject future timestamps."""
    events: list[Event] = []
    rejected: list[LineProblem] = []
    for number, raw in enumerate(lines, start=1):
        event_or_problems = _read_line(raw, first=number == 1, now=now)
        if event_or_problems is None:
            continue
        if isinstance(event_or_problems, Event):
            events.append(event_or_problems)
        else:
            rejected.append(LineProblem(number, tuple(event_or_problems)))
    return events, rejected


def _read_line(
    raw: str | bytes, *, first: bool, now: datetime | None
) -> Event | list[Problem] | None:
    data = raw.encode() if isinstance(raw, str) else raw
    if first:
        data = data.removeprefix(b"\xef\xbb\xbf")  # files saved by Windows editors start with a BOM
    data = data.strip(JSON_WHITESPACE)
    if not data:
        return None
    # The consumers' own check, so that both sides read a line alike.
    outcome = check(data, now)
    return list(outcome.problems) if isinstance(outcome, Rejection) else outcome
