"""FHIR MeasureReports and EDXL-HAVE read back into reports: the exports' mappings backwards."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from test_exports_log import AS_OF, snapshot_of, write_log

from consumers.exports import FORMATS
from consumers.exports.snapshot import Snapshot
from producers.drafts import Draft, NotYourFacility, capacity_events
from producers.forms import Refused
from producers.from_fhir import read_measure_reports
from producers.from_have import read_have
from producers.identity import Identity
from schemas.interchange import FACILITY_SYSTEM
from schemas.problems import Problem

NOW = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def taken(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    return snapshot_of(write_log(tmp_path_factory.mktemp("replica") / "replica.duckdb"))


def lines_by_facility(snapshot: Snapshot, skip: tuple[str, ...] = ()) -> dict[str, set[Any]]:
    found: dict[str, set[Any]] = {}
    for row in snapshot.rows:
        if row["bed_type"] not in skip:
            line = (row["bed_type"], row["usable"], row["occupied"])
            found.setdefault(row["facility_id"], set()).add(line)
    return found


def drafted(drafts: list[Draft]) -> dict[str, set[Any]]:
    return {
        d.data["facility_id"]: {(b["bed_type"], b["usable"], b["occupied"]) for b in d.data["beds"]}
        for d in drafts
    }


def test_fhir_export_read_back_gives_the_same_lines(taken: Snapshot) -> None:
    drafts, problems = read_measure_reports(json.loads(FORMATS["fhir"].render(taken)))

    assert problems == []
    assert drafted(drafts) == lines_by_facility(taken)  # surges and operating rooms included
    assert {datetime.fromisoformat(d.data["occurred_at"]) for d in drafts} == {AS_OF}
    everyone = Identity("api.city", "admin")
    events = capacity_events(drafts, everyone, now=NOW)
    assert {e.actor.user for e in events} == {"api.city"}


def test_the_same_report_gets_the_same_event_id(taken: Snapshot) -> None:
    document = json.loads(FORMATS["fhir"].render(taken))
    first, _ = read_measure_reports(document)
    again, _ = read_measure_reports(document)

    assert [d.data["event_id"] for d in first] == [d.data["event_id"] for d in again]
    assert len({d.data["event_id"] for d in first}) == len(first)


def saner_totals(**counts: int) -> dict[str, Any]:
    """A report as a SANER system sends it: totals only, no stratum per bed type."""
    return {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "subject": {"identifier": {"system": FACILITY_SYSTEM, "value": "HJ-0009"}},
        "period": {"start": "2026-11-26T08:00:00+09:00", "end": "2026-11-26T08:00:00+09:00"},
        "group": [
            {
                "population": [
                    {"code": {"coding": [{"code": code}]}, "count": count}
                    for code, count in counts.items()
                ]
            }
        ],
    }


def test_a_report_of_totals_reads_as_icu_and_the_rest() -> None:
    report = saner_totals(numTotBeds=100, numTotBedsOcc=80, numICUBeds=10, numICUBedsOcc=9)

    (draft,), problems = read_measure_reports(report)

    assert problems == []
    assert draft.data["beds"] == [
        {"bed_type": "adult_icu", "usable": 10, "occupied": 9},
        {"bed_type": "medical_surgical", "usable": 90, "occupied": 71},
    ]


def test_fhir_problems_name_where_they_are() -> None:
    report = saner_totals(numTotBeds=100)
    del report["subject"], report["period"]
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Location"}},
                                                  {"resource": report}]}  # fmt: skip

    drafts, problems = read_measure_reports(bundle)

    assert drafts == []
    assert [(p.field, p.rule) for p in problems] == [
        ("entry[1].resource.subject.identifier", "facility_unknown_code"),
        ("entry[1].resource.period.end", "missing"),
    ]
    assert read_measure_reports({"resourceType": "Patient"})[1][0].rule == "not_a_report"


def test_contract_problems_carry_the_report_they_belong_to() -> None:
    report = saner_totals(numTotBeds=9000, numTotBedsOcc=10)
    bundle = {"resourceType": "Bundle", "entry": [{"resource": report}]}
    drafts, _ = read_measure_reports(bundle)

    with pytest.raises(Refused) as refused:
        capacity_events(drafts, Identity("api.x", "hospital_staff", ("HJ-0009",)), now=NOW)

    assert [(p.field, p.rule) for p in refused.value.problems] == [
        ("entry[0].resource.beds[0].usable", "less_than_equal")
    ]


def test_a_draft_for_another_facility_refuses_the_whole_document() -> None:
    mine = Draft({"facility_id": "HJ-0001"}, "Hospital[0]")
    theirs = Draft({"facility_id": "HJ-0002"}, "Hospital[1]")

    with pytest.raises(NotYourFacility) as refused:
        capacity_events([mine, theirs], Identity("api.a", "hospital_staff", ("HJ-0001",)), now=NOW)

    assert [p.field for p in refused.value.problems] == ["Hospital[1].facility_id"]


def test_have_export_read_back_gives_the_same_lines_but_hcu_and_surges(taken: Snapshot) -> None:
    drafts, problems = read_have(FORMATS["have"].render(taken))

    assert problems == []
    expected = {
        facility: {(bed, usable, min(occupied, usable)) for bed, usable, occupied in lines}
        for facility, lines in lines_by_facility(taken, skip=("hcu",)).items()
    }
    assert drafted(drafts) == expected
    newest = {}
    for row in taken.rows:
        at = datetime.fromisoformat(row["reported_at"])
        newest[row["facility_id"]] = max(newest.get(row["facility_id"], at), at)
    for draft in drafts:
        assert (
            datetime.fromisoformat(draft.data["occurred_at"]) == newest[draft.data["facility_id"]]
        )
        row = next(r for r in taken.rows if r["facility_id"] == draft.data["facility_id"])
        assert draft.data.get("ed_status") == row["ed_status"]


HAVE_NS = 'xmlns="urn:oasis:names:tc:emergency:EDXL:HAVE:1.0"'


@pytest.mark.parametrize(
    "document",
    [
        # Entity expansion ("billion laughs") and an external entity: refused before parsing.
        f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;">]>'
        f"<HospitalStatus {HAVE_NS}>&y;</HospitalStatus>",
        f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f"<HospitalStatus {HAVE_NS}>&x;</HospitalStatus>",
    ],
)
def test_have_with_a_dtd_or_entities_is_refused(document: str) -> None:
    assert read_have(document.encode()) == ([], [Problem("", "forbidden_xml")])


def test_have_problems_name_the_hospital_and_the_element() -> None:
    document = f"""<HospitalStatus {HAVE_NS} xmlns:xnl="urn:oasis:names:tc:ciq:xnl:3">
      <Hospital><Organization><OrganizationInformation>
        <xnl:OrganisationName xnl:ID="HJ-0001"/></OrganizationInformation></Organization>
        <HospitalBedCapacityStatus>
          <BedCapacity><BedType>Spaceship</BedType></BedCapacity>
          <BedCapacity><BedType>AdultICU</BedType>
            <Capacity><AvailableCount>x</AvailableCount><BaselineCount>4</BaselineCount></Capacity>
          </BedCapacity>
        </HospitalBedCapacityStatus>
      </Hospital></HospitalStatus>"""

    drafts, problems = read_have(document.encode())

    assert drafts == []
    assert [(p.field, p.rule) for p in problems] == [
        ("Hospital[0].LastUpdateTime", "missing"),
        ("Hospital[0].BedCapacity[0].BedType", "unknown_have_bed_type"),
        ("Hospital[0].BedCapacity[1].Capacity.AvailableCount", "int_parsing"),
    ]
    assert read_have(b"<not xml")[1][0].rule == "bad_xml"
    assert read_have(b"<HospitalStatus/>")[1][0].rule == "not_have"
