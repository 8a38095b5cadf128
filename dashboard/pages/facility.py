"""施設詳細 / Facility: one facility's beds now, their history, and who reported what and when."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import auth, data, figures, model
from dashboard.formats import local_time, number, percent
from dashboard.texts import bed_label, lang, t
from dashboard.widgets import (
    REFRESH_S,
    accepting_text,
    ed_text,
    escape_markdown,
    freshness,
    level_text,
    plain,
)

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}

auth.require_page("facility")  # the server-side role check, on every run
st.subheader(t("page.facility"))
config = data.settings()
board = data.board()
registry = data.facilities()
sources = sorted(set(registry["facility_id"]) | set(board["facility_id"]))
names = model.names_by_id(registry, lang())
if not sources:
    st.info(t("facility.none"))
    st.stop()

pick, span = st.columns([3, 2])
facility_id = pick.selectbox(
    t("col.facility"), sources, key="facility_id", bind="query-params",
    format_func=lambda fid: f"{names.get(fid, fid)} ({fid})" if fid in names else fid,
)  # fmt: skip
range_key = span.segmented_control(
    t("range"), tuple(RANGES), format_func=lambda k: t("span." + k),
    default="24h", required=True, key="facility_range", persist_state="session",
)  # fmt: skip


@st.fragment(run_every=REFRESH_S)
def facility(facility_id: str, range_key: str) -> None:
    now = data.now()
    lines = model.enrich(data.board(), now, config.stale_after)
    lines = lines[lines["facility_id"] == facility_id]
    header(facility_id, lines, now)
    if lines.empty:
        st.info(t("facility.no_reports"))
        return
    reports = data.facility_reports(facility_id)
    beds, chart = st.columns([5, 6], gap="large")
    with beds:
        current_beds(lines)
        latest_note(reports)
    with chart:
        st.markdown(f"**{t('facility.history')}**")
        history(facility_id, model.bed_type_order(lines["bed_type"]), now, RANGES[range_key])
    st.markdown(f"**{t('facility.reports')}**")
    reports_log(reports)


def header(facility_id: str, lines: pd.DataFrame, now) -> None:  # noqa: ANN001
    entry = registry[registry["facility_id"] == facility_id]
    facts = [facility_id]
    if entry.empty:
        st.warning(t("facility.unregistered"), icon=":material/help:")
    else:
        row = entry.iloc[0]
        st.markdown(f"### {escape_markdown(names[facility_id])}")
        # A registry field left out reads as a missing value (NaN), which is truthy: test for text.
        if isinstance(row["district"], str) and row["district"]:
            facts.append(row["district"])
        if isinstance(row["phone"], str) and row["phone"]:
            facts.append(t("col.phone") + " " + row["phone"])
    badges = []
    if not lines.empty:
        first = lines.iloc[0]
        updated = freshness(first["last_report"], now, bool(first["stale"]))
        badges = [
            badge(t("accepting") + " " + accepting_text(first["accepting"]),
                  STATUS_COLOURS.get(first["accepting"], "gray")),
            badge(t("ed") + " " + ed_text(first["ed_status"]),
                  STATUS_COLOURS.get(first["ed_status"], "gray")),
            badge(f"{t('col.updated')} {updated} ({local_time(first['last_report'], config.zone)})",
                  "orange" if first["stale"] else "gray"),
        ]  # fmt: skip
    st.markdown(" · ".join(escape_markdown(str(f)) for f in facts) + "　" + " ".join(badges))


# Status colours repeat the icon and the word beside them; they are never the only sign.
STATUS_COLOURS = {"open": "green", "normal": "green", "limited": "orange", "advisory": "orange",
                  "closed": "red"}  # fmt: skip


def badge(text: str, colour: str) -> str:
    return f":{colour}-badge[{escape_markdown(text)}]"


def current_beds(lines: pd.DataFrame) -> None:
    st.markdown(f"**{t('facility.current')}**")
    ordered = lines.set_index("bed_type").loc[model.bed_type_order(lines["bed_type"])]
    shown = pd.DataFrame(
        {
            t("column.bed_type"): [bed_label(code) for code in ordered.index],
            t("col.status"): ordered["level"].map(level_text).values,
            t("column.available"): ordered["available"].values,
            t("column.occupied"): ordered["occupied"].values,
            t("column.usable"): ordered["usable"].values,
            t("column.occupancy_rate"): ordered["occupancy_rate"].map(percent).values,
            t("column.reported_at"): [local_time(at, config.zone) for at in ordered["reported_at"]],
        }
    )
    tint = [f"background-color: {model.TINTS[level]}" for level in ordered["level"]]
    st.dataframe(
        shown.style.apply(lambda _: tint, subset=[t("col.status")]),
        hide_index=True,
        column_config={
            # Narrow number columns keep the whole table beside the history chart.
            key: st.column_config.NumberColumn(format="localized", width="small")
            for key in (t("column.available"), t("column.occupied"), t("column.usable"))
        },
    )


def latest_note(reports: pd.DataFrame) -> None:
    noted = reports[reports["note"].fillna("").str.len() > 0]
    if noted.empty:
        return
    newest = noted.iloc[0]
    st.markdown(f"**{t('facility.note')}**")
    when = local_time(newest["occurred_at"], config.zone)
    st.caption(escape_markdown(f"{when} · {newest['actor_user']}"))
    plain(newest["note"])  # people's words, shown exactly as written


def history(facility_id: str, bed_types: list[str], now, span: timedelta) -> None:  # noqa: ANN001
    since = now - span
    lines = data.facility_lines(facility_id, since.replace(second=0, microsecond=0))
    words = {"usable": t("column.usable"), "occupied": t("column.occupied")}
    start, end = pd.Timestamp(since), pd.Timestamp(now)
    figure = figures.history(lines, bed_types, bed_label, words, config.zone, start, end)
    st.plotly_chart(figure, config={"displaylogo": False}, key="facility_history")


def reports_log(reports: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            t("column.reported_at"): [local_time(at, config.zone) for at in reports["occurred_at"]],
            t("col.received"): [local_time(at, config.zone) for at in reports["ingested_at"]],
            t("col.sender"): reports["actor_org"] + ":" + reports["actor_user"],
            t("accepting"): reports["accepting"].map(
                lambda v: accepting_text(v) if isinstance(v, str) else ""
            ),
            t("ed"): reports["ed_status"].map(lambda v: ed_text(v) if isinstance(v, str) else ""),
            t("col.beds"): reports["beds"].map(_beds_text),
            # Plain strings in the grid: it never renders Markdown or HTML.
            t("col.note"): reports["note"].fillna(""),
        }
    )
    st.dataframe(shown, hide_index=True, height=min(38 + 35 * len(shown), 420))


def _beds_text(beds) -> str:  # noqa: ANN001
    items = json.loads(beds) if isinstance(beds, str) else list(beds)
    return "、".join(
        f"{bed_label(b['bed_type'])} {number(b['occupied'])}/{number(b['usable'])}" for b in items
    )


facility(facility_id, range_key)
