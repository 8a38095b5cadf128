"""Reading JSON-lines files: valid events out, every invalid line named with field and rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from producers.jsonl import LineProblem, read_jsonl
from schemas.events import CapacityReported
from tests.factories import capacity_body

NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def rules(problem: LineProblem) -> list[tuple[str, str]]:
    return [(p.field, p.rule) for p in problem.problems]


def test_a_valid_line_becomes_an_event() -> None:
    events, problems = read_jsonl([line(capacity_body("HJ-0007"))])

    assert problems == []
    assert isinstance(events[0], CapacityReported)
    assert events[0].facility_id == "HJ-0007"


def test_a_bad_field_is_named_with_line_field_and_rule() -> None:
    bad = capacity_body(beds=[{"bed_type": "adult_icu", "usable": -1, "occupied": 0}])

    events, problems = read_jsonl([line(capacity_body()), "", line(bad)])

    assert len(events) == 1
    assert problems[0].line == 3
    assert rules(problems[0]) == [("beds[0].usable", "greater_than_equal")]
    assert problems[0].message("en") == "line 3: beds[0].usable: must be at least 0"
    assert problems[0].message("ja") == "3行目: beds[0].usable: 0以上にしてください"


def test_blank_lines_are_skipped_but_counted() -> None:
    events, problems = read_jsonl(["", "   ", line(capacity_body()), "\n", "{"])

    assert len(events) == 1
    assert [p.line for p in problems] == [5]


def test_a_line_of_other_whitespace_is_not_blank_but_invalid_json() -> None:
    events, problems = read_jsonl(["\x1f", " \t", "\u3000", "\x0c"])

    assert events == []
    assert [p.line for p in problems] == [1, 3, 4]
    assert all(rules(p) == [("", "invalid_json")] for p in problems)


def test_invalid_json_and_non_objects_are_invalid_json() -> None:
    _, problems = read_jsonl(["{not json", "[1, 2]", '"text"', "42"])

    assert [rules(p) for p in problems] == [[("", "invalid_json")]] * 4
    assert problems[0].message("en") == "line 1: is not valid JSON"


def test_a_line_over_64_kib_is_too_large() -> None:
    huge = line(capacity_body(note="x" * (65 * 1024)))

    _, problems = read_jsonl([huge])

    assert rules(problems[0]) == [("", "too_large")]


def test_bytes_that_are_not_utf8_are_invalid_json() -> None:
    _, problems = read_jsonl([b"\xff\xfe{}"])

    assert rules(problems[0]) == [("", "invalid_json")]


def test_a_bom_on_the_first_line_is_ignored() -> None:
    events, problems = read_jsonl(["\ufeff" + line(capacity_body())])

    assert problems == [] and len(events) == 1


def test_unknown_type_unknown_field_and_missing_offset() -> None:
    _, problems = read_jsonl(
        [
            line(capacity_body(type="capacity.guessed")),
            line(capacity_body(colour="red")),
            line(capacity_body(occurred_at="2026-11-26T08:55:00")),
        ]
    )

    assert rules(problems[0]) == [("type", "union_tag_invalid")]
    assert rules(problems[1]) == [("colour", "extra_forbidden")]
    assert rules(problems[2]) == [("occurred_at", "timezone_aware")]


def test_every_problem_of_a_line_is_listed() -> None:
    ward = [{"bed_type": "ward", "usable": 1, "occupied": 1}]
    bad = capacity_body("bad id!", beds=ward)

    _, problems = read_jsonl([line(bad)])

    assert rules(problems[0]) == [("facility_id", "string_pattern_mismatch"),
                                  ("beds[0].bed_type", "literal_error")]  # fmt: skip
    assert "; " in problems[0].message("en")


def test_a_future_timestamp_is_rejected_only_when_now_is_given() -> None:
    later = (NOW + timedelta(minutes=11)).isoformat()
    soon = (NOW + timedelta(minutes=9)).isoformat()
    lines = [line(capacity_body(occurred_at=later)), line(capacity_body(occurred_at=soon))]

    events, problems = read_jsonl(lines, now=NOW)

    assert len(events) == 1
    assert rules(problems[0]) == [("occurred_at", "future_timestamp")]
    assert read_jsonl(lines)[1] == []


@given(st.lists(st.text(max_size=200), max_size=20))
@example(["\x1f"])  # whitespace to str.strip(), not to JSON
@example(["", "\ufeff"])  # a BOM is dropped from the first line only
def test_any_text_gives_an_event_or_a_problem_per_non_blank_line(lines: list[str]) -> None:
    events, problems = read_jsonl(lines)

    # Blank as JSON sees it; the BOM is dropped from the first line only, as an editor writes it.
    texts = [lines[0].removeprefix("\ufeff"), *lines[1:]] if lines else []
    non_blank = [text for text in texts if text.strip(" \t\r\n")]
    assert len(events) + len(problems) == len(non_blank)
    assert all(p.problems and p.message("ja") and p.message("en") for p in problems)
