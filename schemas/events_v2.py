"""The v2 events of contract/events-v2.md, and the parser that reads every version."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal, Union
from uuid import UUID

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
)
from pydantic import model_validator as _model_validator
from pydantic_core import PydanticCustomError

from schemas import events as v1
from schemas import privacy
from schemas.events import BedType, Count, Event, FacilityId, Patient, Text, Time

# --- Shared by the v2 events --------------------------------------------------------------

VERSIONS = (1, 2)
People = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
# A phase as the prefecture names it: フェーズ "1" … "5", "3-1", "emergency"; short, no spaces.
PhaseId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")]
District = Annotated[str, StringConstraints(min_length=1, max_length=50)]
# v2 adds rooms of accommodation for recovering patients (宿泊療養施設), which are not beds.
BedTypeV2 = Literal[BedType, "accommodation_room"]
BED_TYPES_V2: tuple[str, ...] = BedTypeV2.__args__  # type: ignore[attr-defined]
# v1's temporary_facility is the temporary medical facility (臨時の医療施設); v2 adds two kinds.
FacilityKindV2 = Literal[v1.FacilityKind, "accommodation", "waiting_station"]
OFFICIAL_ORGS = ("city_hall", "health_centre")


def _version_two(expected: str) -> BeforeValidator:
    """Exactly the integer 2 (not true, not 2.0); the message lists every version of the type."""

    def check(value: Any) -> Any:
        if type(value) is not int or value != 2:
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": expected}
            )
        return value

    return BeforeValidator(check)


ONLY_TWO = _version_two("2")
ONE_OR_TWO = _version_two("1, 2")  # a type v2 gave a second version: any other is refused so


class EventV2(Event):
    """The fields every v2 event has: v1's, with version 2."""

    version: Annotated[Literal[2], ONLY_TWO]  # type: ignore[assignment]


def _official(event: Event) -> None:
    # A phase or a district's counts are the city's word: hospitals cannot post them.
    if event.actor.org not in OFFICIAL_ORGS:
        raise PydanticCustomError("official_only", "only the city hall or a health centre may")


# --- capacity.reported v2 ---------------------------------------------------------------


class BedLineV2(v1.BedLine):
    """A v1 line, with the beds secured for the crisis and the oxygen-capable ready beds."""

    bed_type: BedTypeV2  # type: ignore[assignment]
    secured: Count | None = None  # 確保病床: committed for the crisis; may exceed usable
    oxygen: Count | None = None  # 酸素投与可能: of the usable beds, how many can give oxygen

    @_model_validator(mode="after")
    def _oxygen_within_usable(self) -> BedLineV2:
        if self.oxygen is not None and self.oxygen > self.usable:
            raise PydanticCustomError("oxygen_over_usable", "oxygen beds must not exceed usable")
        return self


class CapacityReportedV2(v1.CapacityReported):
    """capacity.reported version 2: a v1 report whose lines may say secured and oxygen."""

    version: Annotated[Literal[2], ONE_OR_TWO]  # type: ignore[assignment]
    beds: Annotated[list[BedLineV2], Field(min_length=1, max_length=20)]  # type: ignore[assignment]


# --- facility.registered v2: the reporting cadence ----------------------------------------

_TIME_OF_DAY = re.compile(
    r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)


def _time_with_offset(value: Any) -> Any:
    # A deadline without an offset could be read in any zone: it must say which, as times do.
    if isinstance(value, time) and value.tzinfo is None:
        raise PydanticCustomError("timezone_aware", "time must carry a UTC offset")
    if isinstance(value, str):
        shape = _TIME_OF_DAY.fullmatch(value)
        if shape is None:
            raise PydanticCustomError("time_parsing", "time must be HH:MM with an offset")
        if shape["offset"] is None:
            raise PydanticCustomError("timezone_aware", "time must carry a UTC offset")
    return value


class ReportingCadence(v1.Frozen):
    """How often a facility is expected to report: every so many hours, or each day by a time."""

    every_hours: Annotated[int, Field(ge=1, le=168, strict=True)] | None = None
    daily_by: Annotated[time, BeforeValidator(_time_with_offset)] | None = None

    @_model_validator(mode="after")
    def _exactly_one(self) -> ReportingCadence:
        if (self.every_hours is None) == (self.daily_by is None):
            raise PydanticCustomError("one_cadence", "give every_hours or daily_by, not both")
        return self


