"""The v1 events of contract/events-v1.md as frozen pydantic models."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

# RFC 3339 date-time; the offset is checked apart so that its absence gets its own message.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)


def _rfc3339(value: Any) -> Any:
    # A naive time must never be read as local or UTC, nor a number (or digits) as epoch seconds.
    if isinstance(value, datetime) and value.tzinfo is None:
        raise PydanticCustomError("timezone_aware", "time must carry a UTC offset")
    if isinstance(value, str):
        shape = _RFC3339.fullmatch(value)
        if shape is None:
            raise PydanticCustomError("datetime_parsing", "time must be an RFC 3339 string")
        if shape["offset"] is None:
            raise PydanticCustomError("timezone_aware", "time must carry a UTC offset")
    elif not isinstance(value, datetime):
        raise PydanticCustomError("datetime_type", "time must be an RFC 3339 string")
    return value


def _version_one(value: Any) -> Any:
    # Literal[1] alone lets true and 1.0 through; the contract says the integer 1.
    if type(value) is not int:
        raise PydanticCustomError("literal_error", "Input should be 1", {"expected": "1"})
    return value


# C0 controls, DEL and C1 controls: invisible, they break spreadsheets (XLSX cannot hold most of
# them) and terminals. Prose (notes, notice bodies) may break lines and indent; nothing else may.
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
PROSE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"  # the same, for JSON Schema
PROSE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
# People's and systems' names in actor.user; the dashboard's accounts follow it too.
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")


@dataclass(frozen=True)
class Text:
    """A string field's lengths and the control characters it refuses (one line, or prose)."""

    min_length: int | None = None
    max_length: int | None = None
    prose: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        # Lengths checked first and by the str schema itself, so their messages stay theirs.
        text = core_schema.str_schema(min_length=self.min_length, max_length=self.max_length)
        return core_schema.no_info_after_validator_function(self._check, text)

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        found = handler(schema)
        found["pattern"] = PROSE_PATTERN if self.prose else LINE_PATTERN
        return found

    def _check(self, value: str) -> str:
        if (PROSE_CONTROLS if self.prose else CONTROLS).search(value):
            raise PydanticCustomError("control_character", "must not contain control characters")
        return value


def _username(value: str) -> str:
    if not USERNAME.match(value):
        raise PydanticCustomError("username_pattern", "is not a valid user name")
    return value


Time = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
UserName = Annotated[
    str,
    Text(min_length=1, max_length=64),
    AfterValidator(_username),
    Field(json_schema_extra={"pattern": USERNAME.pattern}),
]
FacilityId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
Count = Annotated[int, Field(ge=0, le=5000, strict=True)]

BedType = Literal[
    "adult_icu",
    "pediatric_icu",
    "neonatal_icu",
    "hcu",
    "emergency",
    "medical_surgical",
    "rehab_long_term",
    "pediatrics",
    "psychiatric",
    "burn",
    "nursery",
    "operating_rooms",
    "negative_flow_isolation",
    "other_isolation",
]
BED_TYPES: tuple[str, ...] = BedType.__args__  # type: ignore[attr-defined]

Accepting = Literal["open", "limited", "closed"]
EdStatus = Literal["normal", "advisory", "closed"]
Org = Literal["hospital", "health_centre", "city_hall", "system"]
AgeBand = Literal[
    "0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+"
]
Need = Literal[
    "oxygen",
    "ventilator",
    "dialysis",
    "isolation",
    "pediatric",
    "maternity",
    "psychiatric",
    "wheelchair",
]
FacilityKind = Literal["hospital", "clinic", "health_centre", "temporary_facility"]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Actor(Frozen):
    org: Org
    user: UserName


class Event(Frozen):
    """The fields every event has."""

    version: Annotated[Literal[1], BeforeValidator(_version_one)]
    event_id: UUID
    occurred_at: Time
    actor: Actor


class BedLine(Frozen):
    bed_type: BedType
    usable: Count
    occupied: Count


