"""入院調整 / Placements: every request, the facility's answer as it arrives, and its history."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, data, staff
from dashboard.texts import bed_label, t
from dashboard.widgets import escape_markdown
from producers import forms

REFRESH_S = 3
OUTCOMES = ("admitted", "cancelled", "expired")

identity = auth.require_page("placements")
names = staff.facility_names()
st.subheader(t("page.placements"))
st.caption(t("placements.lead"))
open_only = st.toggle(t("placements.open"), value=True, key="placements_open")


def close(placement_id: str, outcome: str) -> None:
    try:
        event = forms.placement_close(identity, placement_id, outcome, now=data.now())
    except forms.Refused as refused:
        staff.show_problems(refused.problems)
        return
    receipt = staff.send([event])
    if receipt.status == "live":
        st.toast(t("sent.live", time=staff.when(data.now())), icon=":material/check_circle:")
    else:
        st.toast(t("sent.queued", n=staff.publisher().queued), icon=":material/outbox:")


def history(events: pd.DataFrame) -> None:
    rows = []
    for event in events.itertuples(index=False):
        detail = json.loads(event.detail)
        what = detail.get("decision") or detail.get("outcome") or ""
        text = t(f"placement.{what}") if what else ""
        if detail.get("reason"):
            text += f" · {detail['reason']}"
        rows.append(
            {
                t("placement.updated_at"): staff.when(event.occurred_at),
                t("col.status"): t(f"history.{event.type}"),
                t("col.detail"): text,
                t("col.sender"): f"{event.actor_user} ({event.actor_org})",
            }
        )
    # A table of plain cells: a reason is shown exactly as it was typed.
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def placement_card(row: dict[str, Any], events: pd.DataFrame) -> None:
    pid = row["placement_id"]
    with st.container(border=True):
        status, facility, when = st.columns([2, 5, 2])
        status.markdown(staff.status_markdown(row["status"]))
        facility.text(
            f"{staff.facility_label(row['facility_id'], names)} · {bed_label(row['bed_type'])}"
        )
        when.caption(staff.when(row["updated_at"]))
        if row["overdue_at"] is not None and row["status"] == "requested":
            status.caption(f":orange[:material/timer_off: {t('lapse.answer')}]")
        if row["transport"] and row["closed_at"] is None:
            status.caption(t(f"transport.{row['transport']}"))
        patient, notes, who = st.columns([2, 5, 2])
        patient.text(staff.patient_text(row["age_band"], row["severity"], json.loads(row["needs"])))
        if row["reason"]:
            notes.text(f"{t('placement.reason')}: {row['reason']}")
        if row["note"]:
            notes.text(row["note"])  # plain text: never Markdown, never HTML
        who.caption(f"{t('placement.requested_by')}: {escape_markdown(row['requested_by'])}")
        log, closing = st.columns([7, 2], vertical_alignment="top")
        with log.expander(t("placements.history")):
            history(events[events["placement_id"] == pid])
        if row["closed_at"] is None:
            with closing.popover(
                t("placements.close"), icon=":material/done_all:", width="stretch"
            ):
                for outcome in OUTCOMES:
                    if st.button(t(f"placement.{outcome}"), key=f"close:{pid}:{outcome}",
                                 width="stretch"):  # fmt: skip
                        close(pid, outcome)


@st.fragment(run_every=REFRESH_S)
def placements(open_only: bool) -> None:
    """Redrawn every few seconds: an answer from the facility shows up without reloading."""
    rows = data.placements(open_only=open_only)
    events = data.placement_history(tuple(row["placement_id"] for row in rows))
    if not rows:
        st.info(t("placements.empty"), icon=":material/forum:")
    for row in rows:
        placement_card(row, events)


placements(open_only)
