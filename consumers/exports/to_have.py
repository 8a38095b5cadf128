"""EDXL-HAVE: one Hospital per facility with bed capacity per type, EMS traffic, last update."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby

from consumers.exports.snapshot import Row, Snapshot
from schemas.interchange import EMS_TRAFFIC, HAVE, HAVE_BED_TYPES, XNL

MIME = "application/xml"


def render(snapshot: Snapshot) -> bytes:
    """A HospitalStatus document, UTF-8, indented."""
    root = document(snapshot)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def document(snapshot: Snapshot) -> ET.Element:
    """The HospitalStatus element with one Hospital per facility, in facility order."""
    ET.register_namespace("have", HAVE)
    ET.register_namespace("xnl", XNL)
    root = ET.Element(_have("HospitalStatus"))
    for _, lines in groupby(snapshot.rows, key=lambda row: row["facility_id"]):
        root.append(_hospital(list(lines)))
    return root


def _hospital(rows: Sequence[Row]) -> ET.Element:
    first = rows[0]
    hospital = ET.Element(_have("Hospital"))
    organization = ET.SubElement(hospital, _have("Organization"))
    information = ET.SubElement(organization, _have("OrganizationInformation"))
    name = ET.SubElement(
        information, f"{{{XNL}}}OrganisationName", {f"{{{XNL}}}ID": first["facility_id"]}
    )
    ET.SubElement(name, f"{{{XNL}}}NameElement").text = (
        first["facility_name"] or first["facility_id"]
    )
    if first["ed_status"] in EMS_TRAFFIC:  # unknown is left out: it is not "not applicable"
        ed = ET.SubElement(hospital, _have("EmergencyDepartmentStatus"))
        traffic = ET.SubElement(ed, _have("EMSTraffic"))
        ET.SubElement(traffic, _have("EMSTrafficStatus")).text = EMS_TRAFFIC[first["ed_status"]]
    capacity_status = ET.SubElement(hospital, _have("HospitalBedCapacityStatus"))
    for row in rows:
        if row["bed_type"] in HAVE_BED_TYPES:
            capacity_status.append(_bed_capacity(row))
    # The facility's newest line is when its status was last updated.
    newest = max(rows, key=lambda row: datetime.fromisoformat(row["reported_at"]))
    ET.SubElement(hospital, _have("LastUpdateTime")).text = newest["reported_at"]
    return hospital


def _bed_capacity(row: Row) -> ET.Element:
    bed = ET.Element(_have("BedCapacity"))
    ET.SubElement(bed, _have("BedType")).text = HAVE_BED_TYPES[row["bed_type"]]
    capacity = ET.SubElement(bed, _have("Capacity"))
    status = "Vacant/Available" if row["available"] > 0 else "NotAvailable"
    ET.SubElement(capacity, _have("CapacityStatus")).text = status
    ET.SubElement(capacity, _have("AvailableCount")).text = str(row["available"])
    ET.SubElement(capacity, _have("BaselineCount")).text = str(row["usable"])
    return bed


def _have(tag: str) -> str:
    return f"{{{HAVE}}}{tag}"
