"""Events from what people type or upload; the actor always comes from the signed-in session."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bedboard.users import Identity
from schemas.events import (
    Actor,
    CapacityReported,
    Event,
    NoticePosted,
    NoticeWithdrawn,
    PlacementClosed,
    PlacementRequested,
    PlacementResponded,
    to_json,
)
from schemas.problems import Problem, problems_of
from schemas.records import Rejection, check, too_far_ahead

# Who may send what: the pages' role checks and the builders below share this one table.
MAY = {
    "report": ("hospital_staff", "admin"),
    "respond": ("hospital_staff", "admin"),
    "request": ("coordinator", "admin"),
    "close": ("coordinator", "admin"),
    "notice": ("coordinator", "official", "admin"),
}
MAX_CSV_BYTES = 1024 * 1024
MAX_CSV_ROWS = 2000
CSV_REQUIRED = ("facility_id", "bed_type", "usable", "occupied")
CSV_OPTIONAL = ("accepting", "ed_status", "note", "occurred_at")
# One value per facility: every row of a facility must agree (or leave the cell empty).
PER_FACILITY = CSV_OPTIONAL
# A run of digits this long looks like a patient number, insurance or phone number.
_IDENTIFIER = re.compile(r"\d{6,}")

MESSAGES: dict[str, tuple[str, str]] = {
    "not_your_facility": (
        "この施設（{facility_id}）の担当ではないため送信できません",
        "you are not bound to facility {facility_id}, so you may not send for it",
    ),
    "role_not_allowed": ("この操作の権限がありません", "your role may not do this"),
    "no_beds": (
        "病床種別を1つ以上入力してください（即応病床と使用中の両方）",
        "enter at least one bed type (both usable and occupied)",
    ),
    "looks_like_identifier": (
        "6桁以上の数字は書けません（患者ID・保険証番号・電話番号など個人を特定できる情報は禁止）",
        "must not hold a run of 6 or more digits (no patient, insurance or phone numbers)",
    ),
    "expires_in_past": ("掲載期限は現在より後にしてください", "must be later than now"),
    "bad_encoding": (
        "文字コードを読めません（UTF-8 または Shift_JIS で保存してください）",
        "cannot be decoded: save it as UTF-8 (or Shift_JIS)",
    ),
    "empty_file": ("見出し行がありません", "has no header row"),
    "no_rows": ("データ行がありません", "has no data rows"),
    "file_too_large": (
        f"ファイルが大きすぎます（{MAX_CSV_BYTES // 1024} KiB まで）",
        f"is too large (at most {MAX_CSV_BYTES // 1024} KiB)",
    ),
    "too_many_rows": (
        f"{MAX_CSV_ROWS}行までにしてください",
        f"must have at most {MAX_CSV_ROWS} rows",
    ),
    "missing_columns": ("必須の列がありません: {columns}", "missing required column(s): {columns}"),
    "unknown_columns": (
        "使えない列です: {columns}（使える列: {allowed}）",
        "unknown column(s): {columns} (allowed: {allowed})",
    ),
    "too_many_cells": (
        "見出しより列が多くなっています（{found}列、見出しは{expected}列）",
        "has {found} cells but the header only {expected}",
    ),
    "duplicate_row": (
        "同じ施設・病床種別が{first}行目にもあります",
        "the same facility and bed type are also on row {first}",
    ),
    "differs_in_facility": (
        "同じ施設の{first}行目と値が違います（施設ごとに1つの値にしてください）",
        "differs from row {first} of the same facility (one value per facility)",
    ),
}


class Refused(ValueError):
    """Input that cannot become an event; `problems` name each field and rule."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(message(p, "en") for p in self.problems))


def message(problem: Problem, lang: str = "ja") -> str:
    """A problem as a person reads it, in Japanese or English."""
    if problem.rule not in MESSAGES:
        return problem.message(lang)
    ja, en = MESSAGES[problem.rule]
    text = (ja if lang == "ja" else en).format(**dict(problem.context))
    return f"{problem.field}: {text}" if problem.field else text


def actor_of(identity: Identity) -> Actor:
    """The event's actor: the signed-in person, never a value from the form or the file."""
    return Actor(org=identity.org, user=identity.username)  # type: ignore[arg-type]


def _allow(identity: Identity, action: str) -> None:
    if identity.role not in MAY[action]:
        raise Refused([Problem("", "role_not_allowed")])


def _facility(identity: Identity, facility_id: str) -> None:
    if not identity.may_report_for(facility_id):
        raise Refused(
            [Problem("facility_id", "not_your_facility", (("facility_id", facility_id),))]
        )


def _plain_text(field: str, text: str | None, problems: list[Problem]) -> str | None:
    text = (text or "").strip()
    if _IDENTIFIER.search(unicodedata.normalize("NFKC", text)):
        problems.append(Problem(field, "looks_like_identifier"))
    return text or None