class CapacityReported(Event):
    type: Literal["capacity.reported"]
    facility_id: FacilityId
    beds: Annotated[list[BedLine], Field(min_length=1, max_length=20)]
    accepting: Accepting | None = None
    ed_status: EdStatus | None = None
    note: Annotated[str, Text(max_length=500, prose=True)] | None = None

    @model_validator(mode="after")
    def _each_bed_type_once(self) -> CapacityReported:
        seen = [line.bed_type for line in self.beds]
        if len(seen) != len(set(seen)):
            raise PydanticCustomError("duplicate_bed_type", "each bed_type may appear at most once")
        return self


class FacilityName(Frozen):
    ja: Annotated[str, Text(min_length=1, max_length=100)]
    en: Annotated[str, Text()] | None = None  # the contract sets no limit


class Location(Frozen):
    lat: Annotated[float, Field(ge=-90, le=90, strict=True)]
    lon: Annotated[float, Field(ge=-180, le=180, strict=True)]


class FacilityRegistered(Event):
    type: Literal["facility.registered"]
    facility_id: FacilityId
    name: FacilityName
    kind: FacilityKind
    district: Annotated[str, Text(min_length=1, max_length=50)]
    location: Location | None = None
    licensed_beds: dict[BedType, Count] | None = None
    phone: Annotated[str, Text(max_length=30)] | None = None


class Patient(Frozen):
    """Only what is needed to choose a bed: no names, no identifiers."""

    age_band: AgeBand
    severity: Literal["mild", "moderate", "severe"]
    needs: Annotated[list[Need], Field(max_length=8)]


class PlacementRequested(Event):
    type: Literal["placement.requested"]
    placement_id: UUID
    facility_id: FacilityId
    bed_type: BedType
    patient: Patient
    # The contract sets no limit here (capacity notes have 500).
    note: Annotated[str, Text(prose=True)] | None = None


class PlacementResponded(Event):
    type: Literal["placement.responded"]
    placement_id: UUID
    facility_id: FacilityId
    decision: Literal["accepted", "declined"]
    reason: Annotated[str, Text(max_length=200)] | None = None

    @model_validator(mode="after")
    def _reason_when_declined(self) -> PlacementResponded:
        if self.decision == "declined" and not (self.reason or "").strip():
            raise PydanticCustomError("reason_required", "a reason is required when declined")
        return self


class PlacementClosed(Event):
    type: Literal["placement.closed"]
    placement_id: UUID
    outcome: Literal["admitted", "cancelled", "expired"]


class NoticePosted(Event):
    type: Literal["notice.posted"]
    notice_id: UUID
    severity: Literal["info", "warning", "critical"]
    title: Annotated[str, Text(min_length=1, max_length=100)]
    body: Annotated[str, Text(max_length=2000, prose=True)]
    expires_at: Time | None = None


class NoticeWithdrawn(Event):
    type: Literal["notice.withdrawn"]
    notice_id: UUID


AlertKind = Literal["occupancy_high", "stale_report", "not_accepting", "over_capacity"]


class AlertRaised(Event):
    type: Literal["alert.raised"]
    alert_id: Annotated[str, Text()]
    facility_id: FacilityId | None = None
    kind: AlertKind
    detail: dict[str, Any]


class AlertCleared(Event):
    type: Literal["alert.cleared"]
    alert_id: Annotated[str, Text()]
    facility_id: FacilityId | None = None
    kind: AlertKind
    detail: dict[str, Any]


AnyEvent = Annotated[
    CapacityReported
    | FacilityRegistered
    | PlacementRequested
    | PlacementResponded
    | PlacementClosed
    | NoticePosted
    | NoticeWithdrawn
    | AlertRaised
    | AlertCleared,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyEvent)
EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (
        CapacityReported,
        FacilityRegistered,
        PlacementRequested,
        PlacementResponded,
        PlacementClosed,
        NoticePosted,
        NoticeWithdrawn,
        AlertRaised,
        AlertCleared,
    )
}


def parse_event(data: Any) -> Event:
    """Validate a decoded JSON object (or JSON text) as one event of any contract version."""
    # v2's models build on this module's, so its parser is imported when first needed.
    from schemas.events_v2 import parse_any

    return parse_any(data)


def to_json(event: Event) -> bytes:
    """The wire form of an event: compact UTF-8 JSON, unset optional fields left out."""
    return event.model_dump_json(exclude_none=True).encode()
