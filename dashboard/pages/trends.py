"""推移 / Trends: how occupancy moved over the last hour to month, by bed type or district."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import auth, data, figures, model, returns_view
from dashboard.formats import number, percent, step_label
from dashboard.texts import bed_label, t
from dashboard.widgets import REFRESH_S

# Range -> the step between points: about a hundred points whatever the range.
RANGES = {
    "1h": (timedelta(hours=1), timedelta(minutes=1)),
    "6h": (timedelta(hours=6), timedelta(minutes=5)),
    "24h": (timedelta(hours=24), timedelta(minutes=15)),
    "7d": (timedelta(days=7), timedelta(hours=1)),
    "30d": (timedelta(days=30), timedelta(hours=6)),
}
MEASURES = ("occupancy", "occupied", "available")
SECURED = "secured"  # offered only where someone reports v2: a v1 city sees the page as before
KEY_BED_TYPES = ("adult_icu", "hcu", "medical_surgical", "negative_flow_isolation")
MEASURE_WORDS = {
    "occupancy": "column.occupancy_rate",
    "occupied": "column.occupied",
    "available": "column.available",
    SECURED: "secured.title",
}

auth.require_page("trends")  # the server-side role check, on every run
st.subheader(t("trends.title"))
config = data.settings()
board = data.board()
present = model.bed_type_order(board["bed_type"]) if len(board) else []
districts = sorted(board["district"].dropna().unique()) if len(board) else []
phase_now = data.phase(data.now())[0]
v2 = returns_view.has_v2(data.board_secured(data.now().replace(second=0, microsecond=0)))

span, by, measure = st.columns([3, 2, 3])
range_key = span.segmented_control(
    t("range"), tuple(RANGES), format_func=lambda k: t("span." + k), default="24h",
    required=True, key="trends_range", persist_state="session",
)  # fmt: skip
breakdown = by.segmented_control(
    t("trends.by"), ("bed_type", "district"), format_func=lambda k: t("column." + k),
    default="bed_type", required=True, key="trends_by", persist_state="session",
)  # fmt: skip
measure_key = measure.segmented_control(
    t("trends.metric"), MEASURES + ((SECURED,) if v2 and breakdown == "bed_type" else ()),
    format_func=lambda k: t(MEASURE_WORDS[k]), default="occupancy",
    required=True, key="trends_measure", persist_state="session",
)  # fmt: skip
if measure_key == SECURED and breakdown != "bed_type":  # kept from the bed-type view
    measure_key = "occupancy"
left, right = st.columns(2)
if breakdown == "bed_type":
    # Every bed type at once is a tangle of lines: the ones a surge fills first, to begin with.
    first = [code for code in KEY_BED_TYPES if code in present] or present[:4]
    only_types = left.multiselect(
        t("column.bed_type"), present, default=first, format_func=bed_label,
        placeholder=t("trends.all"), key="trends_lines", persist_state="session",
    )  # fmt: skip
else:
    only_types = left.multiselect(
        t("column.bed_type"), present, format_func=bed_label, placeholder=t("trends.all"),
        key="trends_types", persist_state="session",
    )  # fmt: skip
only_districts = right.multiselect(
    t("column.district"), districts, placeholder=t("trends.all"), key="trends_districts",
    persist_state="session",
)  # fmt: skip


def district_label(district: str) -> str:
    """A district by name; reports from unregistered sources have none."""
    return district or t("unregistered")


@st.fragment(run_every=REFRESH_S)
def trend_chart(
    range_key: str,
    breakdown: str,
    measure: str,
    districts: list[str],
    bed_types: list[str],
    phase: str | None,
    v2: bool,
) -> None:

    length, step = RANGES[range_key]
    end = data.now().replace(microsecond=0)
    frame = data.trend(end - length, end, step, breakdown,
                       tuple(bed_types) or None, tuple(districts) or None, phase)  # fmt: skip
    if frame.empty or not frame["lines"].any():
        st.info(t("trends.none"))
        return
    label: Callable[[str], str]
    if breakdown == "bed_type":
        label = bed_label
        order = {code: i for i, code in enumerate(model.bed_type_order(frame["group"]))}
        frame = frame.assign(rank=frame["group"].map(order)).sort_values(["rank", "at"])
    else:
        label = district_label
    figure = figures.trend(
        frame, measure, label, t(MEASURE_WORDS[measure]), config.zone,
        ready_word=t("column.usable"), secured_word=t("secured.secured"),
    )  # fmt: skip
    st.plotly_chart(figure, config={"displaylogo": False}, key="trend")
    st.caption(t("trends.step", step=step_label(step)))
    if measure == SECURED:
        st.caption(t("trends.secured_help", phase=phase or "—"))
    latest(frame, label, t("column." + breakdown), v2)


def latest(frame: pd.DataFrame, label, heading: str, v2: bool) -> None:  # noqa: ANN001
    """The newest point of each line, as numbers: what the chart ends on (secured beds too, where
    anyone reports them)."""
    last = frame[frame["at"] == frame["at"].max()]
    rows = pd.DataFrame(
        {
            heading: [label(str(group)) for group in last["group"]],
            t("column.occupancy_rate"): [
                percent(o / u) if u else "—"
                for o, u in zip(last["occupied"], last["usable"], strict=True)
            ],
            t("column.occupied"): [number(v) for v in last["occupied"]],
            t("column.usable"): [number(v) for v in last["usable"]],
            t("column.available"): [number(v) for v in last["available"]],
        }
    )
    if v2:
        rows[t("secured.secured")] = [number(v) for v in last["secured"]]
    st.dataframe(rows, hide_index=True)


trend_chart(range_key, breakdown, measure_key, only_districts, only_types, phase_now, v2)
