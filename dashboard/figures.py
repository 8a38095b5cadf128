"""Figure builders: pure functions from frames to Plotly figures, no Streamlit, no I/O."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from consumers.rules import NEARLY_FULL, occupancy_rate
from dashboard.boundaries import Outline
from dashboard.model import COLORS, ICONS, LEVELS, NONE, ROOM

FONT = "Noto Sans CJK JP, Noto Sans JP, Hiragino Sans, Meiryo, sans-serif"
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
)  # fmt: skip
MAX_LABELS = 60  # above this many facilities the map shows markers only
# Shapes echo the icons: ○ open circle, ▲ triangle, ● filled circle, ✖ cross.
SYMBOLS = {
    "room": "circle-open",
    "nearly": "triangle-up",
    "full": "circle",
    "over": "x",
    "none": "circle-open-dot",
}


@dataclass(frozen=True)
class Places:
    """What the map draws under the facilities: their city, the places around, in a language,
    and the words that say where the outlines come from."""

    home: tuple[Outline, ...]
    around: tuple[Outline, ...]
    lang: str
    source: str


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        font={"family": FONT, "size": 13},
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig


def _local(times: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Aware times as wall-clock times in the configured zone (what the axis shows)."""
    return pd.to_datetime(times, utc=True).dt.tz_convert(zone).dt.tz_localize(None)


