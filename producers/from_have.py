"""An EDXL-HAVE HospitalStatus document read back into capacity report drafts.

The HAVE export's mapping (consumers/exports/to_have.py) read backwards: the facility is the
organisation name's xnl:ID, the time `LastUpdateTime`, each BedCapacity one bed line with
`usable` = BaselineCount and `occupied` = BaselineCount - AvailableCount, EMS traffic the
`ed_status`. HAVE counts free beds only, so a surge (more occupied than usable) reads as full.
The XML is parsed with defusedxml: no DTD, no entities, no external references.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from producers.drafts import Draft
from schemas.interchange import EMS_TRAFFIC, HAVE, HAVE_BED_TYPES, XNL
from schemas.problems import Problem

ID_SPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:bedboard:have-import")
BED_TYPE_OF = {name: code for code, name in HAVE_BED_TYPES.items()}
ED_STATUS_OF = {name: code for code, name in EMS_TRAFFIC.items()}


def read_have(data: bytes) -> tuple[list[Draft], list[Problem]]:
    """Drafts for every Hospital of the document; every problem found, each with its path."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return [], [Problem("", "forbidden_xml")]
    except ET.ParseError:
        return [], [Problem("", "bad_xml")]
    hospitals = root.findall(_have("Hospital"))
    if root.tag != _have("HospitalStatus") or not hospitals:
        return [], [Problem("HospitalStatus", "not_have")]
    drafts: list[Draft] = []
    problems: list[Problem] = []
    for number, hospital in enumerate(hospitals):
        draft, found = _draft(hospital, f"Hospital[{number}]")
        drafts += [draft] if draft else []
        problems += found
    return drafts, problems


def _draft(hospital: ET.Element, where: str) -> tuple[Draft | None, list[Problem]]:
    problems = []
    name = hospital.find(
        f"{_have('Organization')}/{_have('OrganizationInformation')}/{{{XNL}}}OrganisationName"
    )
    facility_id = None if name is None else name.get(f"{{{XNL}}}ID")
    if not facility_id:
        field = f"{where}.OrganizationInformation.OrganisationName@xnl:ID"
        problems.append(Problem(field, "facility_unknown_code", (("system", "xnl:ID"),)))
    occurred_at = _text(hospital, "LastUpdateTime")
    if occurred_at is None:
        problems.append(Problem(f"{where}.LastUpdateTime", "missing"))
    beds = []
    capacities = hospital.findall(f"{_have('HospitalBedCapacityStatus')}/{_have('BedCapacity')}")
    for number, bed in enumerate(capacities):
        line, found = _line(bed, f"{where}.BedCapacity[{number}]")
        beds += [line] if line else []
        problems += found
    if problems:
        return None, problems
    data = {
        "type": "capacity.reported",
        "version": 1,
        # The same Hospital element sent twice gets the same event id, so it is published once.
        "event_id": str(uuid.uuid5(ID_SPACE, ET.tostring(hospital, encoding="unicode"))),
        "occurred_at": occurred_at,
        "facility_id": facility_id,
        # An empty list is left for the contract to refuse ("at least 1"), naming the field.
        "beds": beds,
    }
    traffic = _text(hospital, "EmergencyDepartmentStatus", "EMSTraffic", "EMSTrafficStatus")
    if traffic is not None:
        data["ed_status"] = ED_STATUS_OF.get(traffic, traffic)  # unknown: the contract says so
    return Draft(data, where), []


def _line(bed: ET.Element, where: str) -> tuple[dict[str, object] | None, list[Problem]]:
    name = _text(bed, "BedType")
    if name not in BED_TYPE_OF:
        return None, [Problem(f"{where}.BedType", "unknown_have_bed_type", (("value", name),))]
    counts: dict[str, int] = {}
    problems = []
    for tag in ("AvailableCount", "BaselineCount"):
        text = _text(bed, "Capacity", tag)
        try:
            counts[tag] = int(text or "")
        except ValueError:
            rule = "missing" if text is None else "int_parsing"
            problems.append(Problem(f"{where}.Capacity.{tag}", rule))
    if problems:
        return None, problems
    baseline, available = counts["BaselineCount"], counts["AvailableCount"]
    field = f"{where}.Capacity.AvailableCount"
    if available < 0:
        return None, [Problem(field, "greater_than_equal", (("ge", 0),))]
    if available > baseline:
        return None, [Problem(field, "available_over_baseline")]
    return {"bed_type": BED_TYPE_OF[name], "usable": baseline, "occupied": baseline - available}, []


def _text(element: ET.Element, *path: str) -> str | None:
    found = element.find("/".join(_have(tag) for tag in path))
    return None if found is None or found.text is None else found.text.strip()


def _have(tag: str) -> str:
    return f"{{{HAVE}}}{tag}"
