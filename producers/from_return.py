"""A return read back in (its layout's CSV or XLSX) as v2 events, so that nobody retypes it."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import load_workbook

from producers.csvfile import decode
from schemas.events import Actor, Event
from schemas.events_v2 import COUNT_FIELDS
from schemas.problems import Problem
from schemas.records import Rejection, check

# Which measures can be read back, as the event fields they came from: the rest are sums,
# rates and labels, which no event holds.
LINE_FIELDS = {"beds_ready": "usable", "beds_occupied": "occupied"}
LINE_EXTRAS = {"beds_secured": "secured", "beds_oxygen": "oxygen"}
COUNTS = {name: name for name in COUNT_FIELDS}
# Re-importing the same return gives the same event ids: the repeat is a duplicate, not counted.
NAMESPACE = uuid.UUID("0b0e7c5a-13f3-4a52-8f0e-7e7a1f0d0013")

MESSAGES: dict[str, tuple[str, str]] = {
    "not_a_layout": (
        "様式 {layout} の列がありません: {columns}",
        "the columns of layout {layout} are missing: {columns}",
    ),
    "nothing_to_read": (
        "様式 {layout} から読み戻せる列がありません（施設別の病床、または地区別の療養者数が必要）",
        "layout {layout} has nothing to read back (beds by facility, or counts by district)",
    ),
    "unreadable": ("UTF-8 か Shift_JIS の CSV、または XLSX にしてください", "must be CSV or XLSX"),
}


@dataclass(frozen=True)
class Shape:
    """A return's layout as read back: each measure's column header, and the total row's label."""

    name: str
    headers: dict[str, str]  # measure -> the return's column header
    total_label: str | None = None  # None: the return has no total row


@dataclass(frozen=True)
class CellProblem:
    """Why one row was not read back; row 1 is the header, as a spreadsheet numbers it."""

    row: int
    problems: tuple[Problem, ...]

    def message(self, lang: str = "ja") -> str:
        where = f"{self.row}行目" if lang == "ja" else f"row {self.row}"
        return f"{where}: " + "; ".join(_text(p, lang) for p in self.problems)


def read_return(
    data: bytes, layout: Shape, actor: Actor, *, received_at: datetime | None = None
) -> tuple[list[Event], list[CellProblem]]:
    """Events of a return in `layout`: capacity per facility, or counts per district."""
    rows = _rows(data)
    if rows is None:
        return [], [CellProblem(1, (Problem("", "unreadable"),))]
    header = next(rows, [])
    by_measure = layout.headers
    needed = [by_measure[m] for m in ("as_of",) if m in by_measure]
    if per_facility := ("facility_id" in by_measure and "bed_type" in by_measure):
        needed += [by_measure[m] for m in ("facility_id", "bed_type", *LINE_FIELDS)]
    counts = [m for m in COUNTS if m in by_measure] if "district" in by_measure else []
    if not per_facility and not counts:
        return [], [CellProblem(1, (Problem("", "nothing_to_read", (("layout", layout.name),)),))]
    missing = [h for h in needed + [by_measure[m] for m in counts] if h not in header]
    if missing or "as_of" not in by_measure:
        context = (("layout", layout.name), ("columns", ", ".join(missing) or "基準日時"))
        return [], [CellProblem(1, (Problem("", "not_a_layout", context),))]
    at = {name: header.index(h) for name, h in by_measure.items() if h in header}
    events: list[Event] = []
    problems: list[CellProblem] = []
    facilities: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for number, cells in enumerate(rows, start=2):
        if not any(str(c).strip() for c in cells if c is not None):
            continue
        cell = _cells(cells, at)
        found: list[Problem] = []
        if per_facility:
            line = {"bed_type": cell("bed_type")}
            for measure, name in (LINE_FIELDS | LINE_EXTRAS).items():
                value = _count(cell(measure), by_measure[measure], found) if measure in at else None
                if value is not None:
                    line[name] = value
            key = (cell("facility_id"), cell("as_of"))
            facilities.setdefault(key, []).append(line)
        elif cell("district") and not _is_total(cell("district"), layout):
            body = {m: _count(cell(m), by_measure[m], found) for m in counts}
            body = {k: v for k, v in body.items() if v is not None}
            if body and not found:
                event = _event("district.counted", cell("as_of"), actor, received_at, found,
                               district=cell("district"), **body)  # fmt: skip
                if event is not None:
                    events.append(event)
        if found:
            problems.append(CellProblem(number, tuple(found)))
    for (facility_id, as_of), beds in facilities.items():
        found = []
        event = _event("capacity.reported", as_of, actor, received_at, found,
                       facility_id=facility_id, beds=beds)  # fmt: skip
        if event is not None:
            events.append(event)
        if found:
            problems.append(CellProblem(1, tuple(found)))
    return events, problems


def _rows(data: bytes) -> Iterator[list[Any]] | None:
    if data.startswith(b"PK"):  # an XLSX is a zip
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except (OSError, ValueError, KeyError):
            return None
        values = sheet.iter_rows(values_only=True)
        return ([("" if v is None else str(v)) for v in row] for row in values)
    text = decode(data)  # UTF-8, or the Shift_JIS Excel in Japan saves
    return None if text is None else iter(list(csv.reader(io.StringIO(text, newline=""))))


def _cells(cells: list[Any], at: dict[str, int]) -> Any:
    def cell(measure: str) -> str:
        index = at.get(measure)
        return "" if index is None or index >= len(cells) else str(cells[index]).strip()

    return cell


def _is_total(district: str, layout: Shape) -> bool:
    return district == layout.total_label


def _count(text: str, header: str, found: list[Problem]) -> int | None:
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        number = -1.5
    if number != int(number) or number < 0:
        found.append(Problem(header, "int_parsing"))
        return None
    return int(number)


def _event(
    event_type: str,
    as_of: str,
    actor: Actor,
    received_at: datetime | None,
    found: list[Problem],
    **fields: Any,
) -> Event | None:
    # The return's time and the row's facility or district: what makes the row one fact.
    key = "|".join([event_type, as_of, str(fields.get("facility_id") or fields["district"])])
    body = {
        "type": event_type,
        "version": 2,
        "event_id": str(uuid.uuid5(NAMESPACE, key)),
        "occurred_at": as_of,
        "actor": actor.model_dump(),
        **fields,
    }
    outcome = check(json.dumps(body, ensure_ascii=False).encode(), received_at)
    if isinstance(outcome, Rejection):
        found += outcome.problems
        return None
    return outcome


def _text(problem: Problem, lang: str) -> str:
    if problem.rule not in MESSAGES:
        return problem.message(lang)
    ja, en = MESSAGES[problem.rule]
    text = (ja if lang == "ja" else en).format(**dict(problem.context))
    return f"{problem.field}: {text}" if problem.field else text
