"""待機者の詳細 / Case: its requests, its history, and the steps from transport to admission."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from consumers.cases import ENDED
from dashboard import auth, cases_view, data, model, placement, staff
from dashboard.formats import number
from dashboard.texts import bed_label, lang, t
from dashboard.widgets import REFRESH_S
from producers import case_forms, forms
from schemas import glossary

CASE = "case_id"  # set by the waiting list's "details"

identity = auth.require_page("case")
st.subheader(t("page.case"))
cases = data.waiting_list(open_only=False)
if cases.empty:
    st.info(t("case.none"), icon=":material/groups:")
    st.stop()
refs = dict(zip(cases["case_id"], cases["case_ref"], strict=True))
ids = list(refs)
chosen = st.session_state.get(CASE)
case_id = st.selectbox(
    t("case.choose"), ids, index=ids.index(chosen) if chosen in ids else 0,
    format_func=lambda cid: refs[cid],
)  # fmt: skip
st.session_state[CASE] = case_id


def send(event: Any) -> None:
    receipt = staff.send([event])
    if receipt.status == "live":
        st.toast(t("sent.live", time=staff.when(data.now())), icon=":material/check_circle:")
    else:
        st.toast(t("sent.queued", n=staff.publisher().queued), icon=":material/outbox:")


def step(placement_id: str, what: str) -> None:
    """A transport step, an admission or a cancellation of the case's open placement."""
    try:
        if what in ("arranged", "in_transit"):
            event: Any = case_forms.placement_transport(identity, placement_id, what,
                                                        now=data.now())  # fmt: skip
        else:
            event = forms.placement_close(identity, placement_id, what, now=data.now())
    except forms.Refused as refused:
        staff.show_problems(refused.problems)
        return
    send(event)


def withdraw(reason: str, note: str) -> None:
    try:
        event = case_forms.case_withdraw(identity, case_id, reason, note=note, now=data.now())
    except forms.Refused as refused:
        staff.show_problems(refused.problems)
        return
    send(event)


def header(case: dict[str, Any]) -> None:
    now = data.now()
    st.markdown(f"### `{case['case_ref']}` · {cases_view.status_markdown(case['status'])}")
    text = staff.patient_text(case["age_band"], case["severity"], cases_view.needs_of(case))
    place = f"{case['district']} · {t('waiting_at.' + case['waiting_at'])}"
    st.text(f"{text} · {place} · {cases_view.waited(case['waiting_since'], now)}")
    if leaving := cases_view.step_down_from(case, names):
        st.markdown(f":material/moving: {leaving}")
    if case["note"]:
        st.text(case["note"])  # plain text: never Markdown
    by = f"{case['registered_by']}"
    st.caption(t("case.registered_by", time=staff.when(case["registered_at"]), by=by))


def placement_row(row: dict[str, Any], closed: bool) -> None:
    with st.container(border=True):
        where, status, actions = st.columns([4, 3, 4], vertical_alignment="center")
        facility = staff.facility_label(row["facility_id"] or "", names)
        where.text(f"{facility} · {bed_label(row['bed_type'] or '')}")
        words = [staff.status_markdown(row["status"])]
        if row["transport"] and row["status"] == "accepted":
            words.append(t(f"transport.{row['transport']}"))
        if row["held"] is not None and row["status"] == "accepted":
            words.append(t("hold.held") if row["held"] else f":orange[{t('hold.no_bed')}]")
        if row["overdue_at"] is not None and row["status"] == "requested":
            words.append(f":orange[{t('lapse.answer')}]")
        status.markdown(" · ".join(words))
        if closed or row["closed_at"] is not None:
            return
        pid = row["placement_id"]
        buttons = actions.columns(3)
        if row["status"] == "accepted":
            for column, what in zip(buttons, ("arranged", "in_transit", "admitted"), strict=True):
                label = {"arranged": "case.arranged", "in_transit": "case.in_transit",
                         "admitted": "case.admitted"}[what]  # fmt: skip
                column.button(t(label), key=f"{what}:{pid}", on_click=step, args=(pid, what),
                              type="primary" if what == "admitted" else "secondary",
                              width="stretch")  # fmt: skip
        else:
            buttons[0].button(t("case.cancel"), key=f"cancel:{pid}", on_click=step,
                              args=(pid, "cancelled"), width="stretch")  # fmt: skip


