"""Each word once: no Japanese text under two keys, and every key the dashboard asks for exists."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from dashboard import texts
from schemas import glossary
from schemas.events_v2 import BED_TYPES_V2 as BED_TYPES

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


def all_words() -> dict[str, tuple[str, str]]:
    assert not set(texts.TEXT) & set(glossary.WORDS), "a key in both the glossary and the texts"
    return {**glossary.WORDS, **texts.TEXT}


def test_no_japanese_text_stands_under_two_keys() -> None:
    keys_of = defaultdict(list)
    for key, (ja, _) in all_words().items():
        keys_of[ja].append(key)

    assert {ja: keys for ja, keys in keys_of.items() if len(keys) > 1} == {}


def test_every_text_has_both_languages() -> None:
    assert all(ja and en for ja, en in all_words().values())


def test_the_glossary_names_exactly_the_contracts_bed_types() -> None:
    assert list(glossary.BED_TYPE_NAMES) == list(BED_TYPES)
    assert glossary.havbed2("adult_icu") == "AdultICU" and glossary.havbed2("hcu") is None


def test_one_name_for_the_occupancy_rate_everywhere() -> None:
    assert glossary.column("occupancy_rate", "ja") == "病床使用率"
    assert glossary.column("occupancy_rate", "en") == "Occupancy rate"
    assert not any("稼働率" in ja for ja, _ in all_words().values())


def test_glossary_words_in_both_languages() -> None:
    assert glossary.term("accepting", "closed", "ja") == "受入停止"
    assert glossary.term("ed_status", None, "en") == "Not reported"
    assert glossary.bed_type("hcu", "en") == "High care unit (HCU)"
    assert glossary.bed_type("no_such_type", "ja") == "no_such_type"
    assert glossary.column("cutoff", "en") == "Daily cutoff"


def keys_asked_for() -> list[tuple[str, str, bool]]:
    """(file:line, key or the fixed start of an f-string key, whether it is only a start)."""
    found = []
    for path in sorted(DASHBOARD.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name != "t":
                continue
            first, where = node.args[0], f"{path.name}:{node.lineno}"
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((where, first.value, False))
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                found.append((where, str(first.values[0].value), True))
            elif (
                isinstance(first, ast.BinOp)
                and isinstance(first.left, ast.Constant)
                and isinstance(first.left.value, str)
            ):
                found.append((where, first.left.value, True))
    return found


def test_every_key_the_dashboard_asks_for_exists() -> None:
    words = all_words()
    asked = keys_asked_for()
    missing = [
        (where, key)
        for where, key, start in asked
        if not (any(k.startswith(key) for k in words) if start else key in words)
    ]

    assert len(asked) > 200 and missing == []


def test_english_counts_one_facility_in_the_singular() -> None:
    assert texts.t("unit.facilities", "en", n="1") == "1 facility"
    assert texts.t("unit.facilities", "en", n="3") == "3 facilities"
    assert texts.t("unit.facilities", "ja", n="1") == "1施設"
