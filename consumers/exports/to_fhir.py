"""FHIR R4: a Bundle of SANER-style MeasureReports, one per facility, with its Location."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from consumers.exports.snapshot import Row, Snapshot
from schemas.glossary import BED_TYPE_NAMES
from schemas.interchange import (
    BED_TYPE_SYSTEM,
    FACILITY_SYSTEM,
    GROUP_SYSTEM,
    ICU,
    ICU_POPULATIONS,
    MEASURE,
    MEASURED_VALUES,
    NOT_BEDS,
    POPULATIONS,
)

MIME = "application/fhir+json"
# Ids derive from the snapshot so that the same snapshot always gives the same Bundle.
ID_SPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:bedboard:snapshot")


def render(snapshot: Snapshot) -> bytes:
    """The Bundle as JSON; dates to the second in the configured zone."""
    return (json.dumps(bundle(snapshot), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def bundle(snapshot: Snapshot) -> dict[str, Any]:
    """A collection Bundle: for each facility a Location and a MeasureReport about it."""
    seed = "|".join(t.astimezone(UTC).isoformat() for t in (snapshot.as_of, snapshot.known_at))
    entries: list[dict[str, Any]] = []
    for facility_id, lines in groupby(snapshot.rows, key=lambda row: row["facility_id"]):
        rows = list(lines)
        location_id = _id(f"location|{facility_id}|{seed}")
        report_id = _id(f"report|{facility_id}|{seed}")
        entries.append(_entry(location_id, _location(location_id, rows[0])))
        entries.append(_entry(report_id, _report(report_id, location_id, rows, snapshot)))
    bundle_id = _id(f"bundle|{seed}")
    document: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": bundle_id,
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
        "type": "collection",
        "timestamp": _second(snapshot.generated_at, snapshot.timezone),
    }
    if entries:  # FHIR JSON has no empty arrays
        document["entry"] = entries
    return document


def _location(location_id: str, row: Row) -> dict[str, Any]:
    location: dict[str, Any] = {
        "resourceType": "Location",
        "id": location_id,
        "identifier": [{"system": FACILITY_SYSTEM, "value": row["facility_id"]}],
        "status": "active",
        "name": row["facility_name"] or row["facility_id"],
        "mode": "instance",
    }
    if row["district"]:
        location["address"] = {"district": row["district"]}
    return location


def _report(
    report_id: str, location_id: str, rows: Sequence[Row], snapshot: Snapshot
) -> dict[str, Any]:
    zone = snapshot.timezone
    as_of = _second(snapshot.as_of, zone)
    beds = [row for row in rows if row["bed_type"] not in NOT_BEDS]
    populations = _counts(POPULATIONS, beds)
    icu = [row for row in rows if row["bed_type"] in ICU]
    if icu:  # only where the facility reports ICU beds: absent is not zero
        populations += _counts(ICU_POPULATIONS, icu)
    first = rows[0]
    return {
        "resourceType": "MeasureReport",
        "id": report_id,
        "status": "complete",
        "type": "summary",
        "measure": MEASURE,
        "subject": {
            "reference": f"urn:uuid:{location_id}",
            "type": "Location",
            "identifier": {"system": FACILITY_SYSTEM, "value": first["facility_id"]},
            "display": first["facility_name"] or first["facility_id"],
        },
        "date": _second(snapshot.generated_at, zone),
        "period": {"start": as_of, "end": as_of},
        "group": [
            {
                "code": {"coding": [{"system": GROUP_SYSTEM, "code": "Beds", "display": "Beds"}]},
                "population": populations,
                # One stratum per bed type, so that the lines themselves travel, not only the
                # totals: an importer gets back exactly what was reported.
                "stratifier": [_by_bed_type(rows)],
            }
        ],
    }


def _by_bed_type(rows: Sequence[Row]) -> dict[str, Any]:
    return {
        "code": [{"coding": [{"system": BED_TYPE_SYSTEM, "code": "bed_type"}]}],
        "stratum": [
            {
                "value": {
                    "coding": [
                        {
                            "system": BED_TYPE_SYSTEM,
                            "code": row["bed_type"],
                            "display": BED_TYPE_NAMES[row["bed_type"]].en,
                        }
                    ]
                },
                "population": _counts(POPULATIONS, [row]),
            }
            for row in rows
        ],
    }


def _counts(codes: Sequence[tuple[str, str]], rows: Sequence[Row]) -> list[dict[str, Any]]:
    totals = (
        sum(row["usable"] for row in rows),
        sum(row["occupied"] for row in rows),
        sum(row["available"] for row in rows),
    )
    return [
        {
            "code": {"coding": [{"system": MEASURED_VALUES, "code": code, "display": display}]},
            "count": count,
        }
        for (code, display), count in zip(codes, totals, strict=True)
    ]


def _entry(resource_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource_id}", "resource": resource}


def _id(name: str) -> str:
    return str(uuid.uuid5(ID_SPACE, name))


def _second(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).replace(microsecond=0).isoformat()
