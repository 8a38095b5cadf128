"""What the board and the overview show, made once per slot (and language) for every session.

A country's board is 64,000 lines. Counting, sorting and wording them again in every session on
every refresh was most of a refresh's 0.3-0.5 s of CPU at 8,000 facilities; made once per
2-second slot (dashboard.data's) they leave each session only its own filter and the rows it
draws. Like data's frames, these are shared and read-only.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from consumers.exports.to_csv import table_csv
from consumers.rules import occupancy_rate
from dashboard import data, model, secured
from dashboard.data import SHARED, Moment
from dashboard.formats import ago, local_time, number, percent
from dashboard.texts import bed_label, t
from dashboard.trail import safe_cell


def _stale_after() -> timedelta:
    return data.settings().stale_after


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _counts(at: Moment, stale_after: timedelta) -> dict[str, int]:
    return model.facility_counts(data.enriched_board(at))


def facility_counts(at: Moment) -> dict[str, int]:
    """model.facility_counts of the slot's board."""
    return _counts(at, _stale_after())  # type: ignore[no-any-return]


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _by_bed_type(at: Moment, stale_after: timedelta) -> pd.DataFrame:
    return model.by_bed_type(data.enriched_board(at))


def by_bed_type(at: Moment) -> pd.DataFrame:
    """model.by_bed_type of the slot's board."""
    return _by_bed_type(at, _stale_after())  # type: ignore[no-any-return]


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _choices(at: Moment, stale_after: timedelta) -> tuple[list[str], list[str]]:
    board = data.enriched_board(at)
    if board.empty:
        return [], []
    districts = board.loc[board["registered"], "district"].dropna().unique()
    return model.bed_type_order(board["bed_type"]), sorted(districts)


def bed_types_present(at: Moment) -> list[str]:
    """The bed types on the board, in the contract's order."""
    return _choices(at, _stale_after())[0]  # type: ignore[no-any-return]


def districts(at: Moment) -> list[str]:
    """The districts of the registered facilities on the board, sorted."""
    return _choices(at, _stale_after())[1]  # type: ignore[no-any-return]


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _sorted_rows(
    at: Moment, stale_after: timedelta, bed_types: tuple[str, ...], sort_by: str
) -> pd.DataFrame:
    rows = data.board_rows(bed_types, at)
    return model.sort_rows(rows, sort_by) if len(rows) else rows


def sorted_rows(bed_types: tuple[str, ...], sort_by: str, at: Moment) -> pd.DataFrame:
    """data.board_rows in a sort order (a page filters them after: filtering keeps the order)."""
    return _sorted_rows(at, _stale_after(), bed_types, sort_by)  # type: ignore[no-any-return]


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _names(at: Moment, stale_after: timedelta, lang: str) -> dict[str, str]:
    board = data.enriched_board(at)
    return model.names_by_id(board.drop_duplicates("facility_id"), lang)


def names(lang: str, at: Moment) -> dict[str, str]:
    """Each facility on the board's display name in a language."""
    return _names(at, _stale_after(), lang)  # type: ignore[no-any-return]


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _secured(at: Moment, phase: str | None) -> tuple[secured.CityBeds, pd.DataFrame]:
    lines = data.board_secured(data.moment_start(at), at)
    return secured.city_beds(lines), secured.short_facilities(lines)


def city_beds(now: datetime, at: Moment) -> secured.CityBeds:
    """The city's secured beds and rooms at the current phase."""
    return _secured(at, data.phase(now)[0])[0]  # type: ignore[no-any-return]


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _short_table(at: Moment, phase: str | None, stale_after: timedelta, lang: str) -> pd.DataFrame:
    short = _secured(at, phase)[1]
    named = names(lang, at)
    return pd.DataFrame({
        "facility_id": short["facility_id"],
        t("col.facility", lang): [named.get(f, f) for f in short["facility_id"].tolist()],
        t("secured.secured", lang): short["secured"],
        t("column.usable", lang): short["ready"],
        t("secured.gap", lang): short["short"],
    })  # fmt: skip


def short_table(now: datetime, lang: str, at: Moment) -> pd.DataFrame:
    """Hospitals short of their secured beds at the current phase, the largest gap first, as the
    board lists them in a language (`facility_id` to filter by, the rest to show)."""
    return _short_table(at, data.phase(now)[0], _stale_after(), lang)  # type: ignore[no-any-return]


# --- The overview's alerts, worded ------------------------------------------------------------


