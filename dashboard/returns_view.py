"""The phase banner and the secured-beds summary, shown on the board and the overview."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from consumers.exports import returns
from dashboard import data, secured
from dashboard.formats import facilities, local_time, number, percent
from dashboard.texts import t


def phase_banner(now: datetime) -> None:
    """The city's phase as of now, in one line; says so when none has been declared."""
    phase, since = data.phase(now)
    if phase is None:
        st.caption(t("phase.none"))
        return
    when = local_time(since, data.settings().zone)
    st.info(t("phase.banner", phase=phase, since=when), icon=":material/flag:")


def has_v2(lines: pd.DataFrame) -> bool:
    """Whether anyone reports secured or oxygen beds or rooms: v1-only cities see no new rows."""
    return secured.reports_v2(lines)


def secured_metrics(total: secured.CityBeds) -> None:
    """確保 · 使用率 (of secured) · short · 酸素 · 居室: one row of numbers.

    Ready-now beds are the row above's 即応病床数 already: not said twice under one name.
    """
    cells = st.container(key="tiles_secured").columns(5)
    cells[0].metric(t("secured.secured"), number(total.secured), border=True)
    cells[1].metric(
        t("secured.short_metric"), facilities(total.short_facilities), border=True,
        help=t("secured.short_help", beds=number(total.short_beds)),
    )  # fmt: skip
    cells[2].metric(
        t("secured.rate"), percent(total.occupancy), help=t("secured.rate_help"), border=True
    )
    cells[3].metric(
        t("secured.oxygen"), number(total.oxygen), help=t("secured.oxygen_help"), border=True
    )
    rooms = t("secured.rooms_value", used=number(total.rooms_in_use), rooms=number(total.rooms))
    cells[4].metric(t("bed_type.accommodation_room"), rooms, border=True)


def short_list(short: pd.DataFrame) -> None:
    """Hospitals whose ready beds fall short of their secured beds: the gap Tokyo publishes
    (dashboard.views.short_table's rows)."""
    if short.empty:
        st.caption(t("secured.short_none"))
        return
    gap = int(short[t("secured.gap")].sum())
    label = t("secured.short", n=number(len(short)), beds=number(gap))
    with st.expander(f":material/warning: {label}"):
        st.dataframe(short.drop(columns="facility_id"), hide_index=True)


def survey_preview(made: returns.Return) -> pd.DataFrame:
    """The survey's rows under the form's headers; an empty text cell (no phase yet) reads "—".

    Numbers stay numbers, so that the table sorts; only text columns take the dashboard's mark.
    """
    table = pd.DataFrame(
        [{c.header: row[c.key] for c in made.layout.columns} for row in made.rows],
        columns=list(made.layout.headers),
    )
    for header in table.columns:
        if table[header].map(lambda v: v is None or isinstance(v, str)).all():
            table[header] = table[header].fillna("—")
    return table
