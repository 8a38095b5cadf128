"""The range report: per day, district and bed type, by the snapshot's own state rule."""

from __future__ import annotations

import io
from datetime import date, time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook
from test_exports_log import GENERATED_AT, KNOWN_AT, STALE_AFTER, ZONE, snapshot_of, write_log

from consumers.exports import report


def build(path: Path, first: date, last: date) -> report.RangeReport:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return report.build(
            con.cursor(), first, last, cutoff=time(9, 0), timezone=ZONE,
            stale_after=STALE_AFTER, known_at=KNOWN_AT, generated_at=GENERATED_AT,
        )  # fmt: skip
    finally:
        con.close()


@pytest.fixture
def replica(tmp_path: Path) -> Path:
    return write_log(tmp_path / "replica.duckdb")


def test_one_row_per_day_district_and_bed_type(replica: Path) -> None:
    made = build(replica, date(2026, 11, 24), date(2026, 11, 26))
    keys = [(r["date"], r["district"], r["bed_type"]) for r in made.rows]
    assert len(keys) == len(set(keys))
    # Nothing was reported by the 24th; on the 25th at 09:00 only HJ-0001 had reported.
    assert {r["date"] for r in made.rows} == {"2026-11-25", "2026-11-26"}
    assert [r for r in made.rows if r["date"] == "2026-11-25"] == [
        {"date": "2026-11-25", "district": "中央地区", "bed_type": "adult_icu",
         "usable": 12, "occupied": 8, "occupancy_rate": 0.6667},
        {"date": "2026-11-25", "district": "中央地区", "bed_type": "medical_surgical",
         "usable": 220, "occupied": 190, "occupancy_rate": 0.8636},
    ]  # fmt: skip


def test_a_day_of_the_report_adds_up_that_days_snapshot(replica: Path) -> None:
    made = build(replica, date(2026, 11, 26), date(2026, 11, 26))
    taken = snapshot_of(replica)
    for bed_type in {r["bed_type"] for r in taken.rows}:
        usable = sum(r["usable"] for r in taken.rows if r["bed_type"] == bed_type)
        assert usable == sum(r["usable"] for r in made.rows if r["bed_type"] == bed_type)
    unregistered = [r for r in made.rows if r["district"] is None]
    assert [(r["bed_type"], r["usable"], r["occupied"]) for r in unregistered] == [
        ("pediatrics", 20, 5)
    ]
    psychiatric = next(r for r in made.rows if r["bed_type"] == "psychiatric")
    assert psychiatric["occupancy_rate"] is None


def test_csv_and_xlsx_hold_the_same_rows(replica: Path) -> None:
    made = build(replica, date(2026, 11, 25), date(2026, 11, 26))
    csv_bytes = report.render_csv(made)
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(csv_bytes), encoding="utf-8-sig", dtype={"date": str})
    assert list(frame.columns) == list(report.COLUMNS)
    assert frame["usable"].tolist() == [r["usable"] for r in made.rows]
    book = load_workbook(io.BytesIO(report.render_xlsx(made)))
    assert book.sheetnames == ["report", "about"]
    cells = list(book["report"].iter_rows(values_only=True))
    assert cells[0] == report.COLUMNS
    assert [row[4] for row in cells[1:]] == [r["occupied"] for r in made.rows]
    about = {row[0]: row[1] for row in book["about"].iter_rows(values_only=True) if row[0]}
    assert about["from"] == "2026-11-25" and about["cutoff"] == "09:00"
    assert about["known_at"] == "2026-11-26T09:10:00+09:00"


def test_the_range_must_run_forward_and_stay_within_a_year() -> None:
    with pytest.raises(ValueError, match="before"):
        report.days(date(2026, 11, 26), date(2026, 11, 25))
    with pytest.raises(report.RangeTooLong):
        report.days(date(2025, 1, 1), date(2026, 1, 2))
    assert len(report.days(date(2025, 1, 1), date(2026, 1, 1))) == 366
