"""What a return's columns can say: each measure once, as SQL over the sums of one row's group.

Lines as of T are summed per group by category (hospital beds, severe hospital beds, rooms,
temporary medical facilities, waiting stations, everything) and quantity (occupied, secured,
usable, oxygen, available, short of secured); a measure is an expression over those sums, the
context (the city, the time, the phase) and, for rows by district, the health centre's counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from consumers import city
from consumers.rules import available_sql, occupancy_sql
from schemas import glossary

QUANTITIES = ("occupied", "secured", "usable", "oxygen", "available", "short")
# Which lines each sum covers: the returns count hospital beds apart from the rest.
SUBSETS = {
    "hospital": f"category = '{city.HOSPITAL}'",
    "severe": f"category = '{city.HOSPITAL}' AND severe",
    "rooms": f"category = '{city.ACCOMMODATION}'",
    "temporary": f"category = '{city.TEMPORARY}'",
    "waiting": f"category = '{city.WAITING}'",
    "all": "TRUE",
}
COUNTS = ("at_home", "in_accommodation", "awaiting_admission")


def _case(column: str, kind: str, codes: Iterable[str]) -> str:
    """A code as its Japanese word from the glossary (codes and words are our own: no quotes)."""
    whens = " ".join(f"WHEN '{c}' THEN '{glossary.term(kind, c, 'ja')}'" for c in codes)
    return f"CASE {column} {whens} ELSE {column} END"


def line_sql(source: str) -> str:
    """Each line of `source` (queries.state's rows) with its category, secured beds and more."""
    secured = city.secured_sql("s.secured", "s.secured_beds", "$phase", "s.bed_type", "s.usable")
    return f"""
        SELECT facility_id, facility_name, coalesce(district, '') AS district, bed_type,
               usable, occupied, oxygen, category, secured, list_contains($severe, bed_type)
               AS severe, {available_sql("usable", "occupied")} AS available,
               {city.short_sql("usable", "secured")} AS short
        FROM (SELECT * EXCLUDE (secured), {city.category_sql("kind", "bed_type")} AS category,
                     {secured} AS secured
              FROM {source} s)"""


def sums_sql() -> str:
    """The aggregates every group row has; a measure picks and combines them."""
    sums = [
        f"coalesce(sum({q}) FILTER (WHERE {where}), 0)::BIGINT AS {q}_{name}"
        for name, where in SUBSETS.items()
        for q in QUANTITIES
    ]
    return ", ".join(
        [
            *sums,
            "count(DISTINCT facility_id) AS facilities",
            f"count(DISTINCT facility_id) FILTER (WHERE {SUBSETS['hospital']} AND short > 0) "
            "AS facilities_short",
            "any_value(facility_name) AS facility_name_any",
            "any_value(district) AS facility_district_any",
        ]
    )


def _rate(occupied: str, secured: str) -> str:
    return occupancy_sql(secured, occupied)


# measure -> SQL over the group row g (its keys, its sums, the counts) and the parameters.
MEASURES: dict[str, str] = {
    # Who and when
    "city_code": "$city_code",
    "prefecture": "$prefecture",
    "city_name": "$city_name",
    "date": "$date",
    "as_of": "$as_of_text",
    "phase": "$phase",
    "district": "CASE WHEN g.is_total THEN $total_label ELSE g.district END",
    "category": _case("g.category", "category", glossary.CATEGORIES),
    "bed_type": "g.bed_type",
    "bed_type_name": _case("g.bed_type", "bed_type", glossary.BED_TYPE_NAMES),
    "facility_id": "g.facility_id",
    "facility_name": "g.facility_name_any",
    "facility_district": "g.facility_district_any",
    "facilities": "g.facilities",
    # Hospital beds, as the weekly survey counts them
    "inpatients": "g.occupied_hospital",
    "severe_inpatients": "g.occupied_severe",
    "secured_beds": "g.secured_hospital",
    "severe_secured_beds": "g.secured_severe",
    "ready_beds": "g.usable_hospital",
    "severe_ready_beds": "g.usable_severe",
    "oxygen_beds": "g.oxygen_hospital",
    "occupancy_rate": _rate("g.occupied_hospital", "g.secured_hospital"),
    "severe_occupancy_rate": _rate("g.occupied_severe", "g.secured_severe"),
    "short_of_secured": "g.short_hospital",
    "facilities_short": "g.facilities_short",
    # Beyond hospitals
    "accommodation_rooms": "g.secured_rooms",
    "accommodation_rooms_in_use": "g.occupied_rooms",
    "temporary_medical_beds": "g.secured_temporary",
    "temporary_medical_patients": "g.occupied_temporary",
    "waiting_station_beds": "g.secured_waiting",
    "waiting_station_patients": "g.occupied_waiting",
    # The health centre's counts (rows by district only; NULL where never counted)
    "at_home": "g.at_home",
    "in_accommodation": "g.in_accommodation",
    "awaiting_admission": "g.awaiting_admission",
    # Any group's lines, whatever their category (open data by bed category)
    "beds_secured": "g.secured_all",
    "beds_ready": "g.usable_all",
    "beds_occupied": "g.occupied_all",
    "beds_available": "g.available_all",
    "beds_oxygen": "g.oxygen_all",
    "beds_occupancy_rate": _rate("g.occupied_all", "g.secured_all"),
}
