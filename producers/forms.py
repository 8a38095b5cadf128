"""Events from what people type in the pages' forms; the actor always comes from the session."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from producers.identity import Identity
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
from schemas.events_v2 import PhaseDeclared, PlacementRequestedV2
from schemas.problems import Problem, problems_of
from schemas.records import Rejection, check

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


def allow(identity: Identity, action: str) -> None:
    """Refuse unless the person's role may do this action (producers.identity.MAY)."""
    if not identity.may(action):
        raise Refused([Problem("", "role_not_allowed")])


def _facility(identity: Identity, facility_id: str) -> None:
    if not identity.may_report_for(facility_id):
        raise Refused(
            [Problem("facility_id", "not_your_facility", (("facility_id", facility_id),))]
        )


def plain_text(field: str, text: str | None, problems: list[Problem]) -> str | None:
    """The text stripped (None if empty); a run of digits like an identifier is a problem."""
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


def common_fields(identity: Identity, type_: str, now: datetime) -> dict[str, Any]:
    """The envelope of a new event: its type, a fresh id, now, and the signed-in actor."""
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
    allow(identity, "report")
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
    data = common_fields(identity, "capacity.reported", now) | {
        "facility_id": facility_id,
        "beds": lines,
    }
    data |= {k: v for k, v in (("accepting", accepting), ("ed_status", ed_status)) if v}
    if text := plain_text("note", note, problems):
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
    case_id: str | None = None,
    now: datetime,
) -> PlacementRequested:
    """A coordinator's request that a facility take a patient (no names, no identifiers); with a
    case of the waiting list, a version 2 request that names it."""
    allow(identity, "request")
    problems: list[Problem] = []
    data = common_fields(identity, "placement.requested", now) | {
        "placement_id": str(uuid.uuid4()),
        "facility_id": facility_id,
        "bed_type": bed_type,
        "patient": {"age_band": age_band, "severity": severity, "needs": list(needs)},
    }
    if text := plain_text("note", note, problems):
        data["note"] = text
    if case_id is not None:
        data |= {"version": 2, "case_id": case_id}
        return _build(PlacementRequestedV2, data, problems)  # type: ignore[no-any-return]
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
    allow(identity, "respond")
    _facility(identity, facility_id)
    problems: list[Problem] = []
    data = common_fields(identity, "placement.responded", now) | {
        "placement_id": placement_id,
        "facility_id": facility_id,
        "decision": decision,
    }
    if text := plain_text("reason", reason, problems):
        data["reason"] = text
    return _build(PlacementResponded, data, problems)  # type: ignore[no-any-return]


def placement_close(
    identity: Identity, placement_id: str, outcome: str, *, now: datetime
) -> PlacementClosed:
    allow(identity, "close")
    data = common_fields(identity, "placement.closed", now) | {
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
    allow(identity, "notice")
    problems = []
    if expires_at is not None and expires_at <= now:
        problems.append(Problem("expires_at", "expires_in_past"))
    data = common_fields(identity, "notice.posted", now) | {
        "notice_id": str(uuid.uuid4()),
        "severity": severity,
        "title": title.strip(),
        "body": body.strip(),
    }
    if expires_at is not None:
        data["expires_at"] = expires_at
    return _build(NoticePosted, data, problems)  # type: ignore[no-any-return]


def notice_withdraw(identity: Identity, notice_id: str, *, now: datetime) -> NoticeWithdrawn:
    allow(identity, "notice")
    data = common_fields(identity, "notice.withdrawn", now) | {"notice_id": notice_id}
    return _build(NoticeWithdrawn, data, [])  # type: ignore[no-any-return]


def phase_declare(
    identity: Identity, *, phase: str, note: str = "", now: datetime
) -> PhaseDeclared:
    """The city's phase from now on (contract v2), declared by an official or the health centre."""
    allow(identity, "phase")
    problems: list[Problem] = []
    data = common_fields(identity, "phase.declared", now) | {"version": 2, "phase": phase.strip()}
    if text := plain_text("note", note, problems):
        data["note"] = text
    return _build(PhaseDeclared, data, problems)  # type: ignore[no-any-return]
