"""The event models line by line against contract/events-v1.md, and the generated JSON Schema."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from schemas import jsonschema as generator
from schemas.events import BED_TYPES, EVENT_TYPES, parse_event, to_json

COMMON = {
    "version": 1,
    "event_id": "0b6f3c1e-3f2a-4c57-9a53-2f3f3b7f8e10",
    "occurred_at": "2026-11-26T08:55:00+09:00",
    "actor": {"org": "hospital", "user": "bedmgr.tanaka"},
}
PID = "6d1f7a52-8f5e-4a39-9d0c-3b2e9a1f4c77"
# One valid event per type, with every optional field, as the contract describes them.
EXAMPLES: dict[str, dict[str, Any]] = {
    "capacity.reported": {
        "facility_id": "HJ-0007",
        "accepting": "limited",
        "ed_status": "normal",
        "note": "救急は制限中",
        "beds": [
            {"bed_type": "medical_surgical", "usable": 220, "occupied": 207},
            {"bed_type": "adult_icu", "usable": 12, "occupied": 12},
            {"bed_type": "negative_flow_isolation", "usable": 8, "occupied": 5},
        ],
    },
    "facility.registered": {
        "facility_id": "HJ-0001",
        "name": {"ja": "八王子中央病院", "en": "Hachioji Central Hospital"},
        "kind": "hospital",
        "district": "八王子市",
        "location": {"lat": 35.6664, "lon": 139.316},
        "licensed_beds": {"adult_icu": 10, "medical_surgical": 300},
        "phone": "042-000-0000",
    },
    "placement.requested": {
        "placement_id": PID,
        "facility_id": "HJ-0003",
        "bed_type": "adult_icu",
        "patient": {"age_band": "90+", "severity": "severe", "needs": ["oxygen", "isolation"]},
        "note": "酸素 5L",
    },
    "placement.responded": {
        "placement_id": PID,
        "facility_id": "HJ-0003",
        "decision": "declined",
        "reason": "満床",
    },
    "placement.closed": {"placement_id": PID, "outcome": "admitted"},
    "notice.posted": {
        "notice_id": PID,
        "severity": "critical",
        "title": "ICU 逼迫",
        "body": "",
        "expires_at": "2026-11-27T09:00:00+09:00",
    },
    "notice.withdrawn": {"notice_id": PID},
    "alert.raised": {
        "alert_id": "HJ-0001:occupancy_high:adult_icu",
        "facility_id": "HJ-0001",
        "kind": "occupancy_high",
        "detail": {"occupancy_rate": 0.97},
    },
    "alert.cleared": {"alert_id": "x", "kind": "stale_report", "detail": {}},
}
REQUIRED = {
    "capacity.reported": {"facility_id", "beds"},
    "facility.registered": {"facility_id", "name", "kind", "district"},
    "placement.requested": {"placement_id", "facility_id", "bed_type", "patient"},
    "placement.responded": {"placement_id", "facility_id", "decision"},
    "placement.closed": {"placement_id", "outcome"},
    "notice.posted": {"notice_id", "severity", "title", "body"},
    "notice.withdrawn": {"notice_id"},
    "alert.raised": {"alert_id", "kind", "detail"},
    "alert.cleared": {"alert_id", "kind", "detail"},
}


def body(event_type: str, **changes: Any) -> dict[str, Any]:
    return {"type": event_type, **copy.deepcopy(COMMON), **copy.deepcopy(EXAMPLES[event_type])} | (
        changes
    )


def refused(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        parse_event(data)
    return [str(e["type"]) for e in caught.value.errors()]


def test_every_contract_type_has_a_model_and_an_example() -> None:
    assert set(EVENT_TYPES) == set(EXAMPLES) == set(REQUIRED)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_the_example_is_valid_and_round_trips(event_type: str) -> None:
    event = parse_event(body(event_type))
    assert parse_event(to_json(event)) == event
    assert json.loads(to_json(event))["type"] == event_type


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_exactly_the_contract_fields_are_required(event_type: str) -> None:
    for name in ("type", "version", "event_id", "occurred_at", "actor", *REQUIRED[event_type]):
        data = body(event_type)
        del data[name]
        assert refused(data), name
    optional = set(EXAMPLES[event_type]) - REQUIRED[event_type]
    # A reason is optional only for an acceptance.
    data = body(event_type, decision="accepted") if "reason" in optional else body(event_type)
    for name in optional:
        del data[name]
    parse_event(data)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_unknown_fields_are_refused(event_type: str) -> None:
    assert refused(body(event_type, colour="red")) == ["extra_forbidden"]
    data = body(event_type)
    data["actor"]["role"] = "x"
    assert refused(data) == ["extra_forbidden"]


def test_unknown_type_and_other_versions_are_refused() -> None:
    assert refused(body("capacity.reported", type="capacity.v2")) == ["union_tag_invalid"]
    for version in (0, 3, "1", 1.0, True):
        assert refused(body("capacity.reported", version=version)) == ["literal_error"], version
    # Contract v2 gave capacity.reported a version 2; a type v2 left alone has only version 1.
    assert refused(body("notice.withdrawn", version=2)) == ["literal_error"]


@pytest.mark.parametrize(
    "moment",
    [
        "2026-11-26T08:55:00",
        "2026-11-26",
        "1764114900",
        1764114900,
        "26/11/2026 08:55",
        "2026-11-26T08:55:00+0900",
    ],
)
def test_a_time_without_an_offset_or_not_rfc3339_is_refused(moment: Any) -> None:
    assert refused(body("capacity.reported", occurred_at=moment))


@pytest.mark.parametrize(
    "moment", ["2026-11-26T08:55:00Z", "2026-11-26t08:55:00.5+09:00", "2026-11-26 08:55:00-03:30"]
)
def test_rfc3339_times_with_an_offset_are_accepted(moment: str) -> None:
    assert parse_event(body("capacity.reported", occurred_at=moment)).occurred_at.tzinfo


def test_event_id_must_be_a_uuid() -> None:
    assert refused(body("notice.withdrawn", event_id="not-a-uuid")) == ["uuid_parsing"]


def test_actor_rules() -> None:
    assert refused(body("notice.withdrawn", actor={"org": "press", "user": "a"}))
    assert refused(body("notice.withdrawn", actor={"org": "system", "user": ""}))
    assert refused(body("notice.withdrawn", actor={"org": "system", "user": "u" * 65}))
    parse_event(body("notice.withdrawn", actor={"org": "city_hall", "user": "u" * 64}))


@pytest.mark.parametrize("facility", ["A", "0", "HJ_0001-x", "a" * 32])
def test_facility_ids_the_contract_allows(facility: str) -> None:
    parse_event(body("capacity.reported", facility_id=facility))


@pytest.mark.parametrize("facility", ["", "-HJ", "_HJ", "HJ 1", "HJ.1", "a" * 33, "病院", "HJ\n"])
def test_facility_ids_the_contract_refuses(facility: str) -> None:
    assert refused(body("capacity.reported", facility_id=facility))


def line(bed_type: str = "adult_icu", usable: Any = 1, occupied: Any = 0) -> dict[str, Any]:
    return {"bed_type": bed_type, "usable": usable, "occupied": occupied}


def test_bed_types_are_the_fourteen_codes_of_the_contract() -> None:
    assert BED_TYPES == (
        "adult_icu",
        "pediatric_icu",
        "neonatal_icu",
        "hcu",
        "emergency",
        "medical_surgical",
        "rehab_long_term",
        "pediatrics",
        "psychiatric",
        "burn",
        "nursery",
        "operating_rooms",
        "negative_flow_isolation",
        "other_isolation",
    )
    assert refused(body("capacity.reported", beds=[line("icu")])) == ["literal_error"]


def test_beds_rules() -> None:
    parse_event(body("capacity.reported", beds=[line(b) for b in BED_TYPES]))
    assert refused(body("capacity.reported", beds=[])) == ["too_short"]
    twice = [line("hcu"), line("hcu", 2, 2)]
    assert refused(body("capacity.reported", beds=twice)) == ["duplicate_bed_type"]
    parse_event(body("capacity.reported", beds=[line(usable=5000, occupied=5000)]))
    parse_event(body("capacity.reported", beds=[line(usable=3, occupied=9)]))  # a surge
    for bad in (-1, 5001, 1.5, 2.0, "3", True, None):
        assert refused(body("capacity.reported", beds=[line(usable=bad)])), bad
        assert refused(body("capacity.reported", beds=[line(occupied=bad)])), bad


def test_more_than_twenty_lines_are_refused() -> None:
    # Only 14 bed types exist, so 21 lines always repeat one; the length rule still answers.
    lines = [line(BED_TYPES[i % 14]) for i in range(21)]
    assert "too_long" in refused(body("capacity.reported", beds=lines))


def test_capacity_optional_fields() -> None:
    for name, good, bad in (
        ("accepting", ["open", "limited", "closed"], "stopped"),
        ("ed_status", ["normal", "advisory", "closed"], "open"),
    ):
        for value in good:
            parse_event(body("capacity.reported", **{name: value}))
        assert refused(body("capacity.reported", **{name: bad})) == ["literal_error"]
    parse_event(body("capacity.reported", note="あ" * 500))
    assert refused(body("capacity.reported", note="あ" * 501)) == ["string_too_long"]


def test_facility_registered_rules() -> None:
    t = "facility.registered"
    for kind in ("hospital", "clinic", "health_centre", "temporary_facility"):
        parse_event(body(t, kind=kind))
    assert refused(body(t, kind="pharmacy")) == ["literal_error"]
    assert refused(body(t, name={"ja": ""})) == ["string_too_short"]
    assert refused(body(t, name={"ja": "あ" * 101})) == ["string_too_long"]
    parse_event(body(t, name={"ja": "病院", "en": "E" * 300}))  # the contract sets no limit
    assert refused(body(t, district="")) == ["string_too_short"]
    assert refused(body(t, district="区" * 51)) == ["string_too_long"]
    parse_event(body(t, location={"lat": -90, "lon": 180}))
    for where in ({"lat": 90.1, "lon": 0}, {"lat": 0, "lon": -180.5}, {"lat": "35", "lon": 1}):
        assert refused(body(t, location=where)), where
    assert refused(body(t, licensed_beds={"icu": 1}))
    assert refused(body(t, licensed_beds={"hcu": 5001}))
    assert refused(body(t, phone="0" * 31)) == ["string_too_long"]


def test_placement_rules() -> None:
    t = "placement.requested"
    patient = EXAMPLES[t]["patient"]
    bands = ["0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+"]
    for band in bands:
        parse_event(body(t, patient=patient | {"age_band": band}))
    assert refused(body(t, patient=patient | {"age_band": "95"}))
    assert refused(body(t, patient=patient | {"severity": "critical"}))
    needs = ["oxygen", "ventilator", "dialysis", "isolation"]
    needs += ["pediatric", "maternity", "psychiatric", "wheelchair"]
    parse_event(body(t, patient=patient | {"needs": needs}))
    parse_event(body(t, patient=patient | {"needs": []}))
    assert refused(body(t, patient=patient | {"needs": ["surgery"]}))
    # No names and no patient identifiers: the patient object has no room for them.
    assert refused(body(t, patient=patient | {"name": "山田太郎"})) == ["extra_forbidden"]
    assert refused(body(t, placement_id="P-1")) == ["uuid_parsing"]

    r = "placement.responded"
    parse_event(body(r, decision="accepted", reason=None))
    assert refused(body(r, decision="declined", reason=None)) == ["reason_required"]
    assert refused(body(r, decision="declined", reason="  ")) == ["reason_required"]
    assert refused(body(r, reason="理" * 201)) == ["string_too_long"]
    assert refused(body(r, decision="maybe")) == ["literal_error"]
    for outcome in ("admitted", "cancelled", "expired"):
        parse_event(body("placement.closed", outcome=outcome))
    assert refused(body("placement.closed", outcome="done")) == ["literal_error"]


def test_notice_rules() -> None:
    t = "notice.posted"
    for severity in ("info", "warning", "critical"):
        parse_event(body(t, severity=severity))
    assert refused(body(t, title="")) == ["string_too_short"]
    assert refused(body(t, title="題" * 101)) == ["string_too_long"]
    parse_event(body(t, body="本" * 2000))
    assert refused(body(t, body="本" * 2001)) == ["string_too_long"]
    assert refused(body(t, expires_at="2026-11-27T09:00:00"))


def test_alert_kinds() -> None:
    for kind in ("occupancy_high", "stale_report", "not_accepting", "over_capacity"):
        parse_event(body("alert.raised", kind=kind))
    assert refused(body("alert.raised", kind="fire")) == ["literal_error"]


# --- the generated JSON Schema ------------------------------------------------------------------


def test_the_checked_in_json_schemas_match_the_models() -> None:
    differ = generator.stale()
    assert differ == [], f"run `python -m schemas.jsonschema` to regenerate {differ}"


def test_stale_notices_a_changed_missing_or_extra_file(tmp_path) -> None:
    generator.write(tmp_path)
    assert generator.stale(tmp_path) == []
    (tmp_path / "capacity.reported.json").write_text("{}\n")
    (tmp_path / "notice.withdrawn.json").unlink()
    (tmp_path / "old.json").write_text("{}\n")
    assert generator.stale(tmp_path) == [
        "capacity.reported.json",
        "notice.withdrawn.json",
        "old.json",
    ]


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_the_examples_pass_their_json_schema_and_the_union(event_type: str) -> None:
    files = generator.render()
    data = json.loads(to_json(parse_event(body(event_type))))
    jsonschema.validate(data, json.loads(files[f"{event_type}.json"]))
    jsonschema.validate(data, json.loads(files["event.json"]))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data | {"colour": "red"}, json.loads(files[f"{event_type}.json"]))


def test_the_bed_type_names_table_has_exactly_the_contract_s_codes() -> None:
    from schemas.events_v2 import BED_TYPES_V2
    from schemas.glossary import BED_TYPE_NAMES

    assert list(BED_TYPE_NAMES) == list(BED_TYPES_V2)  # the same codes, in the contract's order


def test_a_type_with_two_versions_names_both_when_another_is_sent() -> None:
    from schemas.problems import problems_of

    with pytest.raises(ValidationError) as caught:
        parse_event(body("capacity.reported", version=3))
    (problem,) = problems_of(caught.value)
    assert problem.message("en") == "version: must be one of 1, 2"
    assert problem.message("ja") == "version: 次のいずれかにしてください: 1, 2"
