"""データ出力 / Data export: the daily snapshot and the range report, previewed and downloaded."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from consumers.exports import FORMATS, charts, labels, report, snapshot
from consumers.rules import occupancy_rate
from dashboard import auth, data
from dashboard.i18n import lang
from schemas.problems import Problem

TEXT: dict[str, tuple[str, str]] = {
    "title": ("データ出力", "Data export"),
    "daily": ("日次スナップショット", "Daily snapshot"),
    "daily.help": (
        "選んだ日の締め時刻の病床状況です。同じ基準時刻と確定時刻なら、いつ出力しても同じ内容"
        "（同じ SHA-256）になります。",
        "The beds at the cutoff of the chosen day. The same as-of and known-at always give the "
        "same rows (the same SHA-256), whenever they are exported.",
    ),
    "day": ("日付", "Date"),
    "cutoff": ("締め時刻", "Cutoff"),
    "known_at": (
        "確定時刻 known_at（公表済みの出力を再現する場合のみ）",
        "Known at (to reproduce a published export)",
    ),
    "known_at.help": (
        "この時刻までに届いた報告だけを使います。空欄なら現在（取り込み済みの範囲）。"
        "例: 2026-11-26T09:05:00+09:00",
        "Only reports received by then count. Empty: now (as far as this replica has applied). "
        "E.g. 2026-11-26T09:05:00+09:00",
    ),
    "known_at.future": (
        "known_at: 未来の時刻は指定できません（同じ出力を再現できなくなるため）",
        "known_at: must not be in the future (the export could not be reproduced)",
    ),
    "future": (
        "締め時刻 {as_of} はまだ来ていません。現在までに届いた報告で表示しています。",
        "The cutoff {as_of} has not come yet: this shows the reports received so far.",
    ),
    "lagging": (
        "取り込み待ちの報告があるため、確定時刻は取り込み済みの {known_at} までです。",
        "Some reports are still being applied: known-at is {known_at}, as far as is applied.",
    ),
    "meta": (
        "基準時刻 {as_of} · 確定時刻 {known_at} · 報告 {events}件 · SHA-256 `{sha}`",
        "As of {as_of} · known at {known_at} · {events} reports · SHA-256 `{sha}`",
    ),
    "facilities": ("施設", "Facilities"),
    "usable": ("即応病床", "Usable beds"),
    "occupied": ("使用中", "Occupied"),
    "available": ("空床", "Available"),
    "rate": ("病床使用率", "Occupancy"),
    "stale_count": ("報告が古い施設", "Stale facilities"),
    "empty": ("この時点までの報告はありません。", "No reports up to this time."),
    "png": ("グラフ (PNG)", "Chart (PNG)"),
    "range": ("期間レポート", "Range report"),
    "range.help": (
        "毎日の締め時刻の、地区 × 病床種別ごとの合計です。",
        "Per day at the cutoff: totals per district and bed type.",
    ),
    "range.days": ("期間", "Days"),
    "range.incomplete": ("開始日と終了日を選んでください。", "Choose a first and a last day."),
    "range.too_long": (
        "期間: {most}日以内にしてください（選択は{days}日）",
        "Days: at most {most} days (chosen: {days})",
    ),
    "unregistered": ("（未登録）", "(unregistered)"),
    "stale_mark": ("⚠ 古い", "⚠ stale"),
}


def _t(key: str, **values: Any) -> str:
    ja, en = TEXT[key]
    text = ja if lang() == "ja" else en
    return text.format(**values) if values else text


def replica_known_at() -> tuple[datetime, bool]:
    """Now if the replica has applied everything, else its newest ingest; and whether it lags."""
    current = snapshot.now()
    health = data.replica().health
    if data.feed_enabled() and health.connected and health.lag == 0 and health.checked_at:
        # Everything the broker had when the lag was checked is applied; a second of margin.
        return min(current, health.checked_at.replace(microsecond=0) - timedelta(seconds=1)), False
    newest = data.last_ingest()
    if newest is None:
        return current, False
    return min(current, newest.replace(microsecond=0)), data.feed_enabled()


def known_at_input() -> datetime | None:
    """The optional known-at a person types; a bad one is explained, naming the field."""
    typed = st.text_input(
        _t("known_at"),
        key="export_known_at",
        help=_t("known_at.help"),
        placeholder="2026-11-26T09:05:00+09:00",
    ).strip()
    if not typed:
        return None
    try:
        moment = datetime.fromisoformat(typed)
    except ValueError:
        st.error(Problem("known_at", "datetime_parsing").message(lang()), icon=":material/error:")
        st.stop()
    if moment.tzinfo is None:
        st.error(Problem("known_at", "timezone_aware").message(lang()), icon=":material/error:")
        st.stop()
    if moment > snapshot.now():  # a future known-at could not be reproduced later
        st.error(_t("known_at.future"), icon=":material/error:")
        st.stop()
    return moment


def preview(taken: snapshot.Snapshot) -> pd.DataFrame:
    """The rows as people read them: names, bed types and ages in the page's language."""
    rows = []
    for row in taken.rows:
        rows.append(
            {
                labels.column("facility_name", lang()): row["facility_name"]
                or f"{row['facility_id']} {_t('unregistered')}",
                labels.column("district", lang()): row["district"] or "—",
                labels.column("bed_type", lang()): labels.bed_type(row["bed_type"], lang()),
                labels.column("usable", lang()): row["usable"],
                labels.column("occupied", lang()): row["occupied"],
                labels.column("available", lang()): row["available"],
                labels.column("occupancy_rate", lang()): row["occupancy_rate"],
                labels.column("reported_at", lang()): row["reported_at"][:16].replace("T", " "),
                labels.column("stale", lang()): _t("stale_mark") if row["stale"] else "",
            }
        )
    return pd.DataFrame(rows)


