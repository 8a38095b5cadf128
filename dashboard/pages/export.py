"""データ出力 / Data export: the daily snapshot and the range report, previewed and downloaded."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from consumers.exports import FORMATS, charts, report, returns, snapshot
from consumers.rules import occupancy_rate
from dashboard import auth, data, moments, returns_view
from dashboard.texts import lang, t
from schemas import glossary


def preview(taken: snapshot.Snapshot) -> pd.DataFrame:
    """The rows as people read them: names, bed types and ages in the page's language."""
    rows = []
    for row in taken.rows:
        rows.append(
            {
                glossary.column("facility_name", lang()): row["facility_name"]
                or f"{row['facility_id']} {t('export.unregistered')}",
                glossary.column("district", lang()): row["district"] or "—",
                glossary.column("bed_type", lang()): glossary.bed_type(row["bed_type"], lang()),
                glossary.column("usable", lang()): row["usable"],
                glossary.column("occupied", lang()): row["occupied"],
                glossary.column("available", lang()): row["available"],
                glossary.column("occupancy_rate", lang()): row["occupancy_rate"],
                glossary.column("reported_at", lang()): row["reported_at"][:16].replace("T", " "),
                glossary.column("stale", lang()): t("export.stale_mark") if row["stale"] else "",
            }
        )
    return pd.DataFrame(rows)


def summary_metrics(taken: snapshot.Snapshot) -> None:
    usable = sum(row["usable"] for row in taken.rows)
    occupied = sum(row["occupied"] for row in taken.rows)
    stale = {row["facility_id"] for row in taken.rows if row["stale"]}
    rate = occupancy_rate(usable, occupied)
    cells = st.columns(5)
    cells[0].metric(t("export.facilities"), len({row["facility_id"] for row in taken.rows}))
    cells[1].metric(t("column.usable"), f"{usable:,}")
    cells[2].metric(t("column.occupied"), f"{occupied:,}")
    cells[3].metric(t("column.occupancy_rate"), "—" if rate is None else f"{rate:.1%}")
    cells[4].metric(t("export.stale_count"), len(stale))


def downloads(taken: snapshot.Snapshot, stem: str) -> None:
    """One button per format, and the chart as PNG (drawn only when asked for)."""
    buttons = st.columns(len(FORMATS) + 1)
    for cell, (name, kind) in zip(buttons, FORMATS.items(), strict=False):
        cell.download_button(
            name.upper(),
            # Rendered when clicked: one format's trouble never stops the page or the others.
            data=functools.partial(kind.render, taken),
            file_name=f"{stem}{kind.suffix}",
            mime=kind.mime,
            icon=":material/download:",
            on_click="ignore",
            key=f"export_{name}",
        )
    figure = charts.summary_figure(taken, lang())
    buttons[-1].download_button(
        t("export.png"),
        data=lambda: charts.to_png(figure),
        file_name=f"{stem}.png",
        mime="image/png",
        icon=":material/image:",
        on_click="ignore",
        key="export_png",
    )


WEDNESDAY = 2


def last_wednesday(today: date) -> date:
    """The national survey's day: Wednesday at 0:00, the newest one not after today."""
    return today - timedelta(days=(today.weekday() - WEDNESDAY) % 7)


identity = auth.require_page("export")
config = data.settings()
zone = config.zone
st.subheader(t("page.export"))

st.markdown(f"##### {t('export.daily')}")
st.caption(t("export.daily_help"))
day_side, cutoff_side, known_side = st.columns([1, 1, 2])
day = day_side.date_input(t("column.date"), value=datetime.now(zone).date(), key="export_day")
cutoff = cutoff_side.time_input(
    t("metadata.cutoff"),
    value=config.snapshot_cutoff,
    step=timedelta(minutes=15),
    key="export_cutoff",
)
with known_side:
    typed_known_at = moments.known_at_input("export_known_at")
as_of = snapshot.daily_as_of(day, cutoff, config.timezone)
safe_known_at, lagging = moments.replica_known_at()
known_at = typed_known_at or safe_known_at
if as_of > snapshot.now():
    st.info(
        t("export.future", as_of=snapshot.rfc3339(as_of, config.timezone)),
        icon=":material/schedule:",
    )
if lagging and typed_known_at is None:
    st.warning(
        t("export.lagging", known_at=snapshot.rfc3339(known_at, config.timezone)),
        icon=":material/sync:",
    )

