"""The registry CSV: every row checked, each problem named by row, column and rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from producers.registry import RowProblem, read_registry_csv
from schemas.events import BED_TYPES, Actor
from schemas.events_v2 import FacilityRegisteredV2

ACTOR = Actor(org="city_hall", user="tester")
NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
DEMO = Path(__file__).resolve().parents[2] / "producers" / "data" / "demo_city.csv"
HEADER = "facility_id,name_ja,name_en,kind,district,lat,lon,phone,licensed_adult_icu\n"


def rules(problem: RowProblem) -> list[tuple[str, str]]:
    return [(p.field, p.rule) for p in problem.problems]


def test_a_valid_registry_becomes_events() -> None:
    text = HEADER + "HJ-0100,テスト病院,Test Hospital,hospital,北野,35.64,139.35,042-600-0000,12\n"

    events, problems = read_registry_csv(text, ACTOR, NOW)

    assert problems == []
    (event,) = events
    assert event.facility_id == "HJ-0100"
    assert event.name.ja == "テスト病院" and event.name.en == "Test Hospital"
    assert event.location is not None and event.location.lat == 35.64
    assert event.licensed_beds == {"adult_icu": 12}
    assert event.occurred_at == NOW and event.actor == ACTOR


def test_optional_columns_may_be_absent_or_empty() -> None:
    text = "facility_id,name_ja,kind,district,lat,lon\nA1,病院,clinic,高尾,,\n"

    events, problems = read_registry_csv(text, ACTOR, NOW)

    assert problems == []
    assert events[0].location is None and events[0].licensed_beds is None
    assert events[0].name.en is None and events[0].phone is None


def test_utf8_with_bom_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(("\ufeff" + HEADER + "HJ-1,病院,,hospital,北野,,,,\r\n").encode())

    events, problems = read_registry_csv(path, ACTOR, NOW)

    assert problems == [] and events[0].facility_id == "HJ-1"


def test_missing_required_columns_are_one_problem() -> None:
    events, problems = read_registry_csv("facility_id,name,district\nA,b,c\n", ACTOR, NOW)

    assert events == []
    (problem,) = problems
    assert problem.row == 1
    assert rules(problem) == [("", "missing_columns"), ("", "unknown_columns")]
    assert "name_ja, kind" in problem.message("en")
    assert problem.message("ja").startswith("1行目: 必須の列がありません: name_ja, kind")


def test_each_bad_row_gives_row_column_and_rule() -> None:
    text = (
        HEADER
        + "HJ-1,病院,,hospital,北野,35.6,139.3,,8\n"
        + "HJ-2,病院,,hotel,北野,35.6,,,x\n"
        + "bad id!,,,hospital,,200,139.3,,-1\n"
    )

    events, problems = read_registry_csv(text, ACTOR, NOW)

    assert [e.facility_id for e in events] == ["HJ-1"]
    assert [p.row for p in problems] == [3, 4]
    assert sorted(rules(problems[0])) == [
        ("kind", "literal_error"),
        ("licensed_adult_icu", "int_parsing"),
        ("lon", "location_incomplete"),
    ]
    assert sorted(rules(problems[1])) == [
        ("district", "string_too_short"),
        ("facility_id", "string_pattern_mismatch"),
        ("lat", "less_than_equal"),
        ("licensed_adult_icu", "greater_than_equal"),
        ("name_ja", "string_too_short"),
    ]
    assert "row 4: " in problems[1].message("en")
    assert "licensed_adult_icu: must be at least 0" in problems[1].message("en")
    assert "4行目: " in problems[1].message("ja")


def test_a_repeated_facility_id_names_the_first_row() -> None:
    text = HEADER + "HJ-1,病院,,hospital,北野,,,,\n" + "HJ-1,別病院,,hospital,北野,,,,\n"

    _, problems = read_registry_csv(text, ACTOR, NOW)

    assert rules(problems[0]) == [("facility_id", "duplicate_facility_id")]
    assert problems[0].message("en") == "row 3: facility_id: the same facility_id is also on row 2"


def test_blank_rows_are_skipped_and_short_rows_padded() -> None:
    text = (
        HEADER + ",,,,,,,,\n\n" + "HJ-1,病院,,hospital,北野\n" + "HJ-2,病院,,hospital,北野,,,,,x\n"
    )

    events, problems = read_registry_csv(text, ACTOR, NOW)

    assert [e.facility_id for e in events] == ["HJ-1"]
    assert [(p.row, rules(p)) for p in problems] == [(5, [("", "too_many_cells")])]


def test_bytes_neither_utf8_nor_shift_jis_are_one_clear_problem() -> None:
    _, problems = read_registry_csv(b"facility_id,name_ja\n\xff\xfe\x00\x81", ACTOR, NOW)

    assert rules(problems[0]) == [("", "bad_encoding")]
    assert problems[0].message("en") == (
        "row 1: cannot be decoded: save it as UTF-8 (or Shift_JIS)"
    )


def test_a_registry_saved_by_japanese_excel_reads_as_shift_jis() -> None:
    text = HEADER + "HJ-0100,八王子みなみ病院,,hospital,北野,,,,12\n"

    events, problems = read_registry_csv(text.encode("cp932"), ACTOR, NOW)

    assert problems == []
    assert [(e.facility_id, e.name.ja, e.district) for e in events] == [
        ("HJ-0100", "八王子みなみ病院", "北野")
    ]


def test_a_cell_too_large_for_csv_is_a_row_problem_naming_the_column() -> None:
    text = HEADER + "HJ-0100,病院,,hospital,北野,,,,\n" + "HJ-0101,病院,,hospital," + "北" * 140_000

    events, problems = read_registry_csv(text, ACTOR, NOW)

    assert [(p.row, rules(p)) for p in problems] == [(3, [("district", "cell_too_large")])]
    assert problems[0].message("en").startswith("row 3: district: the cell is too large")
    assert problems[0].message("ja").startswith("3行目: district: セルが大きすぎます")


def test_the_demo_city_is_eight_invented_hachioji_hospitals() -> None:
    events, problems = read_registry_csv(DEMO, ACTOR, NOW)

    assert problems == []
    assert [e.facility_id for e in events] == [f"HJ-{n:04d}" for n in range(1, 9)]
    for event in events:
        assert event.kind == "hospital" and event.name.en and event.phone
        assert event.phone.startswith("042-6")
        assert event.location is not None
        assert 35.60 <= event.location.lat <= 35.70 and 139.24 <= event.location.lon <= 139.42
        assert event.licensed_beds and set(event.licensed_beds) <= set(BED_TYPES)
    beds = {e.facility_id: e.licensed_beds or {} for e in events}
    general = [b for b in beds.values() if b.get("medical_surgical", 0) >= 200]
    assert len(general) >= 4
    assert all(8 <= b["adult_icu"] <= 20 and b["hcu"] for b in general)
    assert any({"pediatrics", "pediatric_icu", "neonatal_icu"} <= set(b) for b in beds.values())
    assert any("psychiatric" in b for b in beds.values())
    assert any("rehab_long_term" in b for b in beds.values())


def test_secured_columns_give_a_v2_registration_with_beds_per_phase() -> None:
    text = (
        "facility_id,name_ja,kind,district,secured_3_adult_icu,secured_3_hcu,"
        "secured_phase_4_medical_surgical,secured_3_accommodation_room\n"
        "HJ-0100,テスト病院,hospital,北野,6,4,30,\n"
        "HJ-0101,別の病院,hospital,高尾,,,,\n"
    )

    events, problems = read_registry_csv(text, ACTOR, NOW)

    assert problems == []
    with_plan, without = events
    assert isinstance(with_plan, FacilityRegisteredV2) and with_plan.version == 2
    # The bed type is the code the name ends with: a phase may hold "_" itself.
    assert with_plan.secured_beds == {"3": {"adult_icu": 6, "hcu": 4},
                                      "phase_4": {"medical_surgical": 30}}  # fmt: skip
    assert without.version == 1  # nothing secured said: the registration stays v1
    assert getattr(without, "secured_beds", None) is None


def test_a_bad_secured_cell_names_its_column_and_an_unknown_bed_type_is_an_unknown_column() -> None:
    text = (
        "facility_id,name_ja,kind,district,secured_3_adult_icu,secured_3_hcu\n"
        "A1,病院,hospital,高尾,x,-1\n"
    )

    _, (problem,) = read_registry_csv(text, ACTOR, NOW)

    assert rules(problem) == [("secured_3_adult_icu", "int_parsing"),
                              ("secured_3_hcu", "greater_than_equal")]  # fmt: skip
    assert "secured_3_hcu" in problem.message("en")

    _, (header,) = read_registry_csv(
        "facility_id,name_ja,kind,district,secured_3_icu_beds\nA1,病院,hospital,高尾,1\n",
        ACTOR,
        NOW,
    )
    assert header.row == 1 and rules(header) == [("", "unknown_columns")]