# A country has ~12,000 alerts: sending them all to every session on every refresh cost each a
# megabyte, and nobody reads them. The overview shows the most urgent that fit in view without
# scrolling (as on a phone); filters and a download reach the rest.
ALERTS_SHOWN = 10
ALERT_KEYS = ["kind", "district"]  # the alert table's columns to filter by, not to show


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _alert_table(at: Moment, stale_after: timedelta, lang: str) -> tuple[pd.DataFrame, bool]:
    named = names(lang, at)
    now = data.moment_start(at)
    raised = data.alerts()  # the alert processor's, as of this slot
    if not raised.empty:
        zone = data.settings().zone
        rows = [_raised_row(row, named, now, lang, zone) for row in raised.itertuples(index=False)]
        kinds = raised["kind"].tolist()
        ids = raised["facility_id"].tolist()
    else:
        found = data.derived_alerts(at)
        rows = [_derived_row(a, named, now, lang) for a in found]
        kinds, ids = [a.kind for a in found], [a.facility_id for a in found]
    where = _districts_by_id(at, stale_after)
    keys = {"kind": kinds, "district": [where.get(f) for f in ids]}
    return pd.DataFrame(rows).assign(**keys), raised.empty


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _districts_by_id(at: Moment, stale_after: timedelta) -> dict[str, str]:
    board = data.enriched_board(at).drop_duplicates("facility_id")
    return dict(zip(board["facility_id"], board["district"], strict=True))


def alert_table(lang: str, at: Moment) -> tuple[pd.DataFrame, bool]:
    """The overview's alerts, the most urgent first, one row each, worded in a language (ages as
    of the slot's start) with their ALERT_KEYS; and whether they are read off the board (no alert
    processor has written any)."""
    return _alert_table(at, _stale_after(), lang)  # type: ignore[no-any-return]


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _alert_choices(at: Moment, stale_after: timedelta, lang: str) -> tuple[list[str], list[str]]:
    rows = _alert_table(at, stale_after, lang)[0]
    return rows["kind"].unique().tolist(), sorted(rows["district"].dropna().unique())


def alert_choices(lang: str, at: Moment) -> tuple[list[str], list[str]]:
    """The kinds of the alerts (the most urgent first) and their districts (sorted)."""
    return _alert_choices(at, _stale_after(), lang)  # type: ignore[no-any-return]


def alerts_csv(rows: pd.DataFrame, lang: str) -> bytes:
    """Alert rows (alert_table's, or some of them) as CSV with their districts, in a language."""
    district = t("column.district", lang)
    columns = [*rows.columns.drop(ALERT_KEYS), district]
    table = rows.rename(columns={"district": district}).fillna("")[columns]
    cells = ({c: safe_cell(v) for c, v in row.items()} for row in table.to_dict("records"))
    return table_csv(columns, cells)


def _derived_row(
    alert: model.Alert, names: dict[str, str], now: datetime, lang: str
) -> dict[str, str]:
    if alert.kind in ("over_capacity", "occupancy_high"):
        key = "alert.over_detail" if alert.kind == "over_capacity" else "alert.occupancy_detail"
        rate = percent(occupancy_rate(alert.usable or 0, alert.occupied or 0))
        bed = bed_label(alert.bed_type or "", lang)
        counts = {"occupied": number(alert.occupied), "usable": number(alert.usable)}
        detail = t(key, lang, bed=bed, rate=rate, **counts)
    else:
        since = ago(alert.since, now, lang) if alert.since else None
        detail = t("alert.stale_detail", lang, ago=since) if since else ""
    return {
        t("col.kind", lang): t("alert." + alert.kind, lang),
        t("col.facility", lang): names.get(alert.facility_id, alert.facility_id),
        t("col.detail", lang): detail,
    }


def _raised_row(
    row: Any, names: dict[str, str], now: datetime, lang: str, zone: Any
) -> dict[str, str]:
    """An alert from the alert processor, worded like the derived ones, with when it was raised."""
    try:
        detail = json.loads(row.detail or "{}")
    except ValueError:
        detail = {}
    since = detail.get("last_report") or detail.get("reported_at")
    alert = model.Alert(
        row.kind, row.facility_id or "", None, detail.get("bed_type"),
        detail.get("usable"), detail.get("occupied"),
        datetime.fromisoformat(since) if since else None,
    )  # fmt: skip
    if row.kind not in model.ALERT_KINDS:  # a kind from a newer alert processor
        name = names.get(alert.facility_id, "")
        return {t("col.kind", lang): row.kind, t("col.facility", lang): name}
    return _derived_row(alert, names, now, lang) | {
        t("col.since", lang): local_time(row.raised_at, zone)
    }
