"""Summary charts of a snapshot and of a range report, and their PNG through kaleido."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from consumers.exports.report import RangeReport
from consumers.exports.snapshot import Snapshot
from consumers.exports.summary import MeetingSummary
from consumers.rules import occupancy_rate
from schemas import glossary

# Debian's Chromium: kaleido must never download a browser of its own.
DEFAULT_BROWSER = "/usr/bin/chromium"
FONT = "Noto Sans CJK JP, Noto Sans JP, sans-serif"
# Named, not the process default: Streamlit installs its own default template in its server.
TEMPLATE = "plotly_white"
OCCUPIED, AVAILABLE, OVER = "#c0392b", "#2e86c1", "#7b241c"

TEXT = {
    "summary": ("{when} 時点の病床（全施設）", "Beds as of {when} (all facilities)"),
    "beds": ("床", "beds"),
    "trend": (
        "毎日 {cutoff} 時点の病床使用率（{first} 〜 {last}）",
        "Occupancy at {cutoff} each day ({first} to {last})",
    ),
}


def _t(key: str, lang: str, **values: str) -> str:
    ja, en = TEXT[key]
    return (ja if lang == "ja" else en).format(**values)


def summary_figure(snapshot: Snapshot, lang: str = "ja") -> go.Figure:
    """Occupied and available beds per bed type over all facilities, with the occupancy."""
    usable: dict[str, int] = defaultdict(int)
    occupied: dict[str, int] = defaultdict(int)
    available: dict[str, int] = defaultdict(int)
    for row in snapshot.rows:
        usable[row["bed_type"]] += row["usable"]
        occupied[row["bed_type"]] += row["occupied"]
        available[row["bed_type"]] += row["available"]
    codes = [code for code in glossary.BED_TYPE_NAMES if code in usable][::-1]
    names = [glossary.bed_type(code, lang) for code in codes]
    rates = [occupancy_rate(usable[code], occupied[code]) for code in codes]
    figure = go.Figure()
    figure.add_bar(
        y=names,
        x=[occupied[code] for code in codes],
        name=glossary.column("occupied", lang),
        orientation="h",
        marker_color=[OVER if occupied[c] > usable[c] else OCCUPIED for c in codes],
    )
    figure.add_bar(
        y=names,
        x=[available[code] for code in codes],
        name=glossary.column("available", lang),
        orientation="h",
        marker_color=AVAILABLE,
        # The rate sits after the whole stack, where it is readable even for short bars.
        text=["—" if rate is None else f"{rate:.0%}" for rate in rates],
        textposition="outside",
        cliponaxis=False,
    )
    when = snapshot.as_of.astimezone(ZoneInfo(snapshot.timezone)).strftime("%Y-%m-%d %H:%M")
    figure.update_layout(
        template=TEMPLATE,
        barmode="stack",
        title=_t("summary", lang, when=when),
        xaxis_title=_t("beds", lang),
        yaxis_automargin=True,
        font_family=FONT,
        legend={"orientation": "h", "y": -0.15},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return figure


def report_figure(report: RangeReport, lang: str = "ja") -> go.Figure:
    """One line per bed type: the occupancy over all districts at each day's cutoff."""
    sums: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for row in report.rows:
        day = sums[row["bed_type"]].setdefault(row["date"], [0, 0])
        day[0] += row["usable"]
        day[1] += row["occupied"]
    figure = go.Figure()
    for code in (c for c in glossary.BED_TYPE_NAMES if c in sums):
        days = sorted(sums[code])
        figure.add_scatter(
            x=days,
            y=[occupancy_rate(*sums[code][day]) for day in days],
            name=glossary.bed_type(code, lang),
            mode="lines+markers",
        )
    title = _t(
        "trend",
        lang,
        cutoff=report.cutoff.strftime("%H:%M"),
        first=report.first.isoformat(),
        last=report.last.isoformat(),
    )
    figure.update_layout(
        template=TEMPLATE,
        title=title,
        yaxis_title=glossary.column("occupancy_rate", lang),
        yaxis_tickformat=".0%",
        yaxis_automargin=True,
        xaxis={"type": "date", "dtick": 86_400_000, "tickformat": "%Y-%m-%d"},
        font_family=FONT,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return figure


def waiting_figure(summary: MeetingSummary, lang: str = "ja") -> go.Figure:
    """The waiting list's length from the last meeting to now, as the counts stood (steps)."""
    zone = ZoneInfo(summary.timezone)
    points = [point for point in summary.waiting if point["waiting"] is not None]
    # Local wall-clock times: the axis reads as the meeting's clock, whatever the viewer's zone.
    times = [datetime.fromisoformat(p["at"]).astimezone(zone).replace(tzinfo=None) for p in points]
    figure = go.Figure()
    figure.add_scatter(
        x=times,
        y=[point["waiting"] for point in points],
        name=glossary.word("summary.waiting_now", lang),
        mode="lines",
        line_shape="hv",
        line={"color": OCCUPIED, "width": 3},
        fill="tozeroy",
        fillcolor="rgba(192, 57, 43, 0.12)",
    )
    figure.update_layout(
        template=TEMPLATE,
        title=glossary.word("summary.waiting", lang),
        yaxis_rangemode="tozero",
        yaxis_automargin=True,
        xaxis={"type": "date", "tickformat": "%m-%d %H:%M"},
        font_family=FONT,
        showlegend=False,
        height=320,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def to_png(figure: go.Figure, *, width: int = 1000, height: int = 560) -> bytes:
    """The figure as PNG, drawn by kaleido in Debian's Chromium (BROWSER_PATH overrides)."""
    import kaleido  # started only when a PNG is asked for: it launches a browser

    browser = os.environ.get("BROWSER_PATH", DEFAULT_BROWSER)
    if not Path(browser).is_file():
        raise ChartBrowserMissing(f"no Chromium at {browser}: apt-get install chromium")
    # MathJax would be fetched from a CDN; the charts need none.
    options = {"path": browser, "mathjax": False}
    image = kaleido.calc_fig_sync(
        figure, opts={"format": "png", "width": width, "height": height}, kopts=options
    )
    return bytes(image)


class ChartBrowserMissing(RuntimeError):
    """Chromium, which draws the PNG, is not installed."""
