"""Read a facility registry CSV (contract v1; v2's secured beds and reporting cadence) into
`facility.registered`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from producers import csvfile
from schemas.events import BED_TYPES, Actor, FacilityRegistered
from schemas.events_v2 import BED_TYPES_V2, FacilityRegisteredV2
from schemas.problems import Problem, problems_of

REQUIRED = ("facility_id", "name_ja", "kind", "district")
OPTIONAL = (
    "name_en", "lat", "lon", "phone", *(f"licensed_{code}" for code in BED_TYPES),
    "report_every_hours", "report_daily_by",
)  # fmt: skip
# v2's reporting cadence: every N hours, or daily by a time. A bare time (09:00) is Japan's, as
# the people who keep the registry mean it; one with an offset (09:00+09:00) is taken as given.
CSV_OFFSET = "+09:00"
_BARE_TIME = re.compile(r"\d{2}:\d{2}(?::\d{2})?")
# Contract v2: secured_<phase>_<bed type>, the beds committed at a phase (確保病床). A phase may
# hold "_" too: the bed type is the code the name ends with. Header names are read lower case.
_BED_TYPE = "|".join(sorted(BED_TYPES_V2, key=len, reverse=True))
SECURED = re.compile(rf"secured_(?P<phase>[a-z0-9][a-z0-9_-]{{0,15}})_(?P<bed_type>{_BED_TYPE})")

# Rules of a registry beside those of any CSV (producers.csvfile) and of the events.
MESSAGES: dict[str, tuple[str, str]] = {
    "duplicate_facility_id": (
        "同じ facility_id が {first} 行目にもあります",
        "the same facility_id is also on row {first}",
    ),
    "location_incomplete": (
        "lat と lon は両方入れるか、両方空にしてください",
        "give both lat and lon, or neither",
    ),
}

# Event fields as the CSV columns that hold them.
_COLUMN_OF_FIELD = {
    "name.ja": "name_ja",
    "name.en": "name_en",
    "location.lat": "lat",
    "location.lon": "lon",
    "reporting": "report_every_hours",
    "reporting.every_hours": "report_every_hours",
    "reporting.daily_by": "report_daily_by",
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
    table = csvfile.read_csv(data, required=REQUIRED, optional=OPTIONAL, also=SECURED)
    by_row: dict[int, list[Problem]] = {}
    for found in table.problems:  # the file's own problems are reported on the header row
        by_row.setdefault(max(found.row, 1), []).append(
            Problem(found.column, found.rule, found.context)
        )
    rejected = [RowProblem(row, tuple(problems)) for row, problems in by_row.items()]
    events: list[FacilityRegistered] = []
    first_row_of: dict[str, int] = {}
    for row_number, row in table.rows:
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
    rejected.sort(key=lambda problem: problem.row)
    return events, rejected


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
    model: type[FacilityRegistered] = FacilityRegistered
    if secured := _secured(row, problems):  # a registry that says none stays version 1
        data |= {"version": 2, "secured_beds": secured}
        model = FacilityRegisteredV2
    if reporting := _reporting(row, problems):
        data |= {"version": 2, "reporting": reporting}
        model = FacilityRegisteredV2
    try:
        event = model.model_validate(data)
    except ValidationError as error:
        problems += [_as_column(p) for p in problems_of(error, tagged=False)]
        return None, problems
    return (None, problems) if problems else (event, [])


def _secured(row: dict[str, str], problems: list[Problem]) -> dict[str, dict[str, int]]:
    """The row's secured beds per phase and bed type, from its secured_* cells that hold one."""
    plan: dict[str, dict[str, int]] = {}
    for column, value in row.items():
        if value and (name := SECURED.fullmatch(column)):
            beds = _number(value, column, int, problems)
            if beds is not None:
                plan.setdefault(name["phase"], {})[name["bed_type"]] = beds
    return plan


def _reporting(row: dict[str, str], problems: list[Problem]) -> dict[str, Any]:
    """The row's reporting cadence, from its report_* cells that hold one (the event checks it)."""
    cadence: dict[str, Any] = {}
    if every := row.get("report_every_hours"):
        hours = _number(every, "report_every_hours", int, problems)
        if hours is not None:
            cadence["every_hours"] = hours
    if daily := row.get("report_daily_by"):
        cadence["daily_by"] = daily + CSV_OFFSET if _BARE_TIME.fullmatch(daily) else daily
    return cadence


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
    elif field.startswith("secured_beds."):  # secured_beds.<phase>.<bed type>
        field = "secured_" + field.removeprefix("secured_beds.").replace(".", "_", 1)
    field = _COLUMN_OF_FIELD.get(field, field)
    return Problem(field, problem.rule, problem.context)


def _message(problem: Problem, lang: str) -> str:
    text = csvfile.message(problem.rule, problem.context, lang, MESSAGES)
    return f"{problem.field}: {text}" if problem.field else text
