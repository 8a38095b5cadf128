"""The summary charts of the export page, and their PNG drawn by Debian's Chromium."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import duckdb
import pytest
from test_exports_log import KNOWN_AT, STALE_AFTER, ZONE, snapshot_of, write_log

from consumers.exports import charts, report


def test_the_summary_has_a_bar_per_bed_type_with_its_occupancy(tmp_path: Path) -> None:
    taken = snapshot_of(write_log(tmp_path / "replica.duckdb"))
    figure = charts.summary_figure(taken, "ja")
    occupied, available = figure.data
    assert occupied.name == "使用中" and available.name == "空床"
    names = list(occupied.y)
    assert "成人ICU" in names and "陰圧隔離" in names and len(names) == 9
    by_name = dict(zip(names, available.text, strict=True))
    assert by_name["精神科"] == "—"  # no usable beds: the rate is undefined, not 0 %
    assert by_name["成人ICU"] == "100%"
    assert figure.layout.title.text == "2026-11-26 09:00 時点の病床（全施設）"
    assert charts.summary_figure(taken, "en").data[0].name == "Occupied"


def test_the_range_chart_has_a_line_per_bed_type(tmp_path: Path) -> None:
    path = write_log(tmp_path / "replica.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    made = report.build(
        con.cursor(), date(2026, 11, 25), date(2026, 11, 26), cutoff=time(9, 0),
        timezone=ZONE, stale_after=STALE_AFTER, known_at=KNOWN_AT,
    )  # fmt: skip
    con.close()
    figure = charts.report_figure(made, "en")
    icu = next(trace for trace in figure.data if trace.name == "Adult ICU")
    assert list(icu.x) == ["2026-11-25", "2026-11-26"]
    assert list(icu.y) == [0.6667, 1.0]


@pytest.mark.browser
def test_the_summary_chart_is_drawn_as_png(tmp_path: Path) -> None:
    taken = snapshot_of(write_log(tmp_path / "replica.duckdb"))
    image = charts.to_png(charts.summary_figure(taken, "ja"), width=600, height=400)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(image[16:20], "big") == 600  # the IHDR width


def test_a_missing_browser_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    with pytest.raises(charts.ChartBrowserMissing, match="no-chromium"):
        charts.to_png(charts.go.Figure())
