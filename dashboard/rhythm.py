"""The reporting rhythm on the pages: who is overdue, the report form's banner, and the landing
of an overdue facility's staff on the report form (EMResource's forced update)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.formats import ago, local_time
from dashboard.model import display_name
from dashboard.texts import lang, t
from dashboard.widgets import escape_markdown
from producers.identity import Identity

LANDED = "rhythm_landed"  # this session has already been sent to the report form once


def cadence_text(every_hours: Any, daily_by: Any) -> str:
    """A cadence in words: every 4 hours, daily by 09:00 (in the time the registry gave)."""
    if every_hours is not None and not (isinstance(every_hours, float) and math.isnan(every_hours)):
        return t("rhythm.every", n=int(every_hours))
    if isinstance(daily_by, str) and daily_by:
        # A time in the dashboard's own zone reads as a bare 09:00; any other keeps its offset.
        here = datetime.now(data.settings().zone).isoformat()[-6:]
        return t("rhythm.daily", time=daily_by.removesuffix(here))
    return t("rhythm.none")


def overdue_of(facility_ids: tuple[str, ...] | None, now: datetime) -> pd.DataFrame:
    """The overdue facilities among these (None: all), longest overdue first."""
    rows = data.overdue(now)
    return rows if facility_ids is None else rows[rows["facility_id"].isin(facility_ids)]


def _words(row: Any, now: datetime) -> dict[str, str]:
    name = display_name(row.name_ja, row.name_en, row.facility_id, lang())
    due = pd.Timestamp(row.overdue_since).to_pydatetime()
    return {
        "facility": escape_markdown(name),
        "cadence": cadence_text(row.report_every_hours, row.report_daily_by),
        "due": local_time(due, data.settings().zone),
        "ago": ago(due, now),
    }


def overdue_list(now: datetime) -> None:
    """The overview's short list, at the top: every facility whose report is overdue, by name."""
    rows = overdue_of(None, now)
    if rows.empty:
        return
    lines = "\n".join(
        f"- {t('rhythm.overdue_line', **_words(row, now))}" for row in rows.itertuples()
    )
    st.warning(f"**{t('rhythm.overdue_title', n=len(rows))}**\n\n{lines}", icon=":material/alarm:")


def banner(facility_ids: tuple[str, ...], now: datetime) -> None:
    """On the report form: what is overdue, and since when."""
    for row in overdue_of(facility_ids, now).itertuples():
        st.error(t("rhythm.banner", **_words(row, now)), icon=":material/alarm:")


def land_on_report(identity: Identity, report: Any, chosen: Any) -> None:
    """Send an overdue facility's staff to the report form (their page `report`, if they may
    report), once per session, from whatever page they opened first: numbers come first."""
    if st.session_state.get(LANDED) or not identity.facilities:
        return
    st.session_state[LANDED] = True
    if report is None or chosen is report:
        return
    if not overdue_of(tuple(identity.facilities), data.now()).empty:
        st.switch_page(report)
