"""Step-down transfers (後方支援): a case waiting at a hospital names it, never offered it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from test_dashboard_model import board, line
from test_privacy import case_body

from dashboard import cases_view
from schemas.events_v2 import parse_any
from schemas.problems import problems_of


def test_a_step_down_case_names_the_hospital_it_moves_out_of() -> None:
    event = parse_any(case_body(waiting_at="hospital", from_facility="HJ-0001"))
    assert event.from_facility == "HJ-0001"  # type: ignore[attr-defined]
    assert parse_any(case_body()).from_facility is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "fields",
    [{"waiting_at": "hospital"}, {"waiting_at": "home", "from_facility": "HJ-0001"}],
    ids=["hospital without from_facility", "from_facility without hospital"],
)
def test_from_facility_is_given_exactly_at_a_hospital(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_any(case_body(**fields))
    (problem,) = problems_of(caught.value)
    assert (problem.field, problem.rule) == ("from_facility", "from_facility_when_hospital")
    assert problem.message("ja").startswith(
        "from_facility: 待機場所が入院中（後方支援の転院）のとき"
    )
    assert problem.message("en").startswith("from_facility: must name the hospital moved out of")


def test_the_beds_offered_to_a_step_down_case_leave_out_its_own_hospital() -> None:
    lines = board(
        line("HJ-0001", "medical_surgical", 50, 10), line("HJ-0002", "medical_surgical", 20, 15)
    )
    registry = lines.drop_duplicates("facility_id")[["facility_id", "district", "lat", "lon"]]
    offers = cases_view.Suggestions(cases_view.free_lines(lines), registry)
    case = {"case_id": "c1", "severity": "mild", "needs": "[]", "district": "北野", "tried": []}
    assert list(offers.of(case)["facility_id"]) == ["HJ-0001", "HJ-0002"]
    leaving = case | {"from_facility": "HJ-0001"}
    assert list(offers.of(leaving)["facility_id"]) == ["HJ-0002"]
    assert list(offers.of(case | {"from_facility": None})["facility_id"]) == ["HJ-0001", "HJ-0002"]
