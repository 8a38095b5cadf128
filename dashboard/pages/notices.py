"""お知らせ / Notices: city hall and the health centre post them, with severity and an end."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import streamlit as st

from dashboard import auth, data, staff
from dashboard.texts import t
from dashboard.widgets import escape_markdown
from producers import forms
from schemas import glossary

SEVERITIES = glossary.NOTICE_SEVERITIES
BOX = {"critical": st.error, "warning": st.warning, "info": st.info}
ICONS = {
    "info": ":material/info:",
    "warning": ":material/warning:",
    "critical": ":material/e911_emergency:",
}
RECEIPT = "notices_receipt"
DRAFT = "notices_draft"  # a new number after each notice posted: fresh, empty fields

identity = auth.require_page("notices")
config = data.settings()
zone = config.zone
st.subheader(t("page.notices"))

if receipt := st.session_state.pop(RECEIPT, None):
    staff.show_receipt(receipt, config)

draft = st.session_state.setdefault(DRAFT, 0)
with st.expander(t("notices.post"), expanded=True, icon=":material/campaign:"):
    severity = st.segmented_control(
        t("notices.severity"),
        SEVERITIES,
        default="info",
        required=True,
        format_func=lambda s: f"{ICONS[s]} {t(f'notice_severity.{s}')}",
        key="notice_severity",
    )
    title = st.text_input(t("notices.heading"), max_chars=100, key=f"notice_title:{draft}")
    body = st.text_area(t("notices.body"), max_chars=2000, height=120, key=f"notice_body:{draft}")
    ends = st.toggle(t("notices.expires"), value=True, key="notice_ends")
    expires_at = None
    if ends:
        tomorrow = datetime.now(zone) + timedelta(days=1)
        day, hour = st.columns(2)
        end_day = day.date_input(t("notices.expiry_date"), value=tomorrow.date(), key="notice_day")
        end_time = hour.time_input(t("notices.expiry_time"), value=time(17, 0), key="notice_time")
        expires_at = datetime.combine(end_day, end_time, tzinfo=zone)
    if st.button(t("notices.submit"), type="primary", icon=":material/send:", key="notice_post"):
        try:
            event = forms.notice_post(
                identity,
                severity=severity or "info",
                title=title or "",
                body=body or "",
                expires_at=expires_at,
                now=data.now(),
            )
        except forms.Refused as refused:
            staff.show_problems(refused.problems)
        else:
            st.session_state[RECEIPT] = staff.send([event])
            st.session_state[DRAFT] = draft + 1
            st.rerun()

if identity.may("phase"):
    current, since = data.phase(data.now())
    with st.expander(t("phase.declare"), icon=":material/flag:"):
        st.caption(
            t("phase.banner", phase=current, since=staff.when(since))
            if current is not None
            else t("phase.none")
        )
        phase_side, note_side = st.columns([1, 3])
        phase = phase_side.text_input(
            t("phase.current"), value=current or "", max_chars=16, key=f"phase_value:{draft}"
        )
        phase_note = note_side.text_input(t("phase.note"), max_chars=500, key=f"phase_note:{draft}")
        if st.button(t("phase.submit"), icon=":material/send:", key="phase_post"):
            try:
                declared = forms.phase_declare(
                    identity, phase=phase or "", note=phase_note or "", now=data.now()
                )
            except forms.Refused as refused:
                staff.show_problems(refused.problems)
            else:
                st.session_state[RECEIPT] = staff.send([declared])
                st.session_state[DRAFT] = draft + 1
                st.rerun()


def state_of(notice: dict[str, Any], now: datetime) -> str:
    if notice["withdrawn_at"] is not None:
        return "withdrawn"
    expires = notice["expires_at"]
    return "expired" if expires is not None and expires <= now else "active"


def withdraw(notice_id: str) -> None:
    event = forms.notice_withdraw(identity, notice_id, now=data.now())
    st.session_state[RECEIPT] = staff.send([event])
    st.rerun()


@st.fragment(run_every=5)
def posted() -> None:
    st.markdown(f"**{t('notices.list')}**")
    notices = data.notice_list()
    if not notices:
        st.caption(t("notices.empty"))
    now = data.now()
    for notice in notices:
        state = state_of(notice, now)
        by = escape_markdown(notice["posted_by"])
        meta = t("notice.posted", time=staff.when(notice["posted_at"]), by=by)
        if notice["expires_at"] is not None:
            meta += " · " + t("notice.until", time=staff.when(notice["expires_at"]))
        meta += f" · {t('notices.' + state)}"
        with st.container(border=True):
            # People wrote the title and body: escaped or plain, so they show exactly as written.
            severity = t("notice_severity." + notice["severity"])
            heading = f"{severity} · **{escape_markdown(notice['title'])}**"
            if state == "active":
                BOX[notice["severity"]](heading)
            else:
                st.markdown(f":gray[{heading}]")
            if notice["body"]:
                st.text(notice["body"])
            st.caption(meta)
            if state == "active" and st.button(
                t("notices.withdraw"), key=f"withdraw:{notice['notice_id']}"
            ):
                withdraw(notice["notice_id"])


posted()