def _build(model: type[Event], data: dict[str, Any], problems: list[Problem]) -> Any:
    try:
        event = model.model_validate(data)
    except ValidationError as error:
        raise Refused(problems + problems_of(error, tagged=False)) from error
    if problems:
        raise Refused(problems)
    # The consumers' own check on the bytes they will receive: a placement note has no length
    # limit in the contract, and a record over the size limit would go to the DLQ, not the page.
    outcome = check(to_json(event), None)
    if isinstance(outcome, Rejection):
        raise Refused(list(outcome.problems))
    return event


def _common(identity: Identity, type_: str, now: datetime) -> dict[str, Any]:
    return {
        "type": type_,
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": now,
        "actor": actor_of(identity),
    }


@dataclass(frozen=True)
class BedInput:
    """One line of the report form; a line left blank is not reported."""

    bed_type: str
    usable: int | None
    occupied: int | None


def capacity_report(
    identity: Identity,
    facility_id: str,
    beds: Iterable[BedInput],
    *,
    now: datetime,
    accepting: str | None = None,
    ed_status: str | None = None,
    note: str | None = None,
) -> CapacityReported:
    """A `capacity.reported` for one of the signed-in person's facilities, or Refused."""
    _allow(identity, "report")
    _facility(identity, facility_id)
    problems: list[Problem] = []
    # A half-filled line is left without the blank count, so the schema says "required".
    lines = [
        {"bed_type": bed.bed_type}
        | {
            name: count
            for name in ("usable", "occupied")
            if (count := getattr(bed, name)) is not None
        }
        for bed in beds
        if bed.usable is not None or bed.occupied is not None
    ]
    if not lines:
        raise Refused([Problem("beds", "no_beds")])
    data = _common(identity, "capacity.reported", now) | {"facility_id": facility_id, "beds": lines}
    data |= {k: v for k, v in (("accepting", accepting), ("ed_status", ed_status)) if v}
    if text := _plain_text("note", note, problems):
        data["note"] = text
    try:
        return _build(CapacityReported, data, problems)  # type: ignore[no-any-return]
    except Refused as refused:
        # Name the bed type, not its position, so that the form can point at the line.
        raise Refused([_named_line(p, lines) for p in refused.problems]) from None


def _named_line(problem: Problem, lines: list[dict[str, Any]]) -> Problem:
    match = re.fullmatch(r"beds\[(\d+)\]\.(\w+)", problem.field)
    if not match:
        return problem
    bed_type = lines[int(match.group(1))]["bed_type"]
    return Problem(f"{bed_type}.{match.group(2)}", problem.rule, problem.context)


def lines_to_send(
    before: dict[str, tuple[int | None, int | None]], now: dict[str, tuple[int | None, int | None]]
) -> list[BedInput]:
    """The lines someone changed on a prefilled form; all of them when nothing changed.

    Sending only what changed keeps a colleague's newer numbers for the other bed types; sending
    everything unchanged is how a facility confirms that its numbers still hold.
    """
    lines = [BedInput(code, *counts) for code, counts in now.items()]
    changed = [line for line in lines if before.get(line.bed_type) != (line.usable, line.occupied)]
    return changed or lines


def surges(event: CapacityReported) -> list[str]:
    """Bed types where occupied exceeds usable: real in a surge, so confirmed, never refused."""
    return [line.bed_type for line in event.beds if line.occupied > line.usable]


def placement_request(
    identity: Identity,
    facility_id: str,
    bed_type: str,
    *,
    age_band: str,
    severity: str,
    needs: Sequence[str] = (),
    note: str | None = None,
    now: datetime,
) -> PlacementRequested:
    """A coordinator's request that a facility take a patient (no names, no identifiers)."""
    _allow(identity, "request")
    problems: list[Problem] = []
    data = _common(identity, "placement.requested", now) | {
        "placement_id": str(uuid.uuid4()),
        "facility_id": facility_id,
        "bed_type": bed_type,
        "patient": {"age_band": age_band, "severity": severity, "needs": list(needs)},
    }
    if text := _plain_text("note", note, problems):
        data["note"] = text
    return _build(PlacementRequested, data, problems)  # type: ignore[no-any-return]


def placement_response(
    identity: Identity,
    placement_id: str,
    facility_id: str,
    decision: str,
    *,
    reason: str | None = None,
    now: datetime,
) -> PlacementResponded:
    """A facility's answer; `facility_id` is the placement's own (from the replica)."""
    _allow(identity, "respond")
    _facility(identity, facility_id)
    problems: list[Problem] = []
    data = _common(identity, "placement.responded", now) | {
        "placement_id": placement_id,
        "facility_id": facility_id,
        "decision": decision,
    }
    if text := _plain_text("reason", reason, problems):
        data["reason"] = text
    return _build(PlacementResponded, data, problems)  # type: ignore[no-any-return]


