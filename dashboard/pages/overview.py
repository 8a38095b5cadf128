"""状況 / Overview: how full the city is, who still accepts, whose numbers are stale, the news."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from consumers.exports.to_csv import MIME
from dashboard import auth, data, model, returns_view, rhythm, views
from dashboard.formats import ago, facilities, local_time, number, percent
from dashboard.texts import bed_label, lang, t
from dashboard.widgets import REFRESH_S, escape_markdown, level_text

auth.require_page("overview")  # the server-side role check, on every run
NOTICE_BOX = {"critical": st.error, "warning": st.warning, "info": st.info}


@st.fragment(run_every=REFRESH_S)
def overview() -> None:
    config = data.settings()
    now = data.now()
    at = data.moment()  # what every session shows in this slot is made once (dashboard.views)
    board = data.enriched_board(at)

    st.subheader(t("overview.title"))
    returns_view.phase_banner(now)
    rhythm.overdue_list(now)  # named before they turn stale
    if board.empty:
        st.info(t("overview.empty"), icon=":material/hourglass_empty:")
    else:
        city_kpis(board)
        if data.reports_v2(now):  # a city that reports only v1 sees the page as before
            returns_view.secured_metrics(views.city_beds(now, at))
        facility_kpis(views.facility_counts(at), config.stale_after.total_seconds() / 3600)
    left, right = st.columns([3, 2], gap="large")
    with left:
        if not board.empty:
            st.markdown(f"**{t('overview.by_type')}**")
            bed_type_table(views.by_bed_type(at))
            st.caption(t("legend"))
    with right:
        notices(now)
        alerts(at)
        step_down(now)


def step_down(now) -> None:  # noqa: ANN001
    """後方支援: who could move on, per district, and per facility behind it."""
    st.markdown(f"**{t('step_down.title')}**")
    reports = data.step_down(now)
    if reports.empty:
        st.caption(t("step_down.none"))
        return
    st.caption(t("step_down.arrange"))
    per_district = reports.groupby("district", as_index=False)[["lower_care", "home"]].sum()
    st.dataframe(
        pd.DataFrame({
            t("column.district"): per_district["district"],
            t("step_down.lower_care"): per_district["lower_care"],
            t("step_down.home"): per_district["home"],
        }),
        hide_index=True,
    )  # fmt: skip
    with st.expander(t("col.facility")):
        st.dataframe(
            pd.DataFrame({
                t("col.facility"): model.display_names(reports, lang()),
                t("column.district"): reports["district"],
                t("step_down.lower_care"): reports["lower_care"],
                t("step_down.home"): reports["home"],
                t("col.updated"): [ago(at, now) for at in reports["occurred_at"]],
            }),
            hide_index=True,
        )  # fmt: skip


def city_kpis(board: pd.DataFrame) -> None:
    total = model.totals(board)
    usable, occupied, available, occupancy = st.container(key="tiles_city").columns(4)
    usable.metric(t("column.usable"), number(total.usable), border=True)
    occupied.metric(t("column.occupied"), number(total.occupied), border=True)
    available.metric(t("column.available"), number(total.available), border=True)
    occupancy.metric(t("column.occupancy_rate"), percent(total.occupancy), border=True)
    if held := int(board["held"].sum() + board["arriving"].sum()):
        st.caption(t("hold.count", n=number(held)), help=t("hold.help"))


def facility_kpis(counts: dict[str, int], stale_hours: float) -> None:
    columns = st.container(key="tiles_facilities").columns(4)
    for column, key in zip(columns, ("open", "limited", "closed"), strict=False):
        label = f"{model.ACCEPTING_ICONS[key]} {t('accepting.' + key)}"
        column.metric(label, facilities(counts[key]), border=True)
    columns[3].metric(
        f"{model.STALE_ICON} {t('overview.stale')}",
        facilities(counts["stale"]),
        help=t("overview.stale_help", hours=f"{stale_hours:g}"),
        border=True,
    )


def bed_type_table(per_type: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            t("column.bed_type"): per_type["bed_type"].map(bed_label),
            t("col.status"): per_type["level"].map(level_text),
            t("column.available"): per_type["available"],
            t("column.occupied"): per_type["occupied"],
            t("column.usable"): per_type["usable"],
            t("column.occupancy_rate"): per_type["occupancy"].map(percent),
        }
    )
    st.dataframe(
        shown.style.apply(
            lambda _: [f"background-color: {model.TINTS[lv]}" for lv in per_type["level"]],
            subset=[t("col.status")],
        ),
        hide_index=True,
        height=38 + 35 * len(shown),  # every bed type in view, no inner scrolling
        column_config={
            # Pinned: on a phone the numbers scroll sideways under the bed type's name.
            t("column.bed_type"): st.column_config.TextColumn(pinned=True),
            **{
                key: st.column_config.NumberColumn(format="localized")
                for key in (t("column.available"), t("column.occupied"), t("column.usable"))
            },
        },  # fmt: skip
    )


def notices(now) -> None:  # noqa: ANN001
    st.markdown(f"**{t('page.notices')}**")
    current = data.notices(now.replace(second=0, microsecond=0))
    if current.empty:
        st.caption(t("overview.no_notices"))
    zone = data.settings().zone
    for notice in current.itertuples(index=False):
        when = t("notice.posted", time=local_time(notice.posted_at, zone), by=notice.posted_by)
        if notice.expires_at is not None and not pd.isna(notice.expires_at):
            when += " · " + t("notice.until", time=local_time(notice.expires_at, zone))
        # Title and body come from people: escaped, so that they show exactly as written.
        body = f"**{escape_markdown(notice.title)}**  \n{escape_markdown(notice.body or '')}"
        NOTICE_BOX.get(notice.severity, st.info)(f"{body}  \n*{escape_markdown(when)}*")


def alerts(at: data.Moment) -> None:
    st.markdown(f"**{t('overview.alerts')}**")
    rows, derived = views.alert_table(lang(), at)
    if rows.empty:
        st.caption(t("overview.no_alerts"))
        return
    if derived:
        st.caption(t("overview.alerts_derived"))
    many = len(rows) > views.ALERTS_SHOWN  # more than one reads at a glance: narrow them down
    if many:
        rows = alert_filters(rows, at)
    shown = rows.head(views.ALERTS_SHOWN).drop(columns=views.ALERT_KEYS)
    if shown.empty:
        st.caption(t("overview.alerts_none_match"))
    else:
        st.dataframe(
            shown,
            hide_index=True,
            height=38 + 35 * len(shown),  # all in view: the count below says what is not
            # The kind is what a coordinator reads first: its own width, never cut.
            column_config={t("col.detail"): st.column_config.TextColumn(width="large")},
        )  # fmt: skip
    if more := len(rows) - len(shown):
        st.caption(t("overview.alerts_more", n=number(more), total=number(len(rows))))
    if many and len(rows):
        alerts_download(rows)


def alert_filters(rows: pd.DataFrame, at: data.Moment) -> pd.DataFrame:
    """The alerts of the kinds and districts picked (none picked: all of them)."""
    kinds, districts = views.alert_choices(lang(), at)
    kind_pick, district_pick = st.columns(2)
    chosen_kinds = kind_pick.multiselect(
        t("col.kind"), kinds, format_func=alert_kind, placeholder=t("trends.all"),
        key="overview_alert_kinds",
    )  # fmt: skip
    chosen_districts = district_pick.multiselect(
        t("column.district"), districts, placeholder=t("trends.all"),
        key="overview_alert_districts",
    )  # fmt: skip
    if chosen_kinds:
        rows = rows[rows["kind"].isin(chosen_kinds)]
    if chosen_districts:
        rows = rows[rows["district"].isin(chosen_districts)]
    return rows


def alert_kind(kind: str) -> str:
    return t("alert." + kind) if kind in model.ALERT_KINDS else kind


def alerts_download(rows: pd.DataFrame) -> None:
    """Every alert chosen as CSV, made only when someone clicks (not on every refresh)."""
    language = lang()  # the click is answered outside this run: no session to ask then
    st.download_button(
        t("overview.alerts_download", n=number(len(rows))),
        lambda: views.alerts_csv(rows, language),
        file_name=f"bedboard-alerts-{data.now():%Y%m%d-%H%M}.csv", mime=MIME,
        on_click="ignore", icon=":material/download:", key="overview_alerts_csv",
    )  # fmt: skip


overview()
