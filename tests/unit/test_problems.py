"""Validation problems as people read them: the field path and the rule, in Japanese or English."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.events import parse_event
from schemas.problems import MESSAGES, Problem, field_path, problems_of

EXAMPLES: dict[str, dict[str, Any]] = {
    "capacity.reported": {
        "facility_id": "HJ-0007", "beds": [{"bed_type": "hcu", "usable": 1, "occupied": 0}],
    },
    "facility.registered": {
        "facility_id": "HJ-0001", "name": {"ja": "八王子中央病院"}, "kind": "hospital",
        "district": "八王子市",
    },
    "placement.requested": {
        "placement_id": "6d1f7a52-8f5e-4a39-9d0c-3b2e9a1f4c77", "facility_id": "HJ-0003",
        "bed_type": "adult_icu", "patient": {"age_band": "90+", "severity": "severe", "needs": []},
    },
    "placement.responded": {
        "placement_id": "6d1f7a52-8f5e-4a39-9d0c-3b2e9a1f4c77", "facility_id": "HJ-0003",
        "decision": "declined", "reason": "満床",
    },
}  # fmt: skip


def body(event_type: str, **changes: Any) -> dict[str, Any]:
    common = {
        "type": event_type,
        "version": 1,
        "event_id": "0b6f3c1e-3f2a-4c57-9a53-2f3f3b7f8e10",
        "occurred_at": "2026-11-26T08:55:00+09:00",
        "actor": {"org": "hospital", "user": "bedmgr.tanaka"},
    }
    return common | EXAMPLES[event_type] | changes


def line(bed_type: str = "adult_icu", usable: Any = 1, occupied: Any = 0) -> dict[str, Any]:
    return {"bed_type": bed_type, "usable": usable, "occupied": occupied}


JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# (input, field, rule): one case for every rule the models can raise.
CASES: list[tuple[dict[str, Any], str, str]] = [
    (
        body("capacity.reported", facility_id=None) | {"facility_id": None},
        "facility_id",
        "string_type",
    ),
    ({k: v for k, v in body("capacity.reported").items() if k != "beds"}, "beds", "missing"),
    (body("capacity.reported", colour="red"), "colour", "extra_forbidden"),
    (body("capacity.reported", accepting="stopped"), "accepting", "literal_error"),
    (body("capacity.reported", facility_id="HJ 1"), "facility_id", "string_pattern_mismatch"),
    (body("capacity.reported", beds=[]), "beds", "too_short"),
    (body("capacity.reported", beds=[line(usable=1.5)]), "beds[0].usable", "int_type"),
    (
        body("capacity.reported", beds=[line(), line("hcu", 5001)]),
        "beds[1].usable",
        "less_than_equal",
    ),
    (body("capacity.reported", beds=[line(occupied=-1)]), "beds[0].occupied", "greater_than_equal"),
    (body("capacity.reported", beds=[line(), line()]), "beds", "duplicate_bed_type"),
    (body("capacity.reported", beds="hcu"), "beds", "list_type"),
    (body("capacity.reported", note="あ" * 501), "note", "string_too_long"),
    (body("capacity.reported", occurred_at="2026-11-26T08:55:00"), "occurred_at", "timezone_aware"),
    (body("capacity.reported", occurred_at="yesterday"), "occurred_at", "datetime_parsing"),
    (body("capacity.reported", occurred_at=0), "occurred_at", "datetime_type"),
    (body("capacity.reported", event_id="42"), "event_id", "uuid_parsing"),
    (body("capacity.reported", type="capacity.v2"), "type", "union_tag_invalid"),
    ({"version": 1}, "type", "union_tag_not_found"),
    (body("capacity.reported", actor="tanaka"), "actor", "model_type"),
    (body("facility.registered", name={"ja": ""}), "name.ja", "string_too_short"),
    (body("facility.registered", location={"lat": "35", "lon": 1}), "location.lat", "float_type"),
    (body("facility.registered", licensed_beds={"icu": 1}), "licensed_beds.icu", "literal_error"),
    (body("facility.registered", licensed_beds=[]), "licensed_beds", "dict_type"),
    (body("placement.responded", reason=None), "reason", "reason_required"),
    (
        body("placement.requested", patient={"age_band": "95", "severity": "mild", "needs": []}),
        "patient.age_band",
        "literal_error",
    ),
    (body("capacity.reported", beds=[line(b) for b in ["hcu"] * 21]), "beds", "too_long"),
]


def problems(data: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        parse_event(data)
    return problems_of(caught.value)


@pytest.mark.parametrize(("data", "field", "rule"), CASES, ids=[c[2] + ":" + c[1] for c in CASES])
def test_each_problem_names_the_field_and_the_rule_in_both_languages(
    data: dict[str, Any], field: str, rule: str
) -> None:
    found = {(p.field, p.rule): p for p in problems(data)}
    assert (field, rule) in found, list(found)
    problem = found[(field, rule)]
    ja, en = problem.message("ja"), problem.message("en")
    assert ja.startswith(f"{field}: ") and en.startswith(f"{field}: ")
    assert JAPANESE.search(ja), ja
    assert not JAPANESE.search(en.removeprefix(f"{field}: ")), en
    assert "{" not in ja and "{" not in en  # every placeholder was filled


def test_every_rule_has_a_japanese_and_an_english_message() -> None:
    for rule, (ja, en) in MESSAGES.items():
        assert JAPANESE.search(ja), rule
        assert en and not JAPANESE.search(en), rule


def test_limits_come_from_the_rule_itself() -> None:
    (problem,) = problems(body("capacity.reported", note="あ" * 501))
    assert problem.message("ja") == "note: 500文字以内にしてください"
    assert problem.message("en") == "note: must have at most 500 characters"


def test_choices_are_listed_without_english_in_japanese() -> None:
    (problem,) = problems(body("capacity.reported", accepting="stopped"))
    assert (
        problem.message("ja")
        == "accepting: 次のいずれかにしてください: 'open', 'limited', 'closed'"
    )
    assert problem.message("en") == "accepting: must be one of 'open', 'limited' or 'closed'"


def test_every_problem_of_a_record_is_reported_not_only_the_first() -> None:
    data = body("capacity.reported", facility_id="", beds=[line(usable=-1, occupied=9999)])
    fields = sorted(p.field for p in problems(data))
    assert fields == ["beds[0].occupied", "beds[0].usable", "facility_id"]


def test_field_paths() -> None:
    assert field_path(("beds", 1, "usable")) == "beds[1].usable"
    assert field_path(("patient", "needs", 0)) == "patient.needs[0]"
    assert field_path(("licensed_beds", "icu", "[key]")) == "licensed_beds.icu"
    assert field_path(()) == ""


def test_a_rule_without_a_message_still_says_which_rule() -> None:
    assert Problem("x", "some_new_rule").message("en") == "x: some_new_rule"
    assert Problem("", "invalid_json").message("ja") == "JSON として読めません"
