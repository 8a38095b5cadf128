"""SANER-style bed MeasureReports (FHIR R4) read back into capacity report drafts.

The mapping is the FHIR export's (consumers/exports/to_fhir.py) read backwards: the facility is
the subject's identifier, the time `period.end`, and each stratum of bed type one bed line. A
report with SANER's totals only is read as its ICU beds (`adult_icu`) and the rest
(`medical_surgical`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from producers.drafts import Draft
from schemas.interchange import (
    BED_TYPE_SYSTEM,
    FACILITY_SYSTEM,
    ICU_POPULATIONS,
    POPULATIONS,
    TOTALS_ICU_AS,
    TOTALS_REST_AS,
)
from schemas.problems import Problem

# The same report sent twice gets the same event id, so it is published once.
ID_SPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:bedboard:fhir-import")


def read_measure_reports(document: Any) -> tuple[list[Draft], list[Problem]]:
    """Drafts for a MeasureReport or a Bundle of them; every problem found, each with its path."""
    if not isinstance(document, dict):
        return [], [Problem("resourceType", "not_a_report")]
    kind = document.get("resourceType")
    if kind == "MeasureReport":
        reports = [("", document)]
    elif kind == "Bundle":
        entries = document.get("entry") or []
        reports = [
            (f"entry[{n}].resource", entry["resource"])
            for n, entry in enumerate(entries if isinstance(entries, list) else [])
            if isinstance(entry, dict)
            and isinstance(entry.get("resource"), dict)
            and entry["resource"].get("resourceType") == "MeasureReport"
        ]
    else:
        reports = []
    if not reports:
        return [], [Problem("resourceType", "not_a_report")]
    locations = _locations(document)
    drafts: list[Draft] = []
    problems: list[Problem] = []
    for where, report in reports:
        draft, found = _draft(report, where, locations)
        drafts += [draft] if draft else []
        problems += found
    return drafts, problems


def _draft(
    report: dict[str, Any], where: str, locations: dict[str, str]
) -> tuple[Draft | None, list[Problem]]:
    def at(name: str) -> str:
        return f"{where}.{name}" if where else name

    problems = []
    subject = report.get("subject") or {}
    facility_id = _facility(subject, locations)
    if facility_id is None:
        context = (("system", FACILITY_SYSTEM),)
        problems.append(Problem(at("subject.identifier"), "facility_unknown_code", context))
    period = report.get("period") or {}
    occurred_at = period.get("end") or period.get("start")
    if occurred_at is None:
        problems.append(Problem(at("period.end"), "missing"))
    groups = [g for g in report.get("group") or [] if isinstance(g, dict)]
    beds = _stratified(groups) or _from_totals(groups)
    if not beds:
        codes = ", ".join(code for code, _ in POPULATIONS[:2])
        problems.append(Problem(at("group"), "no_bed_counts", (("codes", codes),)))
    if problems:
        return None, problems
    canonical = json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data = {
        "type": "capacity.reported",
        "version": 1,
        "event_id": str(uuid.uuid5(ID_SPACE, canonical)),
        "occurred_at": occurred_at,
        "facility_id": facility_id,
        "beds": beds,
    }
    return Draft(data, where), []


def _facility(subject: dict[str, Any], locations: dict[str, str]) -> str | None:
    identifier = subject.get("identifier")
    if isinstance(identifier, dict) and identifier.get("system") == FACILITY_SYSTEM:
        value = identifier.get("value")
        return value if isinstance(value, str) else None
    return locations.get(subject.get("reference") or "")


def _locations(bundle: dict[str, Any]) -> dict[str, str]:
    """fullUrl -> facility id of each Location in a Bundle (a subject may only refer to one)."""
    found = {}
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "Location":
            continue
        for identifier in resource.get("identifier") or []:
            value = identifier.get("value") if isinstance(identifier, dict) else None
            if isinstance(value, str) and identifier.get("system") == FACILITY_SYSTEM:
                found[str(entry.get("fullUrl", ""))] = value
    return found


def _counts(populations: Any) -> dict[str, Any]:
    """Measured value code -> count (left as sent, so that the contract names a bad one)."""
    counts = {}
    for population in populations or []:
        codings = ((population or {}).get("code") or {}).get("coding") or []
        for coding in codings:
            if isinstance(coding, dict) and "code" in coding:
                counts[coding["code"]] = population.get("count")
    return counts


def _line(bed_type: str, counts: dict[str, Any], codes: tuple[tuple[str, str], ...]) -> Any:
    usable, occupied = (counts.get(code) for code, _ in codes[:2])
    if usable is None and occupied is None:
        return None
    line = {"bed_type": bed_type}
    line |= {"usable": usable} if usable is not None else {}
    return line | ({"occupied": occupied} if occupied is not None else {})


def _stratified(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    beds = []
    for group in groups:
        for stratifier in group.get("stratifier") or []:
            for stratum in (stratifier or {}).get("stratum") or []:
                codings = ((stratum or {}).get("value") or {}).get("coding") or []
                code = next(
                    (c.get("code") for c in codings if c.get("system") == BED_TYPE_SYSTEM), None
                )
                if code is not None:
                    line = _line(code, _counts(stratum.get("population")), POPULATIONS)
                    beds += [line] if line else []
    return beds


def _from_totals(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[str, Any] = {}
    for group in groups:
        counts |= _counts(group.get("population"))
    icu = _line(TOTALS_ICU_AS, counts, ICU_POPULATIONS)
    total = _line(TOTALS_REST_AS, counts, POPULATIONS)
    if icu and total:
        # The totals include the ICU beds; the rest is what is not ICU.
        for name in ("usable", "occupied"):
            if isinstance(total.get(name), int) and isinstance(icu.get(name), int):
                total[name] -= icu[name]
    return [line for line in (icu, total) if line]
