"""Golden files for every snapshot format, written from the fixture event log."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fhir.resources.R4B.bundle import Bundle
from openpyxl import load_workbook
from test_exports_log import GOLDEN, snapshot_of, write_log

from consumers.exports import FORMATS, to_fhir, to_have
from consumers.exports.snapshot import COLUMNS, Snapshot

UPDATE = os.environ.get("BEDBOARD_UPDATE_GOLDEN") == "1"  # regenerate, then review the diff
HAVE = {"have": to_have.HAVE, "xnl": to_have.XNL}


@pytest.fixture
def taken(tmp_path: Path) -> Snapshot:
    return snapshot_of(write_log(tmp_path / "replica.duckdb"))


def golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} differs from its golden file"


def as_json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, default=str) + "\n").encode()


def test_csv_matches_its_golden_file(taken: Snapshot) -> None:
    golden("snapshot.csv", FORMATS["csv"].render(taken))


def test_json_matches_its_golden_file(taken: Snapshot) -> None:
    golden("snapshot.json", FORMATS["json"].render(taken))


def test_fhir_matches_its_golden_file(taken: Snapshot) -> None:
    golden("snapshot.fhir.json", FORMATS["fhir"].render(taken))


def test_have_matches_its_golden_file(taken: Snapshot) -> None:
    golden("snapshot.have.xml", FORMATS["have"].render(taken))


def test_xlsx_cells_match_their_golden_file(taken: Snapshot) -> None:
    book = load_workbook(io.BytesIO(FORMATS["xlsx"].render(taken)))
    assert book.sheetnames == ["snapshot", "about"]
    cells = {
        name: [list(row) for row in book[name].iter_rows(values_only=True)]
        for name in book.sheetnames
    }
    golden("snapshot.xlsx.json", as_json(cells))


def test_parquet_rows_and_metadata_match_their_golden_file(taken: Snapshot) -> None:
    table = pq.read_table(io.BytesIO(FORMATS["parquet"].render(taken)))
    metadata = {
        k.decode(): v.decode() for k, v in table.schema.metadata.items() if k != b"ARROW:schema"
    }
    content = {
        "metadata": metadata,
        "types": {field.name: str(field.type) for field in table.schema},
        "rows": [
            row | {"reported_at": row["reported_at"].isoformat()} for row in table.to_pylist()
        ],
    }
    golden("snapshot.parquet.json", as_json(content))
    assert metadata == {k: str(v) for k, v in taken.metadata().items()}


def test_csv_begins_with_the_bom_and_reads_back_with_pandas_in_the_same_values(
    taken: Snapshot,
) -> None:
    data = FORMATS["csv"].render(taken)
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert list(frame.columns) == list(COLUMNS)
    for read, row in zip(frame.to_dict("records"), taken.rows, strict=True):
        assert read["facility_id"] == row["facility_id"]
        assert read["facility_name"] == (row["facility_name"] or "")
        assert int(read["usable"]) == row["usable"] and int(read["occupied"]) == row["occupied"]
        assert int(read["available"]) == row["available"]
        rate = read["occupancy_rate"]
        assert (float(rate) if rate else None) == row["occupancy_rate"]
        assert (read["accepting"] or None) == row["accepting"]
        assert read["reported_at"] == row["reported_at"]
        assert read["stale"] == ("true" if row["stale"] else "false")


def test_csv_keeps_commas_and_quotes_in_names(taken: Snapshot) -> None:
    odd = Snapshot(
        taken.as_of, taken.known_at, taken.generated_at, taken.timezone, 1,
        (taken.rows[0] | {"facility_name": '八王子 "中央", 東館'},),
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(FORMATS["csv"].render(odd).decode("utf-8-sig"))))
    assert rows[1][1] == '八王子 "中央", 東館'


def test_json_holds_the_metadata_and_a_hash_anyone_can_recompute(taken: Snapshot) -> None:
    import hashlib

    document = json.loads(FORMATS["json"].render(taken))
    assert list(document) == [
        "as_of", "known_at", "generated_at", "timezone", "events", "sha256", "rows",
    ]  # fmt: skip
    assert document["as_of"] == "2026-11-26T09:00:00+09:00"
    assert document["known_at"] == "2026-11-26T09:10:00+09:00"
    assert document["generated_at"] == "2026-11-26T09:15:00+09:00"
    assert document["timezone"] == "Asia/Tokyo"
    # Accepted reports up to as_of and known by known_at; the duplicate and the late one not.
    assert document["events"] == 6
    canonical = json.dumps(
        document["rows"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert document["sha256"] == hashlib.sha256(canonical).hexdigest()
    unregistered = document["rows"][-1]
    assert unregistered["facility_id"] == "HJ-0099"
    assert unregistered["facility_name"] is None and unregistered["district"] is None
    psychiatric = next(r for r in document["rows"] if r["bed_type"] == "psychiatric")
    assert psychiatric["occupancy_rate"] is None and psychiatric["stale"] is False
    surge = next(
        r
        for r in document["rows"]
        if r["facility_id"] == "HJ-0002" and r["bed_type"] == "medical_surgical"
    )
    assert (surge["occupied"], surge["available"], surge["occupancy_rate"]) == (160, 0, 1.0667)
    assert surge["stale"] is True


def test_fhir_is_a_valid_r4_bundle_with_one_measure_report_per_facility(taken: Snapshot) -> None:
    bundle = Bundle.model_validate_json(FORMATS["fhir"].render(taken))
    assert bundle.type == "collection"
    resources = [entry.resource for entry in bundle.entry]
    locations = {r.id: r for r in resources if r.get_resource_type() == "Location"}
    reports = [r for r in resources if r.get_resource_type() == "MeasureReport"]
    assert len(reports) == 4 == len(locations)
    by_facility = {}
    for measure in reports:
        assert measure.status == "complete" and measure.type == "summary"
        assert measure.subject.type == "Location"
        assert measure.subject.identifier.system == to_fhir.FACILITY_SYSTEM
        location = locations[measure.subject.reference.removeprefix("urn:uuid:")]
        assert location.identifier[0].value == measure.subject.identifier.value
        assert measure.date.isoformat() == "2026-11-26T09:15:00+09:00"  # to the second
        counts = {
            p.code.coding[0].code: p.count for group in measure.group for p in group.population
        }
        by_facility[measure.subject.identifier.value] = counts
    # HJ-0001: adult ICU 12/12, HCU 8/6, medical/surgical 220/207.
    assert by_facility["HJ-0001"] == {
        "numTotBeds": 240, "numTotBedsOcc": 225, "numTotBedsAvail": 15,
        "numICUBeds": 12, "numICUBedsOcc": 12, "numICUBedsAvail": 0,
    }  # fmt: skip
    # HJ-0003: no ICU reported, so no ICU counts (absent is not zero); operating rooms are
    # not beds.
    assert by_facility["HJ-0003"] == {"numTotBeds": 60, "numTotBedsOcc": 30, "numTotBedsAvail": 30}


def test_have_has_one_hospital_per_facility_with_its_beds_ems_traffic_and_update_time(
    taken: Snapshot,
) -> None:
    root = ET.fromstring(FORMATS["have"].render(taken))
    assert root.tag == f"{{{to_have.HAVE}}}HospitalStatus"
    hospitals = root.findall("have:Hospital", HAVE)
    assert len(hospitals) == 4
    found = {}
    for hospital in hospitals:
        children = [child.tag.split("}")[1] for child in hospital]
        # The schema's order: Organization, ED status (when known), beds, last update.
        assert children[0] == "Organization" and children[-1] == "LastUpdateTime"
        name = hospital.find(
            "have:Organization/have:OrganizationInformation/xnl:OrganisationName", HAVE
        )
        facility_id = name.get(f"{{{to_have.XNL}}}ID")
        beds = {
            bed.findtext("have:BedType", namespaces=HAVE): (
                bed.findtext("have:Capacity/have:CapacityStatus", namespaces=HAVE),
                int(bed.findtext("have:Capacity/have:AvailableCount", namespaces=HAVE)),
                int(bed.findtext("have:Capacity/have:BaselineCount", namespaces=HAVE)),
            )
            for bed in hospital.findall("have:HospitalBedCapacityStatus/have:BedCapacity", HAVE)
        }
        traffic = hospital.findtext(
            "have:EmergencyDepartmentStatus/have:EMSTraffic/have:EMSTrafficStatus", namespaces=HAVE
        )
        found[facility_id] = (
            name.findtext("xnl:NameElement", namespaces=HAVE),
            beds,
            traffic,
            hospital.findtext("have:LastUpdateTime", namespaces=HAVE),
        )
    assert found["HJ-0001"] == (
        "八王子中央病院",
        # HCU has no HAVE name: it is left out of this format only.
        {"AdultICU": ("NotAvailable", 0, 12), "MedicalSurgical": ("Vacant/Available", 13, 220)},
        "Normal",
        "2026-11-26T08:50:00+09:00",
    )
    assert found["HJ-0002"][1]["ED"] == ("Vacant/Available", 6, 10)
    assert found["HJ-0002"][2] == "Advisory"
    assert found["HJ-0003"][2] is None  # never reported: no EMS traffic element at all
    assert found["HJ-0099"][0] == "HJ-0099"  # an unregistered source is named by its id


def test_every_format_renders_an_empty_snapshot(tmp_path: Path) -> None:
    empty = snapshot_of(write_log(tmp_path / "replica.duckdb", []))
    assert empty.rows == () and empty.events == 0
    assert FORMATS["csv"].render(empty).decode("utf-8-sig").splitlines() == [",".join(COLUMNS)]
    assert json.loads(FORMATS["json"].render(empty))["rows"] == []
    assert Bundle.model_validate_json(FORMATS["fhir"].render(empty)).entry is None
    assert len(ET.fromstring(FORMATS["have"].render(empty))) == 0
    assert pq.read_table(io.BytesIO(FORMATS["parquet"].render(empty))).num_rows == 0
    assert load_workbook(io.BytesIO(FORMATS["xlsx"].render(empty)))["snapshot"].max_row == 1
