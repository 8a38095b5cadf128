"""The bench's pure parts: statistics, the table, the docs, the reports, the national replica."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bench.core import QUICK, Row, percentile
from bench.national import build, daily_cutoff
from bench.report import END, START, table, update_docs
from bench.reports import BED_TYPES, check_sample, encode, history
from consumers import queries
from consumers.store import connect
from schemas.events import CapacityReported
from schemas.records import check


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0


def test_a_row_knows_whether_it_meets_its_target() -> None:
    assert Row("m", "x", 90.0, "ms", "≤ 100").verdict == "pass"
    assert Row("m", "x", 120.0, "ms", "≤ 100").verdict == "MISS"
    assert Row("m", "x", 0.9, "×", "≥ 0.8").verdict == "pass"
    assert Row("m", "x", None, "ms", "≤ 100").verdict == "missing"
    assert Row("m", "x", 5.0, "ms").verdict == ""


def test_the_table_shows_medians_targets_and_baselines() -> None:
    rows = [
        Row("replay", "rollup ÷ bare loop", 0.5, "×", "≥ 0.8", "bare loop", [0.4, 0.5, 0.6]),
        Row("replay", "bare", 150_000.0, "events/s", baseline="baseline"),
    ]

    text = table(rows)

    assert "| replay | rollup ÷ bare loop | 0.50× | ≥ 0.8× | MISS | 3 | vs bare loop |" in text
    assert "| 150,000 |" in text
    assert "| baseline |" in text


def test_updating_the_docs_keeps_the_hand_written_text(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nwhy\n\n{START}\nold\n{END}\n\nwhere the time goes\n")

    update_docs(doc, f"{START}\nnew\n{END}", "unused")

    text = doc.read_text()
    assert "old" not in text and "new" in text
    assert text.startswith("# Benchmarks\n\nwhy") and text.endswith("where the time goes\n")


def test_generated_reports_pass_the_roll_up_checks() -> None:
    from bench.core import now_utc

    end = now_utc()
    events = list(history(50, 8, end, timedelta(days=7)))

    assert check_sample(events, every=1) == 50
    for event in events:
        key, value = encode(event)
        parsed = check(value, end)
        assert isinstance(parsed, CapacityReported), parsed
        assert key.decode() == parsed.facility_id
        assert len({line.bed_type for line in parsed.beds}) == 4
        assert {line.bed_type for line in parsed.beds} <= set(BED_TYPES)


def test_the_national_replica_agrees_with_the_queries(tmp_path: Path) -> None:
    from bench.core import now_utc

    end = now_utc().replace(microsecond=0)
    facilities, per_year = 5, QUICK.national_reports_per_year

    built = build(tmp_path / "national.duckdb", facilities, per_year, end)

    assert built["lines"] == facilities * per_year * len(BED_TYPES)
    con = connect(built["path"], read_only=True)
    try:
        cur = con.cursor()
        board = queries.board(cur).to_pandas()
        now = queries.state(cur, end, end, timedelta(hours=6)).to_pandas()
        earlier = queries.state(cur, daily_cutoff(end), end, timedelta(hours=6)).to_pandas()
    finally:
        con.close()
    assert len(board) == facilities * len(BED_TYPES)
    assert board["registered"].all()
    # The maintained current state is what the as-of rule gives at the end of the history.
    pairs = ["facility_id", "bed_type", "usable", "occupied"]
    board = board.sort_values(["facility_id", "bed_type"])  # the board comes unsorted
    assert now[pairs].values.tolist() == board[pairs].values.tolist()
    assert len(earlier) == len(board)
