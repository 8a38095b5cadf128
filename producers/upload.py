"""Capacity reports from an uploaded CSV, and the template people fill in for it."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bedboard.settings import Settings
from producers import csvfile, forms
from producers.identity import Identity
from schemas.events import CapacityReported
from schemas.problems import Problem, problems_of
from schemas.records import too_far_ahead

MAX_CSV_BYTES = 1024 * 1024
MAX_CSV_ROWS = 2000
# BEDBOARD_CSV_MAX_AGE's default, for callers without settings at hand.
MAX_AGE: timedelta = Settings.model_fields["csv_max_age"].default
CSV_REQUIRED = ("facility_id", "bed_type", "usable", "occupied")
CSV_OPTIONAL = ("accepting", "ed_status", "note", "occurred_at")
# One value per facility: every row of a facility must agree (or leave the cell empty).
PER_FACILITY = CSV_OPTIONAL

# Rules across the rows of an upload: (Japanese, English).
MESSAGES: dict[str, tuple[str, str]] = {
    "no_rows": ("データ行がありません", "has no data rows"),
    "duplicate_row": (
        "同じ施設・病床種別が{first}行目にもあります",
        "the same facility and bed type are also on row {first}",
    ),
    "too_old": (
        "{days}日以上前の時刻です（入力ミスでないか確認してください。{days}日以内にしてください）",
        "is more than {days} days ago (a typing mistake?); at most {days} days back",
    ),
    "differs_in_facility": (
        "同じ施設の{first}行目と値が違います（施設ごとに1つの値にしてください）",
        "differs from row {first} of the same facility (one value per facility)",
    ),
}


@dataclass(frozen=True)
class RowProblem:
    """One problem in an uploaded CSV: the row as a spreadsheet numbers it (header = 1; 0 = the
    whole file), the column, and the rule."""

    row: int
    column: str
    rule: str
    context: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str = "ja") -> str:
        """The rule broken, without the row and column."""
        return csvfile.message(self.rule, self.context, lang, MESSAGES, forms.MESSAGES)

    def message(self, lang: str = "ja") -> str:
        text = self.text(lang)
        where = [f"{self.row}行目" if lang == "ja" else f"row {self.row}"] if self.row else []
        where += [self.column] if self.column else []
        return f"{', '.join(where)}: {text}" if where else text


def csv_template(
    lines: Sequence[tuple[str, str, int | None, int | None]],
    *,
    accepting: str | None = None,
    ed_status: str | None = None,
) -> bytes:
    """A capacity CSV to fill in: (facility_id, bed_type, usable, occupied) rows, UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((*CSV_REQUIRED, *CSV_OPTIONAL))
    first_of: set[str] = set()
    for facility_id, bed_type, usable, occupied in lines:
        # Facility-wide values once per facility: the other rows may leave them empty.
        first = facility_id not in first_of
        first_of.add(facility_id)
        status = (accepting or "", ed_status or "") if first else ("", "")
        writer.writerow((facility_id, bed_type, _cell(usable), _cell(occupied), *status, "", ""))
    # The BOM makes Excel in Japan open it as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def read_capacity_csv(
    data: bytes, identity: Identity, *, now: datetime, max_age: timedelta = MAX_AGE
) -> tuple[list[CapacityReported], list[RowProblem]]:
    """Check every row; the events (one per facility) only when no row has a problem.

    A typed `occurred_at` must lie between `max_age` ago and the contract's tolerance ahead.
    """
    forms.allow(identity, "report")
    table = csvfile.read_csv(
        data,
        required=CSV_REQUIRED,
        optional=CSV_OPTIONAL,
        max_bytes=MAX_CSV_BYTES,
        max_rows=MAX_CSV_ROWS,
    )
    problems = [RowProblem(p.row, p.column, p.rule, p.context) for p in table.problems]
    if problems and not table.rows and all(p.row <= 1 for p in problems):
        return [], problems  # the file or its header: no row can be checked
    # As on the form: a bed type left blank is not reported.
    rows = [(number, row) for number, row in table.rows if row["usable"] or row["occupied"]]
    for number, row in rows:
        problems += _check_row(number, row, identity, now, max_age)
    if not rows and not problems:
        return [], [RowProblem(0, "", "no_rows")]
    problems += _check_across_rows(rows)
    if problems:
        return [], sorted(problems, key=lambda p: (p.row, _column_order(p.column)))
    return _events_of(rows, identity, now), []


