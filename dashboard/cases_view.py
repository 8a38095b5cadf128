"""What the waiting list and the case page share: a case in words, and its best free beds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from dashboard import model
from dashboard.texts import t

# A case's status as icon and word: never colour alone. Words from the glossary.
STATUS = {
    "waiting": (":orange[:material/hourglass_top:]", "case_status.waiting"),
    "requested": (":orange[:material/forum:]", "case_status.requested"),
    "accepted": (":green[:material/check_circle:]", "placement.accepted"),
    "transport_arranged": (":blue[:material/event_available:]", "transport.arranged"),
    "in_transit": (":blue[:material/ambulance:]", "transport.in_transit"),
    "admitted": (":blue[:material/local_hospital:]", "placement.admitted"),
    "withdrawn": (":gray[:material/block:]", "case_status.withdrawn"),
}
# After these, the case still needs a bed: the page offers the next ones.
TRY_NEXT = ("declined", "expired", "cancelled")


def status_markdown(status: str) -> str:
    icon, key = STATUS[status]
    return f"{icon} **{t(key)}**"


def needs_of(case: Mapping[str, Any]) -> list[str]:
    needs = case["needs"]
    return list(json.loads(needs)) if isinstance(needs, str) else list(needs or [])


def wants_a_bed(case: Mapping[str, Any]) -> bool:
    """Whether the case should be offered beds: nothing open for it, or its request overdue."""
    return case["status"] == "waiting" or bool(case["overdue"])


def why_next(case: Mapping[str, Any]) -> str | None:
    """Why the next beds are offered (a decline, a lapse, no answer in time), or None."""
    if case["overdue"]:
        return t("lapse.answer")
    last = case["last_status"]
    if case["status"] == "waiting" and isinstance(last, str) and last in TRY_NEXT:
        return t("lapse.hold") if last == "expired" else t(f"placement.{last}")
    return None


def wait_span(since: datetime, now: datetime) -> str:
    """How long someone has waited, in the largest whole unit: 10時間 / 10 h."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 120:
        return t("waiting.minutes", n=minutes)
    if minutes < 48 * 60:
        return t("waiting.hours", n=minutes // 60)
    return t("waiting.days", n=minutes // (24 * 60))


def waited(since: datetime, now: datetime) -> str:
    """待機 10時間 / waiting 10 h."""
    return t("waiting.waited", span=wait_span(since, now))


def free_lines(board: pd.DataFrame) -> pd.DataFrame:
    """The lines a patient could be sent to: registered facilities with a bed free net of holds."""
    return board[board["registered"] & (board["available"] > 0)]


def suggestions(
    case: Mapping[str, Any],
    lines: pd.DataFrame,
    centres: pd.DataFrame,
    registry: pd.DataFrame,
    n: int = 3,
) -> pd.DataFrame:
    """A case's best free beds as Find a bed ranks them, from its district, facilities already
    tried left out (so that after a decline or a lapse the next one comes up)."""
    bed_types = model.bed_types_for(case["severity"], needs_of(case))
    origin = model.origin_point(("district", case["district"]), centres, registry)
    ranked = model.rank_beds(lines, bed_types, origin=origin)
    tried = [f for f in (() if case.get("tried") is None else case["tried"]) if f]
    return ranked[~ranked["facility_id"].isin(tried)].head(n)


def patient(case: Mapping[str, Any]) -> dict[str, Any]:
    """What a request says of the patient: the case's age band, severity, needs; its id."""
    return {
        "age_band": case["age_band"],
        "severity": case["severity"],
        "needs": needs_of(case),
        "case_id": case["case_id"],
    }
