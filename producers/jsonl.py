"""Read a JSON-lines file of events: the valid events, and every invalid line with its reasons."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from schemas.events import Event, parse_event
from schemas.problems import Problem, problems_of
from schemas.topics import MAX_RECORD_BYTES

# The contract rejects an event more than this far after its ingest time.
FUTURE_TOLERANCE = timedelta(minutes=10)


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
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return [Problem("", "invalid_json")]
    if first:
        raw = raw.removeprefix("\ufeff")  # files saved by Windows editors start with a BOM
    text = raw.strip()
    if not text:
        return None
    if len(text.encode()) > MAX_RECORD_BYTES:
        return [Problem("", "too_large")]
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError:
        return [Problem("", "invalid_json")]
    if not isinstance(decoded, dict):
        return [Problem("", "invalid_json")]  # the contract: one JSON *object* per event
    try:
        # From the text, as consumers validate records, so both sides read a line alike.
        event = parse_event(text)
    except ValidationError as error:
        return problems_of(error)
    if now is not None and event.occurred_at > now + FUTURE_TOLERANCE:
        return [Problem("occurred_at", "future_timestamp")]
    return event
