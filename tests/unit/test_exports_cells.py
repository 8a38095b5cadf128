"""Exports opened in a spreadsheet run nothing, whatever a facility's name begins with."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_exports_log import snapshot_of, write_log

from consumers.exports import FORMATS, to_csv, to_xlsx
from consumers.exports.snapshot import COLUMNS, Snapshot
from schemas.events import parse_event

GENERATED = datetime(2026, 11, 30, tzinfo=UTC)
TRIGGERS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.fixture
def taken(tmp_path: Path) -> Snapshot:
    return snapshot_of(write_log(tmp_path / "replica.duckdb"))


def named(taken: Snapshot, name: str, district: str = "八王子") -> Snapshot:
    row = taken.rows[0] | {"facility_name": name, "district": district}
    return Snapshot(taken.as_of, taken.known_at, taken.generated_at, taken.timezone, 1, (row,))


@pytest.mark.parametrize("name", TRIGGERS)
def test_csv_prefixes_text_a_spreadsheet_would_evaluate_with_an_apostrophe(
    taken: Snapshot, name: str
) -> None:
    text = FORMATS["csv"].render(named(taken, name, district=name)).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["facility_name"] == "'" + name
    assert row["district"] == "'" + name


def test_csv_leaves_numbers_and_harmless_text_alone(taken: Snapshot) -> None:
    text = FORMATS["csv"].render(named(taken, "中央病院 = 東館")).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["facility_name"] == "中央病院 = 東館"
    assert row["occupancy_rate"] == str(taken.rows[0]["occupancy_rate"])
    assert not row["occupied"].startswith("'")


@pytest.mark.parametrize("name", TRIGGERS)
def test_xlsx_stores_text_a_spreadsheet_would_evaluate_as_quoted_text(
    taken: Snapshot, name: str
) -> None:
    book = load_workbook(io.BytesIO(FORMATS["xlsx"].render(named(taken, name))))
    cell = book["snapshot"].cell(2, COLUMNS.index("facility_name") + 1)
    # XML reads a carriage return back as a line feed; what matters is that it is text.
    assert cell.data_type == "s" and cell.value.replace("\n", "\r") == name.replace("\n", "\r")
    assert cell.quotePrefix
    rate = book["snapshot"].cell(2, COLUMNS.index("occupancy_rate") + 1)
    assert rate.data_type == "n"


def test_the_writers_every_table_export_uses_defuse_any_column() -> None:
    # The range report writes through table_csv and workbook too.
    rows = [{"note": "=1+1", "count": 3}]
    text = to_csv.table_csv(["note", "count"], rows).decode("utf-8-sig")
    assert text.splitlines()[1] == "'=1+1,3"
    book = load_workbook(io.BytesIO(to_xlsx.workbook(["note", "count"], rows, "t", {}, GENERATED)))
    assert [c.data_type for c in book["t"][2]] == ["s", "n"]


# The nastiest names the contract lets through: formula triggers, quotes, markup, bidi
# overrides, line and paragraph separators (not control characters), astral emoji, 100 chars.
NASTY = '=cmd|"/c calc"!A1 <b>"東,館"</b> \u202e\u2028\u2029\u200d\ufeff\U0001f3e5'.ljust(100, "病")


def test_every_format_exports_the_nastiest_name_the_contract_allows(taken: Snapshot) -> None:
    event = parse_event(
        {
            "type": "facility.registered",
            "version": 1,
            "event_id": "0b6f3c1e-3f2a-4c57-9a53-2f3f3b7f8e10",
            "occurred_at": "2026-11-26T08:55:00+09:00",
            "actor": {"org": "city_hall", "user": "registry"},
            "facility_id": "HJ-0001",
            "name": {"ja": NASTY, "en": NASTY},
            "kind": "hospital",
            "district": NASTY[:50],
        }
    )
    assert event.name.ja == NASTY  # type: ignore[attr-defined]
    odd = named(taken, NASTY, district=NASTY[:50])
    for name, export in FORMATS.items():
        assert export.render(odd), name
    book = load_workbook(io.BytesIO(FORMATS["xlsx"].render(odd)))
    assert book["snapshot"].cell(2, COLUMNS.index("facility_name") + 1).value == NASTY
