"""会議資料 / Meeting summary: what changed since the last meeting, on screen and as a PDF."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from consumers.exports import charts, summary, summary_doc
from dashboard import auth, data, moments
from dashboard.texts import lang, t


def table(made: summary_doc.Table, *, named: bool = True) -> None:
    """A table of the summary as the PDF prints it: numbers right-aligned, the names left."""
    headings, rows = made
    columns = [heading.replace("\n", " ") for heading in headings]
    numbers = columns[1:] if named else columns
    config = {name: st.column_config.TextColumn(alignment="right") for name in numbers}
    # Every row shown, none scrolled away: the meeting reads the whole table (or its printout).
    st.dataframe(pd.DataFrame(rows, columns=columns), hide_index=True, column_config=config,
                 height=38 + 35 * len(rows))  # fmt: skip


def key_numbers(made: summary.MeetingSummary) -> None:
    """The waiting list now (and how it moved since the last meeting) and the placements."""
    then, now = made.waiting_then_now()
    cells = st.columns(5)
    cells[0].metric(
        t("summary.waiting_now"),
        summary_doc.count(now),
        delta=None if then is None or now is None else now - then,
        delta_color="inverse",  # more people waiting is worse
        border=True,
    )
    for cell, kind in zip(
        cells[1:], ("requested", "accepted", "declined", "admitted"), strict=True
    ):
        word = t("summary.requested") if kind == "requested" else t(f"placement.{kind}")
        cell.metric(word, summary_doc.count(made.placements[kind]), border=True)


auth.require_page("summary")
config = data.settings()
st.subheader(t("summary.title"))
st.caption(t("meeting.help"))

safe_known_at, lagging = moments.replica_known_at()
default_since = summary.previous_meeting(safe_known_at, config.timezone)
day_side, time_side, known_side = st.columns([1, 1, 2])
day = day_side.date_input(t("summary.since"), value=default_since.date(), key="summary_day")
clock = time_side.time_input(
    t("meeting.time"), value=summary.MEETING_TIME, step=timedelta(minutes=15), key="summary_time"
)
with known_side:
    typed_known_at = moments.known_at_input("summary_known_at")
# To the minute unless typed, so that the summary is cached while the meeting looks at it.
known_at = typed_known_at or safe_known_at.replace(second=0)
since = datetime.combine(day, clock, tzinfo=config.zone)
if since >= known_at:
    st.error(t("meeting.since_after", known_at=summary_doc.moment(known_at, config.timezone)),
             icon=":material/error:")  # fmt: skip
    st.stop()
if lagging and typed_known_at is None:
    st.warning(t("export.lagging", known_at=known_at.isoformat()), icon=":material/sync:")

made = data.meeting_summary(since, known_at)
period, pdf = st.columns([4, 1], vertical_alignment="center")
period.markdown(f"**{summary_doc.period(made, lang())}**")
pdf.download_button(
    t("meeting.pdf"),
    # Printed when clicked: Chromium takes a few seconds, which the page need not wait for.
    data=functools.partial(summary_doc.render, made, lang()),
    file_name=f"bedboard_meeting_{since:%Y%m%d%H%M}_{known_at.astimezone(config.zone):%Y%m%d%H%M}.pdf",
    mime=summary_doc.MIME,
    icon=":material/picture_as_pdf:",
    on_click="ignore",
    key="summary_pdf",
    disabled=not summary_doc.can_print(),
    help=None if summary_doc.can_print() else t("meeting.no_chromium"),
)
key_numbers(made)

chart_side, placed_side = st.columns([3, 2], gap="medium")
with chart_side:
    if made.waiting_then_now()[1] is not None:
        st.plotly_chart(charts.waiting_figure(made, lang()), key="summary_waiting")
    else:
        st.caption(f"{t('summary.waiting_now')}: {t('summary.not_counted')}")
with placed_side:
    st.markdown(f"##### {t('summary.placements')}")
    table(summary_doc.placements_table(made, lang()), named=False)
    st.markdown(f"##### {t('summary.reasons')}")
    if made.reasons:
        table(summary_doc.reasons_table(made, lang()))
    else:
        st.caption(t("summary.no_reasons"))

st.markdown(f"##### {t('summary.beds')}")
table(summary_doc.changes_table(made, "bed_type", lang()))
st.markdown(f"##### {t('summary.districts')}")
table(summary_doc.changes_table(made, "district", lang()))
st.caption(summary_doc.footer(made, lang()))