def summary_metrics(taken: snapshot.Snapshot) -> None:
    usable = sum(row["usable"] for row in taken.rows)
    occupied = sum(row["occupied"] for row in taken.rows)
    stale = {row["facility_id"] for row in taken.rows if row["stale"]}
    rate = occupancy_rate(usable, occupied)
    cells = st.columns(5)
    cells[0].metric(_t("facilities"), len({row["facility_id"] for row in taken.rows}))
    cells[1].metric(_t("usable"), f"{usable:,}")
    cells[2].metric(_t("occupied"), f"{occupied:,}")
    cells[3].metric(_t("rate"), "—" if rate is None else f"{rate:.1%}")
    cells[4].metric(_t("stale_count"), len(stale))


def downloads(taken: snapshot.Snapshot, stem: str) -> None:
    """One button per format, and the chart as PNG (drawn only when asked for)."""
    buttons = st.columns(len(FORMATS) + 1)
    for cell, (name, kind) in zip(buttons, FORMATS.items(), strict=False):
        cell.download_button(
            name.upper(),
            data=kind.render(taken),
            file_name=f"{stem}{kind.suffix}",
            mime=kind.mime,
            icon=":material/download:",
            on_click="ignore",
            key=f"export_{name}",
        )
    figure = charts.summary_figure(taken, lang())
    buttons[-1].download_button(
        _t("png"),
        data=lambda: charts.to_png(figure),
        file_name=f"{stem}.png",
        mime="image/png",
        icon=":material/image:",
        on_click="ignore",
        key="export_png",
    )


@st.cache_data(ttl=60, show_spinner=False)
def range_report(
    path: str, first: date, last: date, cutoff: time, known_at: datetime
) -> report.RangeReport:
    config = data.settings()
    with data.replica().cursor() as cur:
        return report.build(
            cur,
            first,
            last,
            cutoff=cutoff,
            timezone=config.timezone,
            stale_after=config.stale_after,
            known_at=known_at,
        )


