"""Text fields refuse control characters, and actor.user follows the username pattern."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from test_schemas import body, refused

from schemas import jsonschema as generator
from schemas.problems import Problem
from schemas.records import Rejection, check

# (event type, path to a text field); the last key of each path is changed.
ONE_LINE = [
    ("facility.registered", ("name", "ja")),
    ("facility.registered", ("name", "en")),
    ("facility.registered", ("district",)),
    ("facility.registered", ("phone",)),
    ("placement.responded", ("reason",)),
    ("notice.posted", ("title",)),
    ("alert.raised", ("alert_id",)),
]
PROSE = [
    ("capacity.reported", ("note",)),
    ("placement.requested", ("note",)),
    ("notice.posted", ("body",)),
]
NEVER = ["\x00", "\x07", "\x1b[31m", "\x0b", "\x7f", "\x85"]


def with_text(event_type: str, path: tuple[str, ...], text: str) -> dict[str, Any]:
    data = body(event_type)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = f"八王子{text}東"
    return data


@pytest.mark.parametrize(("event_type", "path"), ONE_LINE + PROSE)
@pytest.mark.parametrize("control", NEVER)
def test_control_characters_are_refused_in_every_text_field(
    event_type: str, path: tuple[str, ...], control: str
) -> None:
    assert refused(with_text(event_type, path, control)) == ["control_character"]


@pytest.mark.parametrize(("event_type", "path"), ONE_LINE)
@pytest.mark.parametrize("control", ["\n", "\r", "\t"])
def test_names_titles_and_districts_hold_one_line(
    event_type: str, path: tuple[str, ...], control: str
) -> None:
    assert refused(with_text(event_type, path, control)) == ["control_character"]


@pytest.mark.parametrize(("event_type", "path"), PROSE)
def test_notes_and_bodies_may_break_lines_and_indent(
    event_type: str, path: tuple[str, ...]
) -> None:
    check_ok = check(json.dumps(with_text(event_type, path, "\r\n\t- 2行目")).encode(), None)
    assert not isinstance(check_ok, Rejection)


def test_the_json_schema_refuses_what_the_models_refuse() -> None:
    schema = json.loads(generator.render()["event.json"])
    for event_type, path in ONE_LINE + PROSE:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(with_text(event_type, path, "\x1b"), schema)
    jsonschema.validate(with_text("notice.posted", ("body",), "\n"), schema)


def test_the_rejection_names_the_field_and_the_rule_in_both_languages() -> None:
    raw = json.dumps(with_text("facility.registered", ("district",), "\x00")).encode()
    rejection = check(raw, None)
    assert isinstance(rejection, Rejection) and rejection.reason == "schema"
    assert rejection.problems == (Problem("district", "control_character"),)
    assert "district: 制御文字" in rejection.text("ja")
    assert "district: must not contain control characters" in rejection.text("en")


@pytest.mark.parametrize(
    "user", ["bedmgr.tanaka", "sim.HJ-0001", "bedboard-alerts", "a@b.jp", "cli.root", "x" * 64]
)
def test_users_the_pattern_allows(user: str) -> None:
    assert not isinstance(
        check(
            json.dumps(body("notice.withdrawn", actor={"org": "system", "user": user})).encode(),
            None,
        ),
        Rejection,
    )  # noqa: E501


@pytest.mark.parametrize(
    "user", ["**bold**", "<b>x</b>", "[a](javascript:alert(1))", "田中", "a b", ".a", "x" * 65]
)
def test_users_outside_the_pattern_are_refused(user: str) -> None:
    rules = refused(body("notice.withdrawn", actor={"org": "system", "user": user}))
    assert rules[0] in {"username_pattern", "string_too_long"}
    assert Problem("actor.user", "username_pattern").message("ja").startswith("actor.user: 英数字")
