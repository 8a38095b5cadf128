"""病床一覧 / Board: every facility's free beds by bed type, with status and freshness."""

from __future__ import annotations

import math
from typing import get_args

import pandas as pd
import streamlit as st

from dashboard import auth, data, model, returns_view, views
from dashboard.formats import number
from dashboard.texts import bed_label, lang, t, term
from dashboard.widgets import (
    REFRESH_S,
    accepting_text,
    ed_text,
    freshness_of,
    level_style,
    level_text,
)
from schemas.events import Accepting

PAGE_SIZE = 50
ACCEPTING: tuple[str, ...] = (*get_args(Accepting), "unknown")

auth.require_page("board")  # the server-side role check, on every run
st.subheader(t("page.board"))
returns_view.phase_banner(data.now())
present = views.bed_types_present(data.moment())
districts = views.districts(data.moment())

search, district_pick, type_pick, accepting_pick, sort_pick = st.columns([2, 2, 3, 2, 2])
query = search.text_input(t("board.search"), key="board_search", persist_state="session")
chosen_districts = district_pick.multiselect(
    t("column.district"), districts, placeholder=t("trends.all"), key="board_districts",
    persist_state="session",
)  # fmt: skip
chosen_types = type_pick.multiselect(
    t("column.bed_type"), present, format_func=bed_label, placeholder=t("trends.all"),
    key="board_types", persist_state="session",
)  # fmt: skip


def accepting_word(value: str) -> str:
    return term("accepting", None if value == "unknown" else value)


chosen_accepting = accepting_pick.multiselect(
    t("board.accepting"), ACCEPTING, format_func=accepting_word,
    placeholder=t("trends.all"), key="board_accepting", persist_state="session",
)  # fmt: skip
sort_by = sort_pick.selectbox(
    t("board.sort"), model.SORTS, format_func=lambda v: t("sort." + v), key="board_sort",
    persist_state="session",
)  # fmt: skip


@st.fragment(run_every=REFRESH_S)
def board_table(
    query: str, districts: list[str], bed_types: list[str], accepting: list[str], sort_by: str
) -> None:

    now = data.now()
    at = data.moment()  # what every session shows in this slot is made once (dashboard.views)
    board = data.enriched_board(at)
    shown_types = bed_types or views.bed_types_present(at)
    rows = views.sorted_rows(tuple(shown_types), sort_by, at)  # one row per facility
    total = len(rows)
    rows = _filtered(rows, query, districts, accepting)
    if rows.empty:
        st.info(t("board.none"))
    else:
        page_rows = _paginate(rows)
        free = t("board.free", n=number(rows["total_available"].sum()))
        parts = [t("board.count", shown=number(len(rows)), total=number(total)), free]
        if held := int(rows["held"].sum()):
            parts.append(t("hold.count", n=number(held)))  # free beds are net of these
        st.caption(" · ".join((*parts, t("board.open"))), help=t("hold.help"))
        _table(page_rows, shown_types, now)
        st.caption(t("legend"))
        if data.reports_v2(now):
            short = views.short_table(now, lang(), at)  # of the facilities listed only
            returns_view.short_list(short[model.among(short["facility_id"], rows["facility_id"])])
    unregistered(board[~board["registered"]], now)


def _filtered(rows: pd.DataFrame, query: str, districts: list[str], accepting: list[str]):  # noqa: ANN202
    if rows.empty:
        return rows
    if query:
        text = query.strip().lower()
        haystack = rows["facility_id"] + " " + rows["name_ja"].fillna("") + " "
        haystack = (haystack + rows["name_en"].fillna("")).str.lower()
        rows = rows[haystack.str.contains(text, regex=False)]
    if districts:
        rows = rows[rows["district"].isin(districts)]
    if accepting:
        status = rows["accepting"].astype("object").where(rows["accepting"].notna(), "unknown")
        rows = rows[status.isin(accepting)]
    return rows


def _paginate(rows: pd.DataFrame) -> pd.DataFrame:
    """Big cities (thousands of facilities) are read a page at a time."""
    pages = math.ceil(len(rows) / PAGE_SIZE)
    if pages <= 1:
        return rows
    pick, where = st.columns([1, 5], vertical_alignment="bottom")
    page = pick.number_input(
        t("board.page"), min_value=1, max_value=pages, value=1, step=1, key="board_page"
    )
    where.caption(t("board.page_of", page=number(page), pages=number(pages)))
    start = (int(page) - 1) * PAGE_SIZE
    return rows.iloc[start : start + PAGE_SIZE]


def _table(rows: pd.DataFrame, bed_types: list[str], now) -> None:  # noqa: ANN001
    shown = pd.DataFrame(
        {
            t("col.facility"): model.display_names(rows, lang()),
            t("column.district"): rows["district"].fillna(""),
            t("accepting"): rows["accepting"].map(accepting_text),
            t("ed"): rows["ed_status"].map(ed_text),
            t("col.updated"): freshness_of(rows, now),
        }
    )
    levels = pd.DataFrame(index=shown.index)
    for code in bed_types:
        column = bed_label(code)
        if f"avail:{code}" in rows:
            shown[column] = [
                "" if pd.isna(level) else f"{model.ICONS[level]} {number(value)}"
                for value, level in zip(rows[f"avail:{code}"], rows[f"level:{code}"], strict=True)
            ]
            levels[column] = rows[f"level:{code}"].where(rows[f"level:{code}"].notna(), None).values
    # Plain Python strings: the Styler reads every cell one by one, and one cell of pandas'
    # Arrow-backed strings costs it ~0.1 ms (half the page's own time at 50 rows).
    shown = shown.astype(object)
    shown[t("col.total_available")] = rows["total_available"].astype("int64").values
    shown.index = range(len(shown))
    levels.index = shown.index
    styled = shown.style.apply(
        lambda _: level_style(levels), axis=None, subset=list(levels.columns)
    )
    event = st.dataframe(
        styled,
        hide_index=True,
        key="board_table",
        on_select="rerun",
        selection_mode="single-row",
        height=min(38 + 35 * len(shown), 38 + 35 * 20),
        column_config={
            t("col.total_available"): st.column_config.NumberColumn(format="localized"),
            **{bed_label(code): st.column_config.TextColumn(help=level_text("room") + " …")
               for code in bed_types},
        },
    )  # fmt: skip
    if event.selection.rows:
        st.session_state["facility_id"] = rows["facility_id"].iloc[event.selection.rows[0]]
        st.switch_page("pages/facility.py")


def _bed_types(codes: pd.Series) -> str:
    return "、".join(bed_label(code) for code in model.bed_type_order(codes))


def unregistered(lines: pd.DataFrame, now) -> None:  # noqa: ANN001
    """Sources that report without a facility.registered event: listed apart, never dropped."""
    if lines.empty:
        return
    st.markdown(f"**{t('board.unregistered')}**")
    st.caption(t("board.unregistered_help"))
    per_source = lines.groupby("facility_id").agg(
        bed_types=("bed_type", _bed_types),
        available=("available", "sum"),
        last_report=("last_report", "max"),
        stale=("stale", "max"),
    )  # fmt: skip
    st.dataframe(
        pd.DataFrame(
            {
                t("column.facility_id"): per_source.index,
                t("col.lines"): per_source["bed_types"].values,
                t("col.total_available"): per_source["available"].astype("int64").values,
                t("col.updated"): freshness_of(per_source, now),
            }
        ),
        hide_index=True,
    )


board_table(query, chosen_districts, chosen_types, chosen_accepting, sort_by)
