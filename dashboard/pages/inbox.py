"""受入依頼 / Placement inbox: requests to the staff's facilities, live, answered in one click."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from dashboard import auth, data, staff
from dashboard.texts import bed_label, t
from dashboard.widgets import escape_markdown
from producers import forms

REFRESH_S = 3
ANSWERED = "inbox_answered"  # placement ids answered here, until the replica shows the answer

identity = auth.require_page("inbox")
names = staff.facility_names()
st.subheader(t("page.inbox"))
st.caption(t("inbox.lead"))


def answer(placement_id: str, decision: str, reason: str | None = None) -> None:
    """Send the facility's answer; the facility is the placement's own, read from the replica."""
    facility_id = data.placement_facility(placement_id)
    if facility_id is None:
        return
    try:
        event = forms.placement_response(
            identity, placement_id, facility_id, decision, reason=reason, now=data.now()
        )
    except forms.Refused as refused:
        staff.show_problems(refused.problems)
        return
    receipt = staff.send([event])
    st.session_state.setdefault(ANSWERED, {})[placement_id] = receipt.status
    # A toast outlives the next redraw of the list, which an inline message would not.
    if receipt.status == "live":
        st.toast(t("sent.live", time=staff.when(data.now())), icon=":material/check_circle:")
    else:
        st.toast(t("sent.queued", n=staff.publisher().queued), icon=":material/outbox:")


def request_card(row: dict[str, Any]) -> None:
    with st.container(border=True):
        top, when = st.columns([3, 1])
        where = escape_markdown(staff.facility_label(row["facility_id"], names))
        top.markdown(f"**{bed_label(row['bed_type'])}** · {where}")
        when.caption(staff.when(row["requested_at"]))
        if row["overdue_at"] is not None:  # the placements processor's flag: no answer in time
            st.warning(t("lapse.answer"), icon=":material/timer_off:")
        st.text(staff.patient_text(row["age_band"], row["severity"], json.loads(row["needs"])))
        if row["note"]:
            st.text(row["note"])  # plain text: never Markdown, never HTML
        st.caption(f"{t('placement.requested_by')}: {escape_markdown(row['requested_by'])}")
        pid = row["placement_id"]
        if sent := st.session_state.get(ANSWERED, {}).get(pid):
            st.caption(t("inbox.answered") if sent == "live" else t("inbox.answer_queued"))
            return
        actions = st.container(key=f"actions_{pid}")  # on a phone: both buttons, then the reason
        accept, reason_col, decline = actions.columns([1, 3, 1], vertical_alignment="bottom")
        if accept.button(t("inbox.accept"), key=f"accept:{pid}", type="primary"):
            answer(pid, "accepted")
        reason = reason_col.text_input(t("inbox.reason"), max_chars=200, key=f"reason:{pid}")
        if decline.button(t("inbox.decline"), key=f"decline:{pid}"):
            answer(pid, "declined", reason)


@st.fragment(run_every=REFRESH_S)
def inbox() -> None:
    """Redrawn every few seconds, so a new request shows up without reloading."""
    facility_ids = None if identity.role == "admin" else tuple(identity.facilities)
    rows = data.placements(facility_ids, open_only=True)
    waiting = [r for r in rows if r["status"] == "requested"]
    answered = [r for r in rows if r["status"] != "requested"]
    if not waiting:
        st.info(t("inbox.empty"), icon=":material/inbox:")
    for row in waiting:
        request_card(row)
    if answered:
        st.markdown(f"**{t('inbox.recent')}**")
        for row in answered:
            patient = staff.patient_text(row["age_band"], row["severity"], json.loads(row["needs"]))
            st.markdown(
                f"{staff.status_markdown(row['status'])} · {bed_label(row['bed_type'])} · "
                f"{escape_markdown(patient)} · {staff.when(row['updated_at'])}"
            )


inbox()
