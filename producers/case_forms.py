"""Waiting-list events from what coordinators type: a case, its withdrawal, a transport step."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from producers.forms import _build, allow, common_fields, plain_text
from producers.identity import Identity
from schemas.events_v2 import CaseRegistered, CaseWithdrawn, PlacementTransport
from schemas.problems import Problem


def case_register(
    identity: Identity,
    *,
    case_ref: str,
    age_band: str,
    severity: str,
    needs: Sequence[str],
    district: str,
    waiting_at: str,
    waiting_since: datetime,
    note: str | None = None,
    case_id: str | None = None,
    from_facility: str | None = None,
    now: datetime,
) -> CaseRegistered:
    """A person waiting for a bed, under the health centre's own code (or an update of one); a
    step-down transfer waits at a hospital and names it (from_facility)."""
    allow(identity, "request")
    problems: list[Problem] = []
    data = common_fields(identity, "case.registered", now) | {
        "version": 2,
        "case_id": case_id or str(uuid.uuid4()),
        "case_ref": case_ref.strip(),
        "patient": {"age_band": age_band, "severity": severity, "needs": list(needs)},
        "district": district,
        "waiting_at": waiting_at,
        "waiting_since": waiting_since,
    }
    if from_facility:
        data["from_facility"] = from_facility
    if text := plain_text("note", note, problems):
        data["note"] = text
    return _build(CaseRegistered, data, problems)  # type: ignore[no-any-return]


def case_withdraw(
    identity: Identity, case_id: str, reason: str, *, note: str | None = None, now: datetime
) -> CaseWithdrawn:
    """The case leaves the waiting list, with the reason."""
    allow(identity, "request")
    problems: list[Problem] = []
    data = common_fields(identity, "case.withdrawn", now) | {
        "version": 2,
        "case_id": case_id,
        "reason": reason,
    }
    if text := plain_text("note", note, problems):
        data["note"] = text
    return _build(CaseWithdrawn, data, problems)  # type: ignore[no-any-return]


def placement_transport(
    identity: Identity, placement_id: str, step: str, *, now: datetime
) -> PlacementTransport:
    """A step of the patient's transport: arranged, then in transit."""
    allow(identity, "close")
    data = common_fields(identity, "placement.transport", now) | {
        "version": 2,
        "placement_id": placement_id,
        "step": step,
    }
    return _build(PlacementTransport, data, [])  # type: ignore[no-any-return]
