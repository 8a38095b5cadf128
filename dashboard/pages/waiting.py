"""入院待機者 / Waiting list: who waits for a bed, most urgent first, each with its best beds."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, cases_view, data, model, placement, staff
from dashboard.formats import number
from dashboard.texts import bed_label, lang, t
from dashboard.widgets import REFRESH_S
from producers import case_forms, forms
from schemas import glossary

PAGE_SIZE = 20
CASE = "case_id"  # the case the case page opens on

identity = auth.require_page("waiting")
st.subheader(t("page.waiting"))
st.caption(t("waiting.lead"))
registry = data.facilities()
districts = sorted(registry["district"].dropna().unique())
names = model.names_by_id(registry, lang())
# 後方支援: each facility's inpatients who could move to lower care, or go home.
moving_on = {r.facility_id: (int(r.lower_care), int(r.home))
             for r in data.step_down(data.now()).itertuples(index=False)}  # fmt: skip


def step_down_order() -> list[str]:
    """Every facility, those with patients who could move on first, most first."""
    return sorted(registry["facility_id"], key=lambda f: (-sum(moving_on.get(f, (0, 0))), f))


def step_down_option(facility_id: str) -> str:
    if not facility_id:
        return t("waiting.from_none")
    if facility_id not in moving_on:
        return staff.facility_label(facility_id, names)
    lower, home = moving_on[facility_id]
    return t("waiting.from_option", facility=names.get(facility_id, facility_id),
             lower=number(lower), home=number(home))  # fmt: skip


def add_case() -> None:
    """The form that puts a case on the list: a code of the health centre's, never a name."""
    with st.expander(t("waiting.add"), icon=":material/person_add:"), st.form("add_case"):
        ref, age, severity, where = st.columns([2, 1, 2, 2])
        case_ref = ref.text_input(t("waiting.ref"), max_chars=24, help=t("waiting.ref_help"))
        age_band = age.selectbox(t("patient.age_band"), staff.AGE_BANDS, index=7)
        level = severity.selectbox(t("patient.severity"), glossary.PATIENT_SEVERITIES, index=1,
                                   format_func=lambda s: t(f"severity.{s}"))  # fmt: skip
        waiting_at = where.selectbox(t("waiting.where"), glossary.WAITING_AT,
                                     format_func=lambda w: t(f"waiting_at.{w}"))  # fmt: skip
        needs_col, district_col, day_col, time_col = st.columns([3, 2, 1, 1])
        needs = needs_col.multiselect(t("patient.needs"), staff.NEEDS, placeholder=t("form.choose"),
                                      format_func=lambda n: t(f"need.{n}"))  # fmt: skip
        district = district_col.selectbox(t("column.district"), districts or [""])
        local = data.now().astimezone(data.settings().zone)
        day = day_col.date_input(t("waiting.since_date"), value=local.date())
        moment = time_col.time_input(t("waiting.since_time"), value=local.time().replace(
            second=0, microsecond=0))  # fmt: skip
        note_col, from_col = st.columns([3, 2])
        note = note_col.text_input(t("placement.note"), max_chars=500,
                                   help=t("form.no_identifiers"))  # fmt: skip
        leaving = from_col.selectbox(
            t("waiting.from_facility"),
            ["", *step_down_order()],
            format_func=step_down_option,
            help=t("waiting.from_help"),
        )
        if not st.form_submit_button(t("waiting.register"), type="primary"):
            return
    since = datetime.combine(day, moment, tzinfo=data.settings().zone)
    try:
        event = case_forms.case_register(
            identity, case_ref=case_ref, age_band=age_band, severity=level, needs=needs,
            district=district, waiting_at=waiting_at, waiting_since=since, note=note,
            from_facility=leaving or None, now=data.now(),
        )  # fmt: skip
    except forms.Refused as refused:
        staff.show_problems(refused.problems)
        return
    staff.show_receipt(staff.send([event]), data.settings())


def open_case(case_id: str) -> None:
    st.session_state[CASE] = case_id
    st.switch_page("pages/case.py")


def case_card(
    case: dict[str, Any], offers: cases_view.Suggestions, names: dict[str, str], now: datetime
) -> None:
    with st.container(border=True):
        who, where, more = st.columns([3, 5, 1], vertical_alignment="center")
        who.markdown(f"{cases_view.status_markdown(case['status'])} · `{case['case_ref']}`")
        text = staff.patient_text(case["age_band"], case["severity"], cases_view.needs_of(case))
        place = f"{case['district']} · {t('waiting_at.' + case['waiting_at'])}"
        where.text(f"{text} · {place} · {cases_view.waited(case['waiting_since'], now)}")
        if leaving := cases_view.step_down_from(case, names):
            where.caption(f":material/moving: {leaving}")
        more.button(t("waiting.details"), key=f"open:{case['case_id']}", on_click=open_case,
                    args=(case["case_id"],), width="stretch")  # fmt: skip
        if case["status"] != "waiting" and isinstance(case["last_facility"], str):
            facility = names.get(case["last_facility"], case["last_facility"])
            st.caption(t("waiting.to", facility=facility, bed=bed_label(case["last_bed_type"])))
        if case["unheld"]:
            st.caption(f":material/warning: {t('hold.no_bed')}")
        if not cases_view.wants_a_bed(case):
            return
        if why := cases_view.why_next(case):
            st.caption(f":material/redo: {t('waiting.next', what=why)}")
        beds = offers.of(case)
        if beds.empty:
            st.caption(t("waiting.none_free"))
            return
        buttons = st.columns(3)
        for column, bed in zip(buttons, beds.itertuples(index=False), strict=False):
            label = t("waiting.bed", facility=names.get(bed.facility_id, bed.facility_id),
                      bed=bed_label(bed.bed_type), n=number(bed.available))  # fmt: skip
            column.button(
                f"{model.ICONS[bed.level]} {label}", key=f"bed:{case['case_id']}:{bed.facility_id}",
                on_click=placement.request, args=(bed.facility_id, bed.bed_type,
                                                  cases_view.patient(case)),
                help=t("find.request_help"), width="stretch",
            )  # fmt: skip


def kpis(cases: pd.DataFrame, now) -> None:  # noqa: ANN001
    total, severe, longest = st.columns(3)
    total.metric(t("waiting.open"), t("waiting.count", n=number(len(cases))), border=True)
    severe_n = int((cases["severity"] == "severe").sum()) if len(cases) else 0
    severe.metric(t("waiting.severe"), t("waiting.count", n=number(severe_n)), border=True)
    first = cases["waiting_since"].min() if len(cases) else None
    span = cases_view.wait_span(first, now) if first is not None else "—"
    longest.metric(t("waiting.longest"), span, border=True)


@st.fragment(run_every=REFRESH_S)
def waiting_list() -> None:
    """Redrawn every few seconds: an answer, a lapse or a new free bed shows without reloading."""
    now = data.now()
    cases = data.waiting_list()
    kpis(cases, now)
    if cases.empty:
        st.info(t("waiting.empty"), icon=":material/groups:")
        return
    pages = math.ceil(len(cases) / PAGE_SIZE)
    page = 1
    if pages > 1:
        page = int(st.number_input(t("board.page"), 1, pages, 1, key="waiting_page"))
    shown = cases.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    board = model.enrich(data.board(), now, data.settings().stale_after)
    offers = cases_view.Suggestions(cases_view.free_lines(board), registry)
    for case in shown.to_dict("records"):
        case_card(case, offers, names, now)


add_case()
waiting_list()
placement.show_pending()