def _count(text: str) -> int | str:
    # A cell that is not a whole number goes to the schema as text, which names the rule.
    try:
        return int(unicodedata.normalize("NFKC", text))
    except ValueError:
        return text


def _row_event_data(row: dict[str, str], identity: Identity, now: datetime) -> dict[str, Any]:
    line: dict[str, Any] = {"bed_type": row["bed_type"]}
    line |= {name: _count(row[name]) for name in ("usable", "occupied") if row[name]}
    data = forms.common_fields(identity, "capacity.reported", now) | {
        "facility_id": row["facility_id"],
        "beds": [line],
        "occurred_at": row.get("occurred_at") or now,
    }
    return data | {k: row[k] for k in ("accepting", "ed_status", "note") if row.get(k)}


def _check_row(
    number: int, row: dict[str, str], identity: Identity, now: datetime, max_age: timedelta
) -> list[RowProblem]:
    found: list[Problem] = []
    forms.plain_text("note", row.get("note"), found)
    try:
        event = CapacityReported.model_validate(_row_event_data(row, identity, now))
    except ValidationError as error:
        found += problems_of(error, tagged=False)
    else:
        if too_far_ahead(event.occurred_at, now):
            found.append(Problem("occurred_at", "future_timestamp"))
        elif event.occurred_at < now - max_age:
            days = f"{max_age / timedelta(days=1):g}"
            found.append(Problem("occurred_at", "too_old", (("days", days),)))
    facility_id = row["facility_id"]
    well_formed = facility_id and not any(p.field == "facility_id" for p in found)
    if well_formed and not identity.may_report_for(facility_id):
        found.append(Problem("facility_id", "not_your_facility", (("facility_id", facility_id),)))
    return [
        RowProblem(number, re.sub(r"^beds\[0\]\.", "", p.field), p.rule, p.context) for p in found
    ]


def _check_across_rows(rows: list[tuple[int, dict[str, str]]]) -> list[RowProblem]:
    problems = []
    first_row: dict[tuple[str, str], int] = {}
    first_value: dict[tuple[str, str], tuple[int, str]] = {}
    for number, row in rows:
        slot = (row["facility_id"], row["bed_type"])
        if slot in first_row:
            context = (("first", first_row[slot]),)
            problems.append(RowProblem(number, "bed_type", "duplicate_row", context))
        else:
            first_row[slot] = number
        for column in PER_FACILITY:
            value = row.get(column, "")
            if not value:
                continue
            key = (row["facility_id"], column)
            if key not in first_value:
                first_value[key] = (number, value)
            elif first_value[key][1] != value:
                context = (("first", first_value[key][0]),)
                problems.append(RowProblem(number, column, "differs_in_facility", context))
    return problems


def _events_of(
    rows: list[tuple[int, dict[str, str]]], identity: Identity, now: datetime
) -> list[CapacityReported]:
    grouped: dict[str, dict[str, Any]] = {}
    for _, row in rows:
        data = _row_event_data(row, identity, now)
        if row["facility_id"] in grouped:
            merged = grouped[row["facility_id"]]
            merged["beds"] += data["beds"]
            merged |= {k: data[k] for k in ("accepting", "ed_status", "note") if k in data}
            if row.get("occurred_at"):
                merged["occurred_at"] = data["occurred_at"]
        else:
            grouped[row["facility_id"]] = data
    return [CapacityReported.model_validate(data) for data in grouped.values()]


def _column_order(column: str) -> int:
    columns = CSV_REQUIRED + CSV_OPTIONAL
    return columns.index(column) if column in columns else -1
