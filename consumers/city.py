"""The city's word as pure rules: the phase, the district counts, and secured beds at the phase."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from consumers.rules import ORDER_COLUMNS, Accepted, Order
from schemas.events_v2 import COUNT_FIELDS, DistrictCounted, PhaseDeclared

# Facility categories of the returns, from the registry's kind. Unregistered sources and kinds
# without a category of their own (clinics, health centres) count as hospitals: they hold beds.
HOSPITAL, ACCOMMODATION, TEMPORARY, WAITING = (
    "hospital",
    "accommodation",
    "temporary_medical",
    "waiting_station",
)
CATEGORIES = (HOSPITAL, ACCOMMODATION, TEMPORARY, WAITING)
CATEGORY_OF_KIND = {
    "accommodation": ACCOMMODATION,
    "temporary_facility": TEMPORARY,  # v1's kind: the temporary medical facility (臨時の医療施設)
    "waiting_station": WAITING,
}
ROOM = "accommodation_room"


def category(kind: str | None, bed_type: str) -> str:
    """The returns' category of a line: rooms are accommodation wherever they are reported."""
    if bed_type == ROOM:
        return ACCOMMODATION
    return CATEGORY_OF_KIND.get(kind or "", HOSPITAL)


def category_sql(kind: str, bed_type: str) -> str:
    """category as a DuckDB expression over two columns (a test holds them equal)."""
    kinds = " ".join(f"WHEN {kind} = '{k}' THEN '{c}'" for k, c in CATEGORY_OF_KIND.items())
    return f"CASE WHEN {bed_type} = '{ROOM}' THEN '{ACCOMMODATION}' {kinds} ELSE '{HOSPITAL}' END"


def secured(
    line_secured: int | None,
    registry: Mapping[str, Mapping[str, int]] | None,
    phase: str | None,
    bed_type: str,
    usable: int,
) -> int:
    """確保病床 of a line: what the line says, else the registry's at the phase, else usable.

    Ready beds are among the secured ones, so a facility that never said gives its usable beds:
    a lower bound, never a made-up number.
    """
    if line_secured is not None:
        return line_secured
    if registry and phase is not None and bed_type in registry.get(phase, {}):
        return registry[phase][bed_type]
    return usable


def secured_sql(line_secured: str, registry: str, phase: str, bed_type: str, usable: str) -> str:
    """secured as a DuckDB expression: `registry` is the replica's JSON text of the plan."""
    # Phases and bed types are codes of the contract (no quotes in them): a JSON path is safe.
    path = f"""'$."' || {phase} || '"."' || {bed_type} || '"'"""
    plan = f"TRY_CAST(json_extract_string({registry}, {path}) AS INTEGER)"
    return f"coalesce({line_secured}, {plan}, {usable})"


def registry_secured(text: str | None) -> dict[str, dict[str, int]]:
    """The registry's secured beds per phase as the replica keeps them (JSON text)."""
    return json.loads(text) if text else {}


def short_of_secured(usable: int, secured_beds: int) -> int:
    """Beds secured but not ready now (Tokyo's published gap); 0 when ready meets secured."""
    return max(secured_beds - usable, 0)


def short_sql(usable: str, secured_beds: str) -> str:
    """short_of_secured as a DuckDB expression."""
    return f"greatest({secured_beds} - {usable}, 0)"


@dataclass
class CityState:
    """The phase and each district's counts, each field newest by the design's order."""

    phase: str | None = None
    phase_since: datetime | None = None
    phase_order: Order | None = None
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (district, field)
    count_order: dict[tuple[str, str], Order] = field(default_factory=dict)

    def district_counts(self) -> dict[str, dict[str, int]]:
        """district -> the counts it has, by field."""
        out: dict[str, dict[str, int]] = {}
        for (district, name), value in self.counts.items():
            out.setdefault(district, {})[name] = value
        return out


def fold_city(
    records: Iterable[Accepted],
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> CityState:
    """The reference fold of phase.declared and district.counted: newest occurred_at wins.

    A count left out of a district.counted keeps its earlier value, as a partial report does.
    """
    state = CityState()
    seen: set[str] = set()
    for record in records:
        event = record.event
        if str(event.event_id) in seen:
            continue
        seen.add(str(event.event_id))
        if as_of is not None and event.occurred_at > as_of:
            continue
        if known_at is not None and record.ingested_at > known_at:
            continue
        order = record.order
        if isinstance(event, PhaseDeclared):
            if state.phase_order is None or order > state.phase_order:
                state.phase, state.phase_since, state.phase_order = (
                    event.phase,
                    event.occurred_at,
                    order,
                )
        elif isinstance(event, DistrictCounted):
            for name in COUNT_FIELDS:
                value = getattr(event, name)
                slot = (event.district, name)
                if value is not None and (
                    slot not in state.count_order or order > state.count_order[slot]
                ):
                    state.count_order[slot], state.counts[slot] = order, value
    return state


# --- The same rules over the replica (tests/unit/test_city.py holds them equal to the fold) ---

_KNOWN = "occurred_at <= $as_of AND ingested_at <= $known_at"
_ORDER = "(occurred_at, ingested_at, src_partition, src_offset)"


def phase_as_of(
    cur: duckdb.DuckDBPyConnection, as_of: datetime, known_at: datetime
) -> tuple[str | None, datetime | None]:
    """The phase declared newest as of T, known at K, and since when; (None, None) if none."""
    rows = cur.execute(
        f"SELECT phase, occurred_at FROM phases WHERE {_KNOWN} "
        f"ORDER BY {', '.join(f'{c} DESC' for c in ORDER_COLUMNS)} LIMIT 1",
        {"as_of": as_of, "known_at": known_at},
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else (None, None)


# Each (district, count) newest as of T, known at K: the fold's rule as SQL.
COUNTS_AS_OF = f"""
    SELECT district, {
    ", ".join(
        f"arg_max({name}, {_ORDER}) FILTER (WHERE {name} IS NOT NULL) AS {name}"
        for name in COUNT_FIELDS
    )
}
    FROM district_counts WHERE {_KNOWN} GROUP BY district"""


def counts_as_of(
    cur: duckdb.DuckDBPyConnection, as_of: datetime, known_at: datetime
) -> dict[str, dict[str, int]]:
    """district -> its newest value of each count as of T, known at K."""
    rows = cur.execute(COUNTS_AS_OF, {"as_of": as_of, "known_at": known_at}).fetchall()
    return {
        district: {n: v for n, v in zip(COUNT_FIELDS, values, strict=True) if v is not None}
        for district, *values in rows
    }