identity = auth.require(*auth.PAGE_ROLES["export"])
config = data.settings()
zone = config.zone
st.subheader(_t("title"))

st.markdown(f"##### {_t('daily')}")
st.caption(_t("daily.help"))
day_side, cutoff_side, known_side = st.columns([1, 1, 2])
day = day_side.date_input(_t("day"), value=datetime.now(zone).date(), key="export_day")
cutoff = cutoff_side.time_input(
    _t("cutoff"), value=config.snapshot_cutoff, step=timedelta(minutes=15), key="export_cutoff"
)
with known_side:
    typed_known_at = known_at_input()
as_of = snapshot.daily_as_of(day, cutoff, config.timezone)
safe_known_at, lagging = replica_known_at()
known_at = typed_known_at or safe_known_at
if as_of > snapshot.now():
    st.info(
        _t("future", as_of=snapshot.rfc3339(as_of, config.timezone)), icon=":material/schedule:"
    )
if lagging and typed_known_at is None:
    st.warning(
        _t("lagging", known_at=snapshot.rfc3339(known_at, config.timezone)), icon=":material/sync:"
    )

with data.replica().cursor() as cur:
    taken = snapshot.build(
        cur,
        as_of=as_of,
        known_at=known_at,
        timezone=config.timezone,
        stale_after=config.stale_after,
    )
meta = taken.metadata()
st.markdown(
    _t(
        "meta",
        as_of=meta["as_of"],
        known_at=meta["known_at"],
        events=meta["events"],
        sha=meta["sha256"][:16],
    )
)
# What officials come for first: the files, right under what they contain.
downloads(taken, f"bedboard_snapshot_{day:%Y%m%d}_{cutoff:%H%M}")
if not taken.rows:
    st.info(_t("empty"), icon=":material/inbox:")
else:
    summary_metrics(taken)
    table_side, chart_side = st.columns([3, 2], gap="medium")
    with table_side:
        st.dataframe(
            preview(taken),
            hide_index=True,
            height=320,
            column_config={
                labels.column("occupancy_rate", lang()): st.column_config.NumberColumn(
                    format="percent"
                )
            },
        )
    with chart_side:
        st.plotly_chart(charts.summary_figure(taken, lang()), key="export_summary_chart")

st.divider()
st.markdown(f"##### {_t('range')}")
st.caption(_t("range.help"))
today = datetime.now(zone).date()
chosen = st.date_input(
    _t("range.days"), value=(today - timedelta(days=13), today), key="export_range"
)
if not isinstance(chosen, tuple) or len(chosen) != 2:
    st.info(_t("range.incomplete"), icon=":material/date_range:")
    st.stop()
first, last = sorted(chosen)
span = (last - first).days + 1
if span > report.MAX_DAYS:
    st.error(_t("range.too_long", most=report.MAX_DAYS, days=span), icon=":material/error:")
    st.stop()
# One known-at per minute, so that the report is cached while people look at it.
minute_known_at = known_at.replace(second=0) if typed_known_at is None else known_at
made = range_report(str(data.replica().path), first, last, cutoff, minute_known_at)
st.plotly_chart(charts.report_figure(made, lang()), key="export_range_chart")
stem = f"bedboard_report_{first:%Y%m%d}_{last:%Y%m%d}_{cutoff:%H%M}"
left, right, png, _ = st.columns([1, 1, 1, 4])
for cell, name in ((left, "csv"), (right, "xlsx")):
    render, mime = report.REPORT_FORMATS[name]
    cell.download_button(
        name.upper(),
        data=render(made),
        file_name=f"{stem}.{name}",
        mime=mime,
        icon=":material/download:",
        on_click="ignore",
        key=f"export_report_{name}",
    )
range_figure = charts.report_figure(made, lang())
png.download_button(
    _t("png"),
    data=lambda: charts.to_png(range_figure),
    file_name=f"{stem}.png",
    mime="image/png",
    icon=":material/image:",
    on_click="ignore",
    key="export_report_png",
)
