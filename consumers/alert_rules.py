"""Which alerts should be open and the events that open and close them: no Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from consumers.rules import CapacityState, alert_conditions, occupancy_rate
from schemas.events import Actor, AlertCleared, AlertRaised, Event

ACTOR = Actor(org="system", user="bedboard-alerts")
# Event ids are derived, not random: the same transition decided twice (say, after a crash
# before the offsets were committed) has the same id, and every replica ignores the repeat.
NAMESPACE = uuid.UUID("5f0c4a63-0a7e-4d8e-9a52-6c1f4c1b7a10")


@dataclass(frozen=True)
class Wanted:
    """An alert that the current state says should be open."""

    alert_id: str
    facility_id: str
    kind: str
    detail: dict[str, Any]
    cause: str  # what made it true: the line's event id, a status position, a stale deadline


def alert_id(facility_id: str, kind: str, bed_type: str | None = None) -> str:
    """`<facility>:<kind>[:<bed_type>]`: one id per thing that can be wrong."""
    return f"{facility_id}:{kind}:{bed_type}" if bed_type else f"{facility_id}:{kind}"


def wanted_alerts(
    state: CapacityState,
    facility_id: str,
    now: datetime,
    *,
    threshold: float,
    stale_after: timedelta,
) -> dict[str, Wanted]:
    """The alerts one facility should have open now, from its current (newest) state."""
    wanted: dict[str, Wanted] = {}
    lines = {bed: line for (facility, bed), line in state.lines.items() if facility == facility_id}
    accepting = state.status.get((facility_id, "accepting"))
    last = state.last_report(facility_id)
    counts = ((bed_type, line.usable, line.occupied) for bed_type, line in lines.items())
    conditions = alert_conditions(
        counts, accepting, last, now, threshold=threshold, stale_after=stale_after
    )
    for kind, bed_type in conditions:
        key = alert_id(facility_id, kind, bed_type)
        detail: dict[str, Any]
        if bed_type is not None:  # a line's alert: its numbers, and what made it true
            line = lines[bed_type]
            detail = {
                "bed_type": bed_type,
                "usable": line.usable,
                "occupied": line.occupied,
                "reported_at": line.occurred_at.isoformat(),
            }
            if kind == "occupancy_high":
                rate = occupancy_rate(line.usable, line.occupied)
                detail |= {"occupancy_rate": rate, "threshold": threshold}
            cause = line.event_id
        elif kind == "not_accepting":
            at, _, partition, offset = state.status_order[(facility_id, "accepting")]
            detail = {"accepting": "closed", "reported_at": at.isoformat()}
            cause = f"{partition}:{offset}"
        else:  # stale_report
            assert last is not None
            detail = {
                "last_report": last.isoformat(),
                "stale_after_s": int(stale_after.total_seconds()),
            }
            cause = f"stale:{last.isoformat()}"
        wanted[key] = Wanted(key, facility_id, kind, detail, cause)
    return wanted


def transitions(
    wanted: dict[str, Wanted], open_now: dict[str, Opened], facility_id: str, now: datetime
) -> list[Event]:
    """alert.raised for what should be open and is not; alert.cleared for the reverse."""
    events: list[Event] = []
    for key, alert in sorted(wanted.items()):
        if key not in open_now:
            events.append(
                AlertRaised(
                    type="alert.raised",
                    version=1,
                    event_id=uuid.uuid5(NAMESPACE, f"{key}|raised|{alert.cause}"),
                    occurred_at=now,
                    actor=ACTOR,
                    alert_id=key,
                    facility_id=facility_id,
                    kind=alert.kind,  # type: ignore[arg-type]
                    detail=alert.detail,
                )
            )
    for key, opened in sorted(open_now.items()):
        if key not in wanted:
            events.append(
                AlertCleared(
                    type="alert.cleared",
                    version=1,
                    # One clear per raise, whoever decides it and however often.
                    event_id=uuid.uuid5(NAMESPACE, f"{key}|cleared|{opened.raised_by}"),
                    occurred_at=now,
                    actor=ACTOR,
                    alert_id=key,
                    facility_id=facility_id,
                    kind=opened.kind,  # type: ignore[arg-type]
                    detail={},
                )
            )
    return events


@dataclass(frozen=True)
class Opened:
    """An open alert: its kind and the event id of the raise that opened it."""

    kind: str
    raised_by: str


@dataclass
class OpenAlerts:
    """Which alerts are open, per facility: derived from the alerts topic itself."""

    by_facility: dict[str, dict[str, Opened]] = field(default_factory=dict)

    def apply(self, events: Iterable[Event]) -> None:
        """Raises open, clears close, in log order."""
        for event in events:
            if isinstance(event, AlertRaised) and event.facility_id:
                opened = Opened(event.kind, str(event.event_id))
                self.by_facility.setdefault(event.facility_id, {})[event.alert_id] = opened
            elif isinstance(event, AlertCleared) and event.facility_id:
                self.by_facility.get(event.facility_id, {}).pop(event.alert_id, None)

    def of(self, facility_id: str) -> dict[str, Opened]:
        return dict(self.by_facility.get(facility_id, {}))
