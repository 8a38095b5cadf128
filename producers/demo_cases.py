"""A morning's waiting list for the demo and the screenshots: cases, requests, a hold, step-down."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from producers import case_forms, forms
from producers.identity import Identity
from schemas.events import Event
from schemas.events_v2 import parse_any

COORDINATOR = Identity("coordinator", "coordinator")
# (code, minutes waiting, age band, severity, needs, district, where, note)
CASES: tuple[tuple[str, int, str, str, list[str], str, str, str | None], ...] = (
    ("HC-0412", 600, "80-89", "moderate", ["oxygen"], "八王子駅周辺", "home", "SpO2 93%、酸素2L"),
    ("HC-0415", 420, "70-79", "moderate", [], "南大沢", "hotel", None),
    ("HC-0418", 300, "60-69", "moderate", ["wheelchair"], "高尾", "home", None),
    ("HC-0421", 95, "50-59", "severe", ["isolation"], "北野", "ambulance", "救急隊待機中"),
    ("HC-0423", 40, "30-39", "mild", [], "元八王子", "clinic", None),
)


def staff(facility: str) -> Identity:
    return Identity(f"staff.{facility.lower().replace('-', '')}", "hospital_staff", (facility,))


def case_events(now: datetime) -> list[Event]:
    """Five cases; the first accepted with transport arranged (its bed held), the second asked
    and waiting for an answer, the third declined (the next bed is offered); and step-down."""
    events: list[Event] = []
    cases = []
    for ref, minutes, age, severity, needs, district, where, note in CASES:
        at = now - timedelta(minutes=minutes)
        case = case_forms.case_register(
            COORDINATOR, case_ref=ref, age_band=age, severity=severity, needs=needs,
            district=district, waiting_at=where, waiting_since=at, note=note, now=at,
        )  # fmt: skip
        events.append(case)
        cases.append(case)
    plans = (
        (cases[0], "HJ-0002", "medical_surgical", "accepted"),
        (cases[1], "HJ-0003", "medical_surgical", None),
        (cases[2], "HJ-0004", "medical_surgical", "declined"),
    )
    for n, (case, facility, bed, answer) in enumerate(plans):
        at = now - timedelta(minutes=30 - 5 * n)
        request = forms.placement_request(
            COORDINATOR, facility, bed, age_band=case.patient.age_band,
            severity=case.patient.severity, needs=case.patient.needs, case_id=str(case.case_id),
            now=at,
        )  # fmt: skip
        events.append(request)
        pid = str(request.placement_id)
        if answer:
            reason = "満床のため" if answer == "declined" else None
            later = at + timedelta(minutes=4)
            events.append(forms.placement_response(staff(facility), pid, facility, answer,
                                                   reason=reason, now=later))  # fmt: skip
        if answer == "accepted":
            later = at + timedelta(minutes=8)
            events.append(case_forms.placement_transport(COORDINATOR, pid, "arranged", now=later))
    for n, facility in enumerate(("HJ-0001", "HJ-0002", "HJ-0005")):
        events.append(parse_any({
            "type": "step_down.reported", "version": 2, "event_id": str(uuid.uuid4()),
            "occurred_at": (now - timedelta(hours=2)).isoformat(),
            "actor": {"org": "hospital", "user": "demo"}, "facility_id": facility,
            "lower_care": 4 - n, "home": 2 + n,
        }))  # fmt: skip
    return events
