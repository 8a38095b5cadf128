"""Read a facility registry CSV (contract/events-v1.md) into `facility.registered` events."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.events import BED_TYPES, Actor, FacilityRegistered
from schemas.problems import Problem, problems_of

REQUIRED = ("facility_id", "name_ja", "kind", "district")
OPTIONAL = ("name_en", "lat", "lon", "phone", *(f"licensed_{code}" for code in BED_TYPES))

# Rules of the CSV itself, beside the event rules of schemas.problems.
CSV_MESSAGES: dict[str, tuple[str, str]] = {
    "missing_columns": ("必須の列がありません: {columns}", "missing required column(s): {columns}"),
    "unknown_columns": (
        "契約にない列です: {columns}（使える列: facility_id, name_ja, kind, district, name_en, "
        "lat, lon, phone, licensed_<病床種別コード>）",
        "unknown column(s): {columns} (allowed: facility_id, name_ja, kind, district, name_en, "
        "lat, lon, phone, licensed_<bed type code>)",
    ),
    "not_utf8": ("UTF-8 で保存してください", "must be saved as UTF-8"),
    "empty_file": ("見出し行がありません", "has no header row"),
    "duplicate_facility_id": (
        "同じ facility_id が {first} 行目にもあります",
        "the same facility_id is also on row {first}",
    ),
    "location_incomplete": (
        "lat と lon は両方入れるか、両方空にしてください",
        "give both lat and lon, or neither",
    ),
    "too_many_cells": (
        "見出しより列が多くなっています（{found}列、見出しは{expected}列）",
        "has {found} cells but the header only {expected}",
    ),
}

# Event fields as the CSV columns that hold them.
_COLUMN_OF_FIELD = {
    "name.ja": "name_ja",
    "name.en": "name_en",
    "location.lat": "lat",
    "location.lon": "lon",
}


@dataclass(frozen=True)
class RowProblem:
    """Why one row of the registry CSV was rejected; row 1 is the header."""

    row: int  # as a spreadsheet numbers it: the header is row 1
    problems: tuple[Problem, ...]

    def message(self, lang: str = "ja") -> str:
        where = f"{self.row}行目" if lang == "ja" else f"row {self.row}"
        return f"{where}: " + "; ".join(_message(p, lang) for p in self.problems)


def read_registry_csv(
    source: Path | str | bytes, actor: Actor, now: datetime
) -> tuple[list[FacilityRegistered], list[RowProblem]]:
    """The events of a registry CSV (a Path, or its text/bytes) and every problem found in it."""
    data = source.read_bytes() if isinstance(source, Path) else source
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return [], [RowProblem(1, (Problem("", "not_utf8"),))]
    reader = csv.reader(io.StringIO(data.removeprefix("\ufeff"), newline=""))
    header = [name.strip() for name in next(reader, [])]
    if not any(header):
        return [], [RowProblem(1, (Problem("", "empty_file"),))]
    header_problem = _check_header(header)
    if header_problem:
        return [], [header_problem]

    events: list[FacilityRegistered] = []
    rejected: list[RowProblem] = []
    first_row_of: dict[str, int] = {}
    for row_number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        # Trailing empty cells are often left out by hand; extra cells are a real mistake.
        cells += [""] * (len(header) - len(cells))
        if len(cells) > len(header):
            context = (("found", len(cells)), ("expected", len(header)))
            rejected.append(RowProblem(row_number, (Problem("", "too_many_cells", context),)))
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        event, problems = _event_of(row, actor, now)
        facility_id = row["facility_id"]
        if facility_id in first_row_of:
            first = (("first", first_row_of[facility_id]),)
            problems.append(Problem("facility_id", "duplicate_facility_id", first))
        else:
            first_row_of[facility_id] = row_number
        if problems:
            rejected.append(RowProblem(row_number, tuple(problems)))
        elif event is not None:
            events.append(event)
    return events, rejected


def _check_header(header: list[str]) -> RowProblem | None:
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED and name not in OPTIONAL]
    problems = []
    if missing:
        problems.append(Problem("", "missing_columns", (("columns", ", ".join(missing)),)))
    if unknown:
        problems.append(Problem("", "unknown_columns", (("columns", ", ".join(unknown)),)))
    return RowProblem(1, tuple(problems)) if problems else None


def _event_of(
    row: dict[str, str], actor: Actor, now: datetime
) -> tuple[FacilityRegistered | None, list[Problem]]:
    problems: list[Problem] = []
    data: dict[str, Any] = {
        "type": "facility.registered",
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": now,
        "actor": actor,
        "facility_id": row["facility_id"],
        "name": {"ja": row["name_ja"]} | ({"en": row["name_en"]} if row.get("name_en") else {}),
        "kind": row["kind"],
        "district": row["district"],
    }
    if row.get("phone"):
        data["phone"] = row["phone"]
    lat, lon = row.get("lat", ""), row.get("lon", "")
    if lat and lon:
        location = {
            "lat": _number(lat, "lat", float, problems),
            "lon": _number(lon, "lon", float, problems),
        }
        if None not in location.values():
            data["location"] = location
    elif lat or lon:
        problems.append(Problem("lon" if lat else "lat", "location_incomplete"))
    licensed = {
        column.removeprefix("licensed_"): _number(value, column, int, problems)
        for column, value in row.items()
        if column.startswith("licensed_") and value
    }
    # A cell that is not a number is reported once, above, not again by the event's rules.
    if licensed := {code: count for code, count in licensed.items() if count is not None}:
        data["licensed_beds"] = licensed
    try:
        event = FacilityRegistered.model_validate(data)
    except ValidationError as error:
        problems += [_as_column(p) for p in problems_of(error, tagged=False)]
        return None, problems
    return (None, problems) if problems else (event, [])


def _number(text: str, column: str, kind: type[int] | type[float], problems: list[Problem]) -> Any:
    try:
        return kind(text)
    except ValueError:
        problems.append(Problem(column, "int_parsing" if kind is int else "float_parsing"))
        return None


def _as_column(problem: Problem) -> Problem:
    """Name the CSV column, not the event field, so that people find the cell."""
    field = problem.field
    if field.startswith("licensed_beds."):
        field = "licensed_" + field.removeprefix("licensed_beds.")
    field = _COLUMN_OF_FIELD.get(field, field)
    return Problem(field, problem.rule, problem.context)


def _message(problem: Problem, lang: str) -> str:
    if problem.rule not in CSV_MESSAGES:
        return problem.message(lang)
    ja, en = CSV_MESSAGES[problem.rule]
    text = (ja if lang == "ja" else en).format(**dict(problem.context))
    return f"{problem.field}: {text}" if problem.field else text