def placement_close(
    identity: Identity, placement_id: str, outcome: str, *, now: datetime
) -> PlacementClosed:
    _allow(identity, "close")
    data = _common(identity, "placement.closed", now) | {
        "placement_id": placement_id,
        "outcome": outcome,
    }
    return _build(PlacementClosed, data, [])  # type: ignore[no-any-return]


def notice_post(
    identity: Identity,
    *,
    severity: str,
    title: str,
    body: str = "",
    expires_at: datetime | None = None,
    now: datetime,
) -> NoticePosted:
    """A notice from city hall or the health centre; its text is shown as plain text."""
    _allow(identity, "notice")
    problems = []
    if expires_at is not None and expires_at <= now:
        problems.append(Problem("expires_at", "expires_in_past"))
    data = _common(identity, "notice.posted", now) | {
        "notice_id": str(uuid.uuid4()),
        "severity": severity,
        "title": title.strip(),
        "body": body.strip(),
    }
    if expires_at is not None:
        data["expires_at"] = expires_at
    return _build(NoticePosted, data, problems)  # type: ignore[no-any-return]


def notice_withdraw(identity: Identity, notice_id: str, *, now: datetime) -> NoticeWithdrawn:
    _allow(identity, "notice")
    data = _common(identity, "notice.withdrawn", now) | {"notice_id": notice_id}
    return _build(NoticeWithdrawn, data, [])  # type: ignore[no-any-return]


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
        return message(Problem("", self.rule, self.context), lang)

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
    data: bytes, identity: Identity, *, now: datetime
) -> tuple[list[CapacityReported], list[RowProblem]]:
    """Check every row; the events (one per facility) only when no row has a problem."""
    _allow(identity, "report")
    if len(data) > MAX_CSV_BYTES:
        return [], [RowProblem(0, "", "file_too_large")]
    text = _decode(data)
    if text is None:
        return [], [RowProblem(0, "", "bad_encoding")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [unicodedata.normalize("NFKC", name).strip().lower() for name in next(reader, [])]
    if not any(header):
        return [], [RowProblem(1, "", "empty_file")]
    if header_problems := _check_header(header):
        return [], header_problems

    problems: list[RowProblem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_CSV_ROWS:
            problems.append(RowProblem(number, "", "too_many_rows"))
            break
        if len(cells) > len(header):
            context = (("found", len(cells)), ("expected", len(header)))
            problems.append(RowProblem(number, "", "too_many_cells", context))
            continue
        cells += [""] * (len(header) - len(cells))  # trailing empty cells are often left out
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        if not row["usable"] and not row["occupied"]:
            continue  # as on the form: a bed type left blank is not reported
        rows.append((number, row))
        problems += _check_row(number, row, identity, now)
    if not rows and not problems:
        return [], [RowProblem(0, "", "no_rows")]
    problems += _check_across_rows(rows)
    if problems:
        return [], sorted(problems, key=lambda p: (p.row, _column_order(p.column)))
    return _events_of(rows, identity, now), []


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp932"):  # cp932: what Excel in Japan saves as "CSV"
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _check_header(header: list[str]) -> list[RowProblem]:
    missing = [name for name in CSV_REQUIRED if name not in header]
    unknown = [name for name in header if name not in CSV_REQUIRED + CSV_OPTIONAL]
    problems = []
    if missing:
        problems.append(RowProblem(1, "", "missing_columns", (("columns", ", ".join(missing)),)))
    if unknown:
        allowed = ", ".join(CSV_REQUIRED + CSV_OPTIONAL)
        context = (("columns", ", ".join(unknown)), ("allowed", allowed))
        problems.append(RowProblem(1, "", "unknown_columns", context))
    return problems


def _count(text: str) -> int | str:
    # A cell that is not a whole number goes to the schema as text, which names the rule.
    try:
        return int(unicodedata.normalize("NFKC", text))
    except ValueError:
        return text


def _row_event_data(row: dict[str, str], identity: Identity, now: datetime) -> dict[str, Any]:
    line: dict[str, Any] = {"bed_type": row["bed_type"]}
    line |= {name: _count(row[name]) for name in ("usable", "occupied") if row[name]}
    data = _common(identity, "capacity.reported", now) | {
        "facility_id": row["facility_id"],
        "beds": [line],
        "occurred_at": row.get("occurred_at") or now,
    }
    return data | {k: row[k] for k in ("accepting", "ed_status", "note") if row.get(k)}


def _check_row(
    number: int, row: dict[str, str], identity: Identity, now: datetime
) -> list[RowProblem]:
    found: list[Problem] = []
    _plain_text("note", row.get("note"), found)
    try:
        event = CapacityReported.model_validate(_row_event_data(row, identity, now))
    except ValidationError as error:
        found += problems_of(error, tagged=False)
    else:
        if too_far_ahead(event.occurred_at, now):
            found.append(Problem("occurred_at", "future_timestamp"))
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