# --- facility.registered v2 -------------------------------------------------------------


class FacilityRegisteredV2(v1.FacilityRegistered):
    """facility.registered version 2: more kinds, and the beds secured at each phase."""

    version: Annotated[Literal[2], ONE_OR_TWO]  # type: ignore[assignment]
    kind: FacilityKindV2  # type: ignore[assignment]
    # 確保病床 per phase: phase -> bed type -> beds the facility committed at that phase.
    secured_beds: Annotated[dict[PhaseId, dict[BedTypeV2, Count]], Field(max_length=20)] | None = (
        None
    )
    reporting: ReportingCadence | None = None  # the cadence its reports are expected at


# --- phase.declared (new in v2) ----------------------------------------------------------


class PhaseDeclared(EventV2):
    """The city's phase (フェーズ) from `occurred_at` on, posted by an official."""

    type: Literal["phase.declared"]
    phase: PhaseId
    note: Annotated[str, StringConstraints(max_length=500)] | None = None

    @_model_validator(mode="after")
    def _by_an_official(self) -> PhaseDeclared:
        _official(self)
        return self


# --- district.counted (new in v2) --------------------------------------------------------


class DistrictCounted(EventV2):
    """The health centre's count of people by care setting in one district: no identifiers."""

    type: Literal["district.counted"]
    district: District
    at_home: People | None = None  # 自宅療養者数
    in_accommodation: People | None = None  # 宿泊療養者数
    awaiting_admission: People | None = None  # 入院等調整中数

    @_model_validator(mode="after")
    def _some_count_by_an_official(self) -> DistrictCounted:
        _official(self)
        if (
            self.at_home is None
            and self.in_accommodation is None
            and (self.awaiting_admission is None)
        ):
            raise PydanticCustomError("no_counts", "at least one count is required")
        return self


COUNT_FIELDS = ("at_home", "in_accommodation", "awaiting_admission")


# --- The waiting list: cases, transport, lapses, step-down (new in v2) ----------------------


def _nothing_personal(value: str) -> str:
    if rule := privacy.personal_in_text(value):
        raise PydanticCustomError(rule, "must not look like a name, date, phone or address")
    return value


def _case_ref(value: str) -> str:
    if rule := privacy.personal_in_case_ref(value):
        raise PydanticCustomError(rule, "must be the health centre's own code, nothing personal")
    return value


# Free text on a case or a placement: prose, and nothing that points at a person.
CaseNote = Annotated[str, Text(max_length=500, prose=True), AfterValidator(_nothing_personal)]
CaseRef = Annotated[
    str,
    Text(min_length=2, max_length=24),
    AfterValidator(_case_ref),
    Field(json_schema_extra={"pattern": privacy.CASE_REF.pattern}),
]
WaitingAt = Literal["home", "hotel", "ambulance", "clinic", "hospital"]
WithdrawReason = Literal[
    "admitted_elsewhere", "recovered", "declined_by_patient", "moved_away", "died", "other"
]


class CaseRegistered(EventV2):
    """A person waiting for a bed, entered by the health centre under its own case code."""

    type: Literal["case.registered"]
    case_id: UUID
    case_ref: CaseRef  # the health centre's pseudonym: means nothing outside its own records
    patient: Patient  # age band, severity, needs: as a placement request says them
    district: District
    waiting_at: WaitingAt
    waiting_since: Time
    note: CaseNote | None = None
    # A step-down transfer (後方支援): the hospital the person moves out of, to a lower level of
    # care; given exactly when the person waits at a hospital.
    from_facility: FacilityId | None = None

    @_model_validator(mode="after")
    def _by_an_official(self) -> CaseRegistered:
        _official(self)
        return self

    @_model_validator(mode="after")
    def _from_facility_at_a_hospital(self) -> CaseRegistered:
        if (self.from_facility is None) == (self.waiting_at == "hospital"):
            raise PydanticCustomError(
                "from_facility_when_hospital", "from_facility is given exactly at a hospital"
            )
        return self