def history(events: pd.DataFrame) -> None:
    rows = []
    for event in events.itertuples(index=False):
        detail = json.loads(event.detail)
        what = (detail.get("decision") or detail.get("outcome") or detail.get("step")
                or detail.get("lapse") or detail.get("reason") or "")  # fmt: skip
        key = {"arranged": "transport.arranged", "in_transit": "transport.in_transit",
               "answer": "lapse.answer", "hold": "lapse.hold"}.get(what)  # fmt: skip
        if key is None and what in glossary.WITHDRAW_REASONS:
            key = f"withdraw_reason.{what}"
        elif key is None and what:
            key = f"placement.{what}"
        rows.append({
            t("placement.updated_at"): staff.when(event.occurred_at),
            t("col.status"): t(f"history.{event.type}"),
            t("col.detail"): t(key) if key else "",
            t("col.sender"): f"{event.actor_user} ({event.actor_org})",
        })  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


@st.fragment(run_every=REFRESH_S)
def live_case(case_id: str) -> None:
    """Redrawn every few seconds, and at once after a step: what a step did shows without a
    reload, even when the replica applies it a moment after the click."""
    case = data.case(case_id)
    if case is None:
        st.info(t("case.none"))
        return
    header(case)
    closed = case["status"] in ENDED
    if cases_view.wants_a_bed(case) and not closed:
        suggestions(case)
    st.markdown(f"**{t('case.placements')}**")
    asked = data.case_placements(case_id)
    if not asked:
        st.caption(t("case.no_requests"))
    for row in asked:
        placement_row(row, closed)
    with st.expander(t("case.history"), expanded=True):
        history(data.case_history(case_id))


def suggestions(case: dict[str, Any]) -> None:
    """The case's best-ranked free beds, each a button that opens the request dialog."""
    if why := cases_view.why_next(case):
        st.caption(f":material/redo: {t('waiting.next', what=why)}")
    st.markdown(f"**{t('waiting.suggest')}**")
    board = model.enrich(data.board(), data.now(), data.settings().stale_after)
    registry = data.facilities()
    beds = cases_view.Suggestions(cases_view.free_lines(board), registry).of(case)
    if beds.empty:
        st.caption(t("waiting.none_free"))
    shown = model.names_by_id(registry, lang())
    for column, bed in zip(st.columns(3), beds.itertuples(index=False), strict=False):
        label = t("waiting.bed", facility=shown.get(bed.facility_id, bed.facility_id),
                  bed=bed_label(bed.bed_type), n=number(bed.available))  # fmt: skip
        column.button(f"{model.ICONS[bed.level]} {label}", key=f"bed:{bed.facility_id}",
                      on_click=placement.request, width="stretch",
                      args=(bed.facility_id, bed.bed_type, cases_view.patient(case)))  # fmt: skip


def withdraw_form() -> None:
    with st.popover(t("case.withdraw"), icon=":material/person_remove:"):
        reason = st.selectbox(t("placement.reason"), glossary.WITHDRAW_REASONS,
                              format_func=lambda r: t(f"withdraw_reason.{r}"))  # fmt: skip
        note = st.text_input(t("placement.note"), max_chars=500, key="withdraw_note")
        st.button(t("case.withdraw_send"), on_click=withdraw, args=(reason, note))


names = staff.facility_names()
live_case(case_id)
if (case := data.case(case_id)) is not None and case["status"] not in ENDED:
    withdraw_form()
placement.show_pending()