def history(
    lines: pd.DataFrame,
    bed_types: list[str],
    label: Callable[[str], str],
    words: dict[str, str],
    zone: ZoneInfo,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> go.Figure:
    """One small panel per bed type: occupied (filled steps) against usable (dashed steps)."""
    rows = max(len(bed_types), 1)
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.6 / rows),
        subplot_titles=[label(code) for code in bed_types],
    )
    x_end = _local(pd.Series([end]), zone).iloc[0]
    x_start = _local(pd.Series([start]), zone).iloc[0]
    for row, code in enumerate(bed_types, start=1):
        part = lines[lines["bed_type"] == code].sort_values("occurred_at")
        # Carry the last report to the end of the range: the state holds until the next report.
        times = pd.concat(
            [_local(part["occurred_at"], zone).clip(lower=x_start), pd.Series([x_end])]
        )
        for column, name, style in (
            ("usable", words["usable"], {"dash": "dash", "color": "#555"}),
            ("occupied", words["occupied"], {"color": "#1f77b4"}),
        ):
            values = pd.concat([part[column], part[column].tail(1)])
            fig.add_trace(
                go.Scatter(
                    x=times,
                    y=values,
                    name=name,
                    mode="lines",
                    line={"shape": "hv", "width": 2, **style},
                    fill="tozeroy" if column == "occupied" else None,
                    legendgroup=column,
                    showlegend=row == 1,
                    hovertemplate=f"{name}: %{{y:,}}<extra>{label(code)}</extra>",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(rangemode="tozero", row=row, col=1)
    fig.update_xaxes(range=[x_start, x_end], tickformat="%m/%d %H:%M")
    fig.update_annotations(font={"size": 13, "family": FONT}, x=0, xanchor="left")
    return _layout(fig, 60 + 120 * rows)


def city_map(
    points: pd.DataFrame,
    centres: pd.DataFrame,
    level_words: dict[str, str],
    hover: dict[str, str],
    places: Places | None = None,
) -> go.Figure:
    """Facilities on plain longitude/latitude axes, coloured and shaped by level, over the
    outlines of their city and its neighbours; no map tiles.

    points: facility_id, name, lat, lon, level, available, label (text beside the marker).
    centres: district, lat, lon (grey labels under the markers).
    """
    places = places or Places((), (), "", "")
    lats = pd.concat([points["lat"], centres["lat"]]).astype("float64").tolist()
    lons = pd.concat([points["lon"], centres["lon"]]).astype("float64").tolist()
    for outline in places.home:  # the whole city is in view, not only its hospitals
        west, south, east, north = outline.bounds
        lons, lats = [*lons, west, east], [*lats, south, north]
    lat_pad = max((max(lats) - min(lats)) * 0.06, 0.005)
    lon_pad = max((max(lons) - min(lons)) * 0.04, 0.005)
    view = (min(lons) - lon_pad, min(lats) - lat_pad, max(lons) + lon_pad, max(lats) + lat_pad)
    fig = go.Figure()
    _outlines(fig, places, view)
    fig.add_trace(
        go.Scatter(
            x=centres["lon"],
            # Under the markers, so that a district's name never hides its hospitals.
            y=centres["lat"] - lat_pad * 0.35,
            mode="text",
            text=centres["district"].map(html.escape),
            textfont={"size": 15, "color": "rgba(110,110,110,0.75)", "family": FONT},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    labels = len(points) <= MAX_LABELS
    for level in LEVELS:
        part = points[points["level"] == level]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["lon"],
                y=part["lat"],
                # Names beside every marker help in a city; at national scale they are noise.
                mode="markers+text" if labels else "markers",
                name=level_words[level],
                text=part["label"].map(html.escape),
                textposition="top center",
                textfont={"size": 13, "family": FONT, "color": "#222"},
                marker={
                    "size": 14 + 3 * part["available"].clip(upper=25) ** 0.5,
                    "color": COLORS[level],
                    "symbol": SYMBOLS[level],
                    # An open circle is drawn by its line, so it needs a thick one.
                    "line": {
                        "width": 3 if level in (ROOM, NONE) else 1.5,
                        "color": COLORS[level] if level in (ROOM, NONE) else "white",
                    },
                },
                # Plotly draws <b>, <a> and the like in its text: names are escaped to show as
                # is. The facility id is what a click on the marker opens.
                customdata=part[["name", "available", "facility_id"]].assign(
                    name=part["name"].map(html.escape)
                ),
                hovertemplate=(
                    f"%{{customdata[0]}}<br>{hover['available']}: %{{customdata[1]:,}}"
                    f"<br>{ICONS[level]} {level_words[level]}<extra></extra>"
                ),
            )
        )
    lat0 = (view[1] + view[3]) / 2
    fig.update_xaxes(
        range=[view[0], view[2]],
        showgrid=False, zeroline=False, showticklabels=False, title=None,
    )  # fmt: skip
    # Degrees of longitude are shorter than degrees of latitude away from the equator.
    fig.update_yaxes(
        range=[view[1], view[3]],
        showgrid=False, zeroline=False, showticklabels=False,
        scaleanchor="x", scaleratio=1 / math.cos(math.radians(lat0)),
    )  # fmt: skip
    fig.update_layout(plot_bgcolor="#f7f7f4", dragmode="pan", clickmode="event+select")
    return _layout(fig, 560)


def _outlines(fig: go.Figure, places: Places, view: tuple[float, float, float, float]) -> None:
    """The neighbours' outlines and names in light grey, the city's own darker and tinted, and
    where the outlines come from in the corner (their terms ask for it wherever they are shown)."""
    west, south, east, north = view
    for outline in [*places.around, *places.home]:
        home = outline in places.home
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in outline.rings:
            xs += [x for x, _ in ring] + [None]
            ys += [y for _, y in ring] + [None]
        fig.add_trace(
            go.Scatter(
                x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                fill="toself" if home else None, fillcolor="rgba(70,100,150,0.06)",
                line={"width": 2 if home else 1,
                      "color": "rgba(70,70,80,0.65)" if home else "rgba(120,120,130,0.45)"},
            )
        )  # fmt: skip
        x, y = outline.centre
        if not home and west < x < east and south < y < north:
            fig.add_annotation(
                x=x, y=y, text=html.escape(outline.name(places.lang)), showarrow=False,
                font={"size": 12, "color": "rgba(120,120,130,0.8)", "family": FONT},
            )  # fmt: skip
    for index, outline in enumerate(places.home):
        fig.add_annotation(
            x=0.01, y=0.99 - 0.06 * index, xref="paper", yref="paper", xanchor="left",
            yanchor="top", text=f"<b>{html.escape(outline.name(places.lang))}</b>",
            showarrow=False, font={"size": 16, "color": "rgba(60,60,70,0.85)", "family": FONT},
        )  # fmt: skip
    if places.home or places.around:
        fig.add_annotation(
            x=1, y=0, xref="paper", yref="paper", xanchor="right", yanchor="bottom",
            text=html.escape(places.source), showarrow=False,
            font={"size": 10, "color": "#666", "family": FONT}, bgcolor="rgba(255,255,255,0.7)",
        )  # fmt: skip


def percent_occupied(frame: pd.DataFrame) -> pd.Series:
    """Occupancy in percent by the one rule (rounded as everywhere), NaN where none are usable."""
    rates = [
        occupancy_rate(int(u), int(o))
        for u, o in zip(frame["usable"], frame["occupied"], strict=True)
    ]
    return 100 * pd.Series(rates, index=frame.index, dtype="float64")


def trend(
    frame: pd.DataFrame,
    measure: str,
    label: Callable[[str], str],
    measure_word: str,
    zone: ZoneInfo,
    ready_word: str = "",
    secured_word: str = "",
) -> go.Figure:
    """One line per group over time: occupancy (%), occupied or available beds; for "secured",
    each group's ready-now beds and, dashed in its colour, the beds it secured."""
    fig = go.Figure()
    for i, (group, part) in enumerate(frame.groupby("group", sort=False)):
        part = part.sort_values("at")
        if measure == "secured":
            for column, word, dash in (
                ("usable", ready_word, "solid"),
                ("secured", secured_word, "dash"),
            ):
                name = f"{label(str(group))} · {word}"
                fig.add_trace(
                    go.Scatter(
                        x=_local(part["at"], zone), y=part[column], name=name, mode="lines",
                        line={"width": 2.5, "color": PALETTE[i % len(PALETTE)], "dash": dash},
                        hovertemplate=f"{name}: %{{y:,}}<extra></extra>",
                    )
                )  # fmt: skip
            continue
        if measure == "occupancy":
            y = percent_occupied(part)
            template = "%{y:.1f}%"
        else:
            y = part[measure]
            template = "%{y:,}"
        fig.add_trace(
            go.Scatter(
                x=_local(part["at"], zone),
                y=y,
                name=label(str(group)),
                mode="lines",
                line={"width": 2.5, "color": PALETTE[i % len(PALETTE)]},
                hovertemplate=f"{label(str(group))}: {template}<extra></extra>",
            )
        )
    if measure == "occupancy":
        fig.add_hline(y=100, line={"color": COLORS["full"], "dash": "dot", "width": 1})
        nearly = 100 * float(NEARLY_FULL)
        fig.add_hline(y=nearly, line={"color": COLORS["nearly"], "dash": "dot", "width": 1})
        rates = percent_occupied(frame)
        low = min(float(rates.min()) if rates.notna().any() else 0.0, 80.0)
        high = max(float(rates.max()) if rates.notna().any() else 0.0, 100.0)
        # Room to see the lines move, with the nearly-full and 100% marks always in view.
        fig.update_yaxes(ticksuffix="%", range=[max(0.0, low - 5), high + 3])
    else:
        fig.update_yaxes(rangemode="tozero", tickformat=",")
    fig.update_yaxes(title=measure_word)
    fig.update_xaxes(tickformat="%m/%d %H:%M")
    fig.update_layout(hovermode="x unified")
    return _layout(fig, 460)