class CaseWithdrawn(EventV2):
    """A case leaves the waiting list without an admission arranged here, with the reason."""

    type: Literal["case.withdrawn"]
    case_id: UUID
    reason: WithdrawReason
    note: CaseNote | None = None

    @_model_validator(mode="after")
    def _by_an_official(self) -> CaseWithdrawn:
        _official(self)
        return self


class PlacementRequestedV2(v1.PlacementRequested):
    """placement.requested version 2: may name the case it places; its note is checked too."""

    version: Annotated[Literal[2], ONE_OR_TWO]  # type: ignore[assignment]
    case_id: UUID | None = None
    note: CaseNote | None = None  # type: ignore[assignment]


class PlacementTransport(EventV2):
    """A step of the patient's transport to the accepting facility."""

    type: Literal["placement.transport"]
    placement_id: UUID
    step: Literal["arranged", "in_transit"]
    note: CaseNote | None = None


class PlacementLapsed(EventV2):
    """The placements processor's word: no answer in time (a flag), or the bed hold lapsed."""

    type: Literal["placement.lapsed"]
    placement_id: UUID
    facility_id: FacilityId
    lapse: Literal["answer", "hold"]  # answer: still open, flagged; hold: ended as expired
    after_s: Annotated[int, Field(ge=1, strict=True)]  # the configured time that ran out


class StepDownReported(EventV2):
    """後方支援: how many of a facility's inpatients could move to lower care or go home now."""

    type: Literal["step_down.reported"]
    facility_id: FacilityId
    lower_care: Count  # could move to a lower level of care (転院・転棟)
    home: Count  # could go home or to accommodation (自宅・宿泊療養)
    note: CaseNote | None = None


# --- Every version ----------------------------------------------------------------------

# Each model under the tag of its (type, version); v1's tags are the bare types, as before.
V2_MODELS: dict[str, type[Event]] = {
    "capacity.reported": CapacityReportedV2,
    "facility.registered": FacilityRegisteredV2,
    "phase.declared": PhaseDeclared,
    "district.counted": DistrictCounted,
    "placement.requested": PlacementRequestedV2,
    "case.registered": CaseRegistered,
    "case.withdrawn": CaseWithdrawn,
    "placement.transport": PlacementTransport,
    "placement.lapsed": PlacementLapsed,
    "step_down.reported": StepDownReported,
}
_ONLY_V2 = {name for name in V2_MODELS if name not in v1.EVENT_TYPES}


def tag(event_type: str, version: int) -> str:
    return event_type if version == 1 else f"{event_type}@{version}"


def _tag_of(value: Any) -> str | None:
    """The tag of a record: its type and, for a type with versions, its version."""
    if isinstance(value, dict):
        kind, version = value.get("type"), value.get("version")
    else:
        kind, version = getattr(value, "type", None), getattr(value, "version", None)
    if not isinstance(kind, str):
        return None
    if kind in _ONLY_V2:
        return tag(kind, 2)  # its model says what is wrong with any other version
    if kind in V2_MODELS and not (type(version) is int and version == 1):
        return tag(kind, 2)  # version 2, or one that is neither: v2's model names both
    return kind  # v1's model, for version 1 and for the types only v1 has


_MEMBERS = [Annotated[model, Tag(name)] for name, model in v1.EVENT_TYPES.items()] + [
    Annotated[model, Tag(tag(name, 2))] for name, model in V2_MODELS.items()
]
EveryVersion = Annotated[Union[tuple(_MEMBERS)], Discriminator(_tag_of)]  # type: ignore[valid-type]  # noqa: UP007
EVERY_VERSION: TypeAdapter[Any] = TypeAdapter(EveryVersion)
# Every model of every version, by tag: what schemas/json/ is generated from.
EVERY_MODEL: dict[str, type[Event]] = {
    **{tag(n, 1): m for n, m in v1.EVENT_TYPES.items()},
    **{tag(n, 2): m for n, m in V2_MODELS.items()},
}


def parse_any(data: Any) -> Event:
    """Validate a decoded JSON object (or JSON text) as an event of any version."""
    if isinstance(data, str | bytes):
        return EVERY_VERSION.validate_json(data)  # type: ignore[no-any-return]
    return EVERY_VERSION.validate_python(data)  # type: ignore[no-any-return]
