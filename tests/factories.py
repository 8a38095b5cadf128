"""Events for tests, one builder per type: as a dict (`*_body`), a model, raw bytes or accepted."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from consumers.rules import Accepted
from schemas.events import Event, parse_event

# A weekday morning in Hachioji, the default time of every event built here.
AT = "2026-11-26T08:55:00+09:00"
INGEST = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 09:00 JST, five minutes after AT
HOSPITAL = {"org": "hospital", "user": "bedmgr.tanaka"}
HEALTH_CENTRE = {"org": "health_centre", "user": "coord.sato"}
CITY_HALL = {"org": "city_hall", "user": "registry"}


def body(
    event_type: str, at: datetime | str = AT, actor: dict[str, str] = HOSPITAL, **fields: Any
) -> dict[str, Any]:
    """The common fields of the contract with a fresh event id, then the type's own fields."""
    occurred_at = at.isoformat() if isinstance(at, datetime) else at
    common = {
        "type": event_type,
        "version": 1,
        "event_id": str(uuid.uuid4()),
        "occurred_at": occurred_at,
        "actor": actor,
    }
    return common | fields


def event(event_type: str, at: datetime | str = AT, **fields: Any) -> Event:
    """An event of any type, validated as the consumers validate it."""
    return parse_event(body(event_type, at, **fields))


def beds(**lines: tuple[int, int]) -> list[dict[str, Any]]:
    """Report lines from bed_type=(usable, occupied)."""
    return [{"bed_type": k, "usable": u, "occupied": o} for k, (u, o) in lines.items()]


def capacity_body(
    facility: str = "HJ-0001", at: datetime | str = AT, **fields: Any
) -> dict[str, Any]:
    """A capacity report, by default one adult ICU line with 12 usable and 12 occupied."""
    fields.setdefault("beds", beds(adult_icu=(12, 12)))
    return body("capacity.reported", at, facility_id=facility, **fields)


def capacity(facility: str = "HJ-0001", at: datetime | str = AT, **fields: Any) -> Event:
    """A capacity report as the model."""
    return parse_event(capacity_body(facility, at, **fields))


def registration(
    facility: str, district: str = "中央地区", at: datetime | str = AT, **fields: Any
) -> Event:
    """A hospital registered by the city, named after its id unless a name is given."""
    fields.setdefault("name", {"ja": facility})
    fields.setdefault("kind", "hospital")
    return parse_event(
        body("facility.registered", at, CITY_HALL, facility_id=facility, district=district) | fields
    )


def placement_requested(placement_id: str, facility: str = "HJ-0003", **fields: Any) -> Event:
    """A coordinator asks a facility for an adult ICU bed (age band and needs only, no patient)."""
    fields.setdefault("bed_type", "adult_icu")
    fields.setdefault("patient", {"age_band": "70-79", "severity": "severe", "needs": ["oxygen"]})
    fields.setdefault("actor", HEALTH_CENTRE)
    return event(
        "placement.requested",
        placement_id=placement_id,
        facility_id=facility,
        **fields,
    )


def placement_responded(
    placement_id: str, facility: str = "HJ-0003", decision: str = "accepted", **fields: Any
) -> Event:
    """The facility's answer to a placement request."""
    return event(
        "placement.responded",
        placement_id=placement_id,
        facility_id=facility,
        decision=decision,
        **fields,
    )


def placement_closed(placement_id: str, outcome: str = "admitted", **fields: Any) -> Event:
    """The coordinator closes a placement."""
    return event(
        "placement.closed",
        actor=HEALTH_CENTRE,
        placement_id=placement_id,
        outcome=outcome,
        **fields,
    )


def notice_body(
    title: str = "発熱外来の受付時間変更", at: datetime | str = AT, **fields: Any
) -> dict[str, Any]:
    """A notice from the health centre, a warning unless a severity is given."""
    fields.setdefault("notice_id", str(uuid.uuid4()))
    fields.setdefault("severity", "warning")
    return body("notice.posted", at, HEALTH_CENTRE, title=title, **fields)


def notice_posted(title: str = "発熱外来の受付時間変更", **fields: Any) -> Event:
    """A notice as the model."""
    return parse_event(notice_body(title, **fields))


def notice_withdrawn(notice_id: str, at: datetime | str = AT, **fields: Any) -> Event:
    """A notice taken down by the health centre."""
    return parse_event(body("notice.withdrawn", at, HEALTH_CENTRE, notice_id=notice_id, **fields))


def raw(data: Any) -> bytes:
    """The record's bytes as a producer sends them: UTF-8 JSON, Japanese unescaped."""
    return json.dumps(data, ensure_ascii=False).encode()


def accepted(
    data: dict[str, Any] | Event, ingested: datetime = INGEST, offset: int = 0, partition: int = 0
) -> Accepted:
    """An event as the roll-up receives it: checked, with the broker's ingest time and place."""
    model = parse_event(data) if isinstance(data, dict) else data
    return Accepted(model, ingested, partition, offset)
