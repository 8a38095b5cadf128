"""地図 / Map: where the facilities are, coloured by free beds of one bed type, over the outlines
of their city and its neighbours (shipped with Bedboard, no map tiles); a click opens a facility."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, boundaries, data, figures, model
from dashboard.formats import number
from dashboard.texts import bed_label, lang, t
from dashboard.widgets import REFRESH_S, freshness_of

auth.require_page("map")  # the server-side role check, on every run
st.subheader(t("page.map"))
config = data.settings()
present = model.bed_type_order(data.board()["bed_type"])
if not present:
    st.info(t("overview.empty"))
    st.stop()
default = "medical_surgical" if "medical_surgical" in present else present[0]
pick, _ = st.columns([1, 2])
bed_type = pick.selectbox(
    t("column.bed_type"), present, index=present.index(default), format_func=bed_label,
    key="map_bed_type", persist_state="session",
)  # fmt: skip


@st.fragment(run_every=REFRESH_S)
def city_map(bed_type: str) -> None:
    now = data.now()
    board = model.enrich(data.board(), now, config.stale_after)
    registry = data.facilities()
    points = facility_points(board, registry, bed_type)
    located = points.dropna(subset=["lat", "lon"])
    if located.empty:
        st.info(t("map.none"))
    else:
        words = {level: t("level." + level) for level in model.LEVELS}
        figure = figures.city_map(
            located,
            model.district_centres(registry),
            words,
            {"available": t("column.available")},
            places(located),
        )
        clicked = st.plotly_chart(
            figure, config={"displaylogo": False, "scrollZoom": True}, key="map",
            on_select="rerun", selection_mode="points",
        )  # fmt: skip
        st.caption(t("map.caption") + "　" + t("legend") + "　" + t("map.source"))
        if facility_id := clicked_facility(clicked["selection"]["points"]):
            st.session_state["facility_id"] = facility_id
            st.switch_page("pages/facility.py")
    elsewhere = points[points["lat"].isna() | points["lon"].isna()]
    if not elsewhere.empty:
        st.markdown(f"**{t('map.no_location')}**")
        st.dataframe(
            pd.DataFrame(
                {
                    t("col.facility"): elsewhere["name"],
                    t("column.district"): elsewhere["district"].fillna(""),
                    t("column.available"): elsewhere["label"],
                    t("col.updated"): freshness_of(elsewhere, now),
                }
            ),
            hide_index=True,
        )  # fmt: skip


def facility_points(board: pd.DataFrame, registry: pd.DataFrame, bed_type: str) -> pd.DataFrame:
    """Every registered facility with its level and free beds for the bed type (if it has it)."""
    lines = board.loc[
        board["bed_type"] == bed_type, ["facility_id", "level", "available", "last_report", "stale"]
    ]
    points = registry.merge(lines, on="facility_id", how="left")
    has_type = points["level"].notna()
    points["level"] = points["level"].where(has_type, model.NONE)
    points["available"] = points["available"].fillna(0).astype("int64")
    points["stale"] = points["stale"].fillna(False).astype(bool)
    points["name"] = model.display_names(points, lang())
    counts = [
        f"{model.ICONS[level]} {number(n)}" if has else t("map.no_type")
        for level, n, has in zip(points["level"], points["available"], has_type, strict=True)
    ]
    # Numbers too old to trust say so on the map as well.
    counts = [
        f"{c} {model.STALE_ICON}" if s else c for c, s in zip(counts, points["stale"], strict=True)
    ]
    points["label"] = [
        f"{_short(name)} {count}" for name, count in zip(points["name"], counts, strict=True)
    ]
    return points


def places(located: pd.DataFrame) -> figures.Places:
    """The city the facilities are in and the places around it, from the shipped outlines."""
    every = boundaries.outlines()
    home = boundaries.containing(zip(located["lon"], located["lat"], strict=True), every)
    # Far from the shipped area (a city elsewhere), no outline is drawn at all.
    around = tuple(o for o in every if o not in home) if home else ()
    return figures.Places(tuple(home), around, lang(), t("map.source"))


def clicked_facility(points: list[dict[str, Any]]) -> str | None:
    """The facility whose marker was clicked (outlines and labels carry no facility)."""
    for point in points:
        custom = point.get("customdata")
        if isinstance(custom, list) and len(custom) == 3 and isinstance(custom[2], str):
            return custom[2]
    return None


def _short(name: str) -> str:
    return name if len(name) <= 22 else name[:21] + "…"


city_map(bed_type)
