"""The waiting list refuses what points at a person: both sides of each rule, and its message."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from schemas.events_v2 import parse_any
from schemas.privacy import personal_in_case_ref, personal_in_text
from schemas.problems import problems_of


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("山田様より依頼", "looks_like_name"),
        ("たろうさん 発熱", "looks_like_name"),
        ("ヤマダ・タロウ", "looks_like_name"),
        ("ヤマダ タロウ", "looks_like_name"),
        ("Taro Yamada, fever", "looks_like_name"),
        ("Mr. Sato", "looks_like_name"),
        ("生年月日 1948-05-03", "looks_like_date"),
        ("1948/5/3生", "looks_like_date"),
        ("昭和23年生まれ", "looks_like_date"),
        ("S23.5 生", "looks_like_date"),
        ("19480503", "looks_like_date"),
        ("０４２−６２３−１２３４", "looks_like_phone"),  # full width, as typed on a Japanese IME
        ("042-623-1234", "looks_like_phone"),
        ("09012345678", "looks_like_phone"),
        ("+81 42 623 1234", "looks_like_phone"),
        ("元本郷町3丁目", "looks_like_address"),
        ("八王子市元本郷町3-24-1", "looks_like_address"),
        ("12番地", "looks_like_address"),
        ("3-chome 24", "looks_like_address"),
        ("1 Main Street", "looks_like_address"),
        ("〒192-8501", "looks_like_address"),
    ],
)
def test_text_that_points_at_a_person_is_refused_with_its_rule(text: str, rule: str) -> None:
    assert personal_in_text(text) == rule


@pytest.mark.parametrize(
    "text",
    [
        "酸素 2L/分 で様子見。同様の症状が続く",
        "SpO2 93%、歩行可。家族と同居",
        "HCU 希望、透析あり",
        "3番目の依頼先",
        "Needs oxygen at night",
        "発症から5日目",
    ],
)
def test_clinical_notes_pass(text: str) -> None:
    assert personal_in_text(text) is None


@pytest.mark.parametrize("ref", ["HC-0412", "W2611-07", "hc_12", "A1"])
def test_a_health_centre_code_is_a_case_reference(ref: str) -> None:
    assert personal_in_case_ref(ref) is None


@pytest.mark.parametrize(
    ("ref", "rule"),
    [
        ("Yamada", "case_ref_pattern"),  # no digit: a word, perhaps a name
        ("Taro Yamada", "case_ref_pattern"),
        ("山田1", "case_ref_pattern"),
        ("HC-19480503", "looks_like_date"),
        ("09012345678", "looks_like_phone"),
        ("042-623-1234", "looks_like_phone"),
    ],
)
def test_a_case_reference_that_is_not_a_plain_code_is_refused(ref: str, rule: str) -> None:
    assert personal_in_case_ref(ref) == rule


def case_body(**fields: object) -> dict[str, object]:
    return {
        "type": "case.registered", "version": 2, "event_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-30T09:00:00+09:00",
        "actor": {"org": "health_centre", "user": "coord.sato"}, "case_id": str(uuid.uuid4()),
        "case_ref": "HC-0412", "district": "元本郷", "waiting_at": "home",
        "patient": {"age_band": "70-79", "severity": "severe", "needs": ["oxygen"]},
        "waiting_since": "2026-11-29T21:00:00+09:00",
    } | fields  # fmt: skip


def test_the_event_names_the_field_and_the_rule_in_japanese_and_english() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_any(case_body(case_ref="Yamada", note="山田様 元本郷町3丁目"))
    problems = {p.field: p for p in problems_of(caught.value)}
    assert problems["case_ref"].rule == "case_ref_pattern"
    assert problems["note"].rule == "looks_like_address"
    assert problems["note"].message("ja") == (
        "note: 住所のように見えます（番地・丁目・郵便番号などは書けません）"
    )
    assert problems["case_ref"].message("en").startswith("case_ref: must be the health centre's")


def test_only_an_official_registers_a_case_and_a_clean_case_is_read() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_any(case_body(actor={"org": "hospital", "user": "ward.ito"}))
    assert [p.rule for p in problems_of(caught.value)] == ["official_only"]
    event = parse_any(case_body(note="酸素 2L で様子見"))
    assert event.case_ref == "HC-0412"  # type: ignore[attr-defined]


def test_a_v2_request_note_is_checked_and_a_v1_note_is_not() -> None:
    request = {
        "type": "placement.requested", "event_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-30T09:00:00+09:00",
        "actor": {"org": "health_centre", "user": "coord.sato"},
        "placement_id": str(uuid.uuid4()), "facility_id": "HJ-0001", "bed_type": "hcu",
        "patient": {"age_band": "70-79", "severity": "severe", "needs": []},
        "note": "ヤマダ タロウ",
    }  # fmt: skip
    assert parse_any(request | {"version": 1}).note == "ヤマダ タロウ"  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as caught:
        parse_any(request | {"version": 2, "case_id": str(uuid.uuid4())})
    assert [(p.field, p.rule) for p in problems_of(caught.value)] == [("note", "looks_like_name")]
