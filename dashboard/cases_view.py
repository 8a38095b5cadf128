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


class Suggestions:
    """Each case's best free beds as Find a bed ranks them (model.rank_beds), from its district;
    facilities already tried are left out, so after a decline or a lapse the next one comes up;
    so is a step-down transfer's own hospital.

    The candidates of a set of bed types are found once for all the cases that want them."""

    def __init__(self, lines: pd.DataFrame, registry: pd.DataFrame) -> None:
        self.lines, self.registry = lines, registry
        self.centres = model.district_centres(registry)
        self._best: dict[tuple[str, ...], pd.DataFrame] = {}
        self._origins: dict[str, tuple[float, float] | None] = {}

    def of(self, case: Mapping[str, Any], n: int = 3) -> pd.DataFrame:
        bed_types = tuple(model.bed_types_for(case["severity"], needs_of(case)))
        if bed_types not in self._best:
            self._best[bed_types] = model.best_beds(self.lines, bed_types)
        tried = [f for f in (() if case.get("tried") is None else case["tried"]) if f]
        if isinstance(leaving := case.get("from_facility"), str):  # never back where it left
            tried.append(leaving)
        district = case["district"]
        if district not in self._origins:
            where = ("district", district)
            self._origins[district] = model.origin_point(where, self.centres, self.registry)
        return model.order_beds(
            self._best[bed_types], self._origins[district], first=n, leave_out=tried
        )


def step_down_from(case: Mapping[str, Any], names: Mapping[str, str]) -> str | None:
    """ "Step-down transfer from <name>" for a case leaving a hospital; None for any other."""
    leaving = case.get("from_facility")
    if not isinstance(leaving, str):
        return None
    return t("waiting.step_down_from", facility=names.get(leaving, leaving))


def patient(case: Mapping[str, Any]) -> dict[str, Any]:
    """What a request says of the patient: the case's age band, severity, needs; its id."""
    return {
        "age_band": case["age_band"],
        "severity": case["severity"],
        "needs": needs_of(case),
        "case_id": case["case_id"],
    }
