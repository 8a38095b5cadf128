"""What a return's columns can say: each measure once, over the lines of one row's group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from consumers import city
from consumers.exports.snapshot import rfc3339
from consumers.rules import available, occupancy_rate
from schemas import glossary


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One (facility, bed type) as of the return's time, with what the returns need of it."""

    facility_id: str
    facility_name: str | None
    district: str | None
    category: str
    bed_type: str
    usable: int
    occupied: int
    secured: int  # resolved: the line's, else the registry's at the phase, else usable
    oxygen: int | None
    severe: bool


@dataclass(frozen=True)
class Context:
    """What every row of one return shares."""

    as_of: datetime
    timezone: str
    city_code: str
    city_name: str
    prefecture: str
    phase: str | None
    total_label: str


@dataclass
class Group:
    """One row's lines and, for rows by district, the health centre's counts for them."""

    key: dict[str, str | None]
    lines: list[ReturnLine] = field(default_factory=list)
    counts: dict[str, int] | None = None  # None: no count given for these districts


Measure = Callable[[Group, Context], Any]


def _sum(lines: Iterable[ReturnLine], value: Callable[[ReturnLine], int | None]) -> int:
    return sum(v for line in lines if (v := value(line)) is not None)


def _beds(group: Group, *, severe: bool = False) -> list[ReturnLine]:
    """Hospital beds (not rooms, nor temporary facilities or waiting stations)."""
    return [
        line
        for line in group.lines
        if line.category == city.HOSPITAL and (line.severe or not severe)
    ]


def _of(category: str) -> Callable[[Group], list[ReturnLine]]:
    return lambda group: [line for line in group.lines if line.category == category]


def _count(name: str) -> Measure:
    return lambda g, _: None if g.counts is None else g.counts.get(name)


def _district_or_total(g: Group, c: Context) -> str:
    return c.total_label if g.key.get("_total") else (g.key.get("district") or "")


def _rate(occupied: Callable[[Group], int], beds: Callable[[Group], int]) -> Measure:
    return lambda g, _: occupancy_rate(beds(g), occupied(g))


def _inpatients(g: Group, severe: bool = False) -> int:
    return _sum(_beds(g, severe=severe), lambda x: x.occupied)


def _secured(g: Group, severe: bool = False) -> int:
    return _sum(_beds(g, severe=severe), lambda x: x.secured)


def _short(g: Group) -> int:
    return _sum(_beds(g), lambda x: city.short_of_secured(x.usable, x.secured))


def _facilities_short(g: Group) -> int:
    return len({x.facility_id for x in _beds(g) if city.short_of_secured(x.usable, x.secured)})


_rooms, _temporary, _waiting = (
    _of(city.ACCOMMODATION),
    _of(city.TEMPORARY),
    _of(city.WAITING),
)

MEASURES: dict[str, Measure] = {
    # Who and when
    "city_code": lambda _, c: c.city_code,
    "prefecture": lambda _, c: c.prefecture,
    "city_name": lambda _, c: c.city_name,
    "date": lambda _, c: c.as_of.astimezone(ZoneInfo(c.timezone)).date().isoformat(),
    "as_of": lambda _, c: rfc3339(c.as_of, c.timezone),
    "phase": lambda _, c: c.phase,
    "district": _district_or_total,
    "category": lambda g, _: glossary.term("category", g.key.get("category"), "ja"),
    "bed_type": lambda g, _: g.key.get("bed_type"),
    "bed_type_name": lambda g, _: glossary.bed_type(g.key.get("bed_type") or "", "ja"),
    "facility_id": lambda g, _: g.key.get("facility_id"),
    "facility_name": lambda g, _: next((x.facility_name for x in g.lines), None),
    "facility_district": lambda g, _: next((x.district for x in g.lines), None),
    "facilities": lambda g, _: len({x.facility_id for x in g.lines}),
    # Hospital beds, as the weekly survey counts them
    "inpatients": lambda g, _: _inpatients(g),
    "severe_inpatients": lambda g, _: _inpatients(g, severe=True),
    "secured_beds": lambda g, _: _secured(g),
    "severe_secured_beds": lambda g, _: _secured(g, severe=True),
    "ready_beds": lambda g, _: _sum(_beds(g), lambda x: x.usable),
    "severe_ready_beds": lambda g, _: _sum(_beds(g, severe=True), lambda x: x.usable),
    "oxygen_beds": lambda g, _: _sum(_beds(g), lambda x: x.oxygen),
    "occupancy_rate": _rate(_inpatients, _secured),
    "severe_occupancy_rate": _rate(
        lambda g: _inpatients(g, severe=True), lambda g: _secured(g, severe=True)
    ),
    "short_of_secured": lambda g, _: _short(g),
    "facilities_short": lambda g, _: _facilities_short(g),
    # Beyond hospitals
    "accommodation_rooms": lambda g, _: _sum(_rooms(g), lambda x: x.secured),
    "accommodation_rooms_in_use": lambda g, _: _sum(_rooms(g), lambda x: x.occupied),
    "temporary_medical_beds": lambda g, _: _sum(_temporary(g), lambda x: x.secured),
    "temporary_medical_patients": lambda g, _: _sum(_temporary(g), lambda x: x.occupied),
    "waiting_station_beds": lambda g, _: _sum(_waiting(g), lambda x: x.secured),
    "waiting_station_patients": lambda g, _: _sum(_waiting(g), lambda x: x.occupied),
    # The health centre's counts
    "at_home": _count("at_home"),
    "in_accommodation": _count("in_accommodation"),
    "awaiting_admission": _count("awaiting_admission"),
    # Any group's lines, whatever their category (open data by bed category)
    "beds_secured": lambda g, _: _sum(g.lines, lambda x: x.secured),
    "beds_ready": lambda g, _: _sum(g.lines, lambda x: x.usable),
    "beds_occupied": lambda g, _: _sum(g.lines, lambda x: x.occupied),
    "beds_available": lambda g, _: _sum(g.lines, lambda x: available(x.usable, x.occupied)),
    "beds_oxygen": lambda g, _: _sum(g.lines, lambda x: x.oxygen),
    "beds_occupancy_rate": _rate(
        lambda g: _sum(g.lines, lambda x: x.occupied), lambda g: _sum(g.lines, lambda x: x.secured)
    ),
}