taken = data.snapshot_at(as_of, known_at)
meta = taken.metadata()
st.markdown(
    t(
        "export.meta",
        as_of=meta["as_of"],
        known_at=meta["known_at"],
        events=meta["events"],
        sha=meta["sha256"][:16],
    )
)
# What officials come for first: the files, right under what they contain.
downloads(taken, f"bedboard_snapshot_{day:%Y%m%d}_{cutoff:%H%M}")
if not taken.rows:
    st.info(t("export.empty"), icon=":material/inbox:")
else:
    summary_metrics(taken)
    table_side, chart_side = st.columns([3, 2], gap="medium")
    with table_side:
        st.dataframe(
            preview(taken),
            hide_index=True,
            height=320,
            column_config={
                glossary.column("occupancy_rate", lang()): st.column_config.NumberColumn(
                    format="percent"
                )
            },
        )
    with chart_side:
        st.plotly_chart(charts.summary_figure(taken, lang()), key="export_summary_chart")

st.divider()
st.markdown(f"##### {t('export.survey')}")
st.caption(t("export.survey_help"))
survey_day = st.date_input(
    t("export.survey_day"), value=last_wednesday(datetime.now(zone).date()), key="export_survey"
)
if survey_day.weekday() != WEDNESDAY:
    st.caption(t("export.survey_not_wednesday", day=survey_day.isoformat()))
survey_layout = returns.load("weekly-survey")
survey_as_of = snapshot.daily_as_of(survey_day, survey_layout.cutoff or time(0), config.timezone)
survey_known_at = known_at if survey_as_of <= known_at else snapshot.now()
survey = data.weekly_survey(survey_as_of, survey_known_at.replace(microsecond=0))
survey_meta = survey.metadata()
st.markdown(
    t("export.survey_meta", as_of=survey_meta["as_of"], known_at=survey_meta["known_at"],
      phase=survey.phase or "—", rows=len(survey.rows), sha=survey_meta["sha256"][:16])
)  # fmt: skip
st.caption(glossary.word(f"waiting_source.{survey.waiting_source}", lang()))
survey_stem = f"bedboard_weekly_survey_{survey_day:%Y%m%d}"
for cell, (name, (render_survey, mime, suffix)) in zip(
    st.columns([1, 1, 5])[:2], returns.RETURN_FORMATS.items(), strict=False
):
    cell.download_button(
        name.upper(),
        data=render_survey(survey),
        file_name=f"{survey_stem}{suffix}",
        mime=mime,
        icon=":material/download:",
        on_click="ignore",
        key=f"export_survey_{name}",
    )
st.dataframe(
    returns_view.survey_preview(survey),
    hide_index=True,
    height=min(38 + 35 * len(survey.rows), 320),
)

st.divider()
st.markdown(f"##### {t('export.range')}")
st.caption(t("export.range_help"))
today = datetime.now(zone).date()
chosen = st.date_input(t("range"), value=(today - timedelta(days=13), today), key="export_range")
if not isinstance(chosen, tuple) or len(chosen) != 2:
    st.info(t("export.range_incomplete"), icon=":material/date_range:")
    st.stop()
first, last = sorted(chosen)
span = (last - first).days + 1
if span > report.MAX_DAYS:
    st.error(t("export.range_too_long", most=report.MAX_DAYS, days=span), icon=":material/error:")
    st.stop()
# One known-at per minute, so that the report is cached while people look at it.
minute_known_at = known_at.replace(second=0) if typed_known_at is None else known_at
made = data.range_report(first, last, cutoff, minute_known_at)
st.plotly_chart(charts.report_figure(made, lang()), key="export_range_chart")
stem = f"bedboard_report_{first:%Y%m%d}_{last:%Y%m%d}_{cutoff:%H%M}"
left, right, png, _ = st.columns([1, 1, 1, 4])
for cell, name in ((left, "csv"), (right, "xlsx")):
    render, mime = report.REPORT_FORMATS[name]
    cell.download_button(
        name.upper(),
        data=functools.partial(render, made),
        file_name=f"{stem}.{name}",
        mime=mime,
        icon=":material/download:",
        on_click="ignore",
        key=f"export_report_{name}",
    )
range_figure = charts.report_figure(made, lang())
png.download_button(
    t("export.png"),
    data=lambda: charts.to_png(range_figure),
    file_name=f"{stem}.png",
    mime="image/png",
    icon=":material/image:",
    on_click="ignore",
    key="export_report_png",
)
