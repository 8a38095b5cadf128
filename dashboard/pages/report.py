"""病床報告 / Bed report: a facility's counts, prefilled from its last report, sent in seconds."""

from __future__ import annotations

import json
from datetime import datetime
from typing import get_args

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import auth, data, rhythm, staff, widgets
from dashboard.model import bed_type_order
from dashboard.texts import bed_label, lang, t
from dashboard.widgets import escape_markdown
from producers import forms
from schemas.events import BED_TYPES, Accepting, EdStatus

ACCEPTING: tuple[str, ...] = get_args(Accepting)
ED_STATUS: tuple[str, ...] = get_args(EdStatus)
PENDING = "report_pending"  # a report with a surge, waiting for the sender's confirmation
RECEIPT = "report_receipt"
BASE = "report_base"  # field key -> the value the form started from


def prefill(key: str, latest: object, latest_at: datetime | None) -> str:
    """Start a field from the newest report, and follow newer reports only while nobody has
    changed it: what is being typed is never overwritten."""
    base = st.session_state.setdefault(BASE, {})
    value, at = base.get(key, (None, None))
    fresh = key not in st.session_state
    untouched = not fresh and st.session_state[key] == value
    newer = latest_at is not None and (at is None or latest_at > at)
    if fresh or (untouched and newer):
        st.session_state[key] = latest
        base[key] = (latest, latest_at)
    return key


def started(key: str) -> object:
    """The value a field started from (what the sender saw before changing anything)."""
    return st.session_state.get(BASE, {}).get(key, (None, None))[0]


def started_count(key: str) -> int | None:
    """The count a bed field started from (None: it started blank)."""
    value = started(key)
    return value if isinstance(value, int) else None


def sent(values: dict[str, object], at: datetime) -> None:
    """What was just sent is the new starting point: later changes are measured from it."""
    st.session_state.setdefault(BASE, {}).update({k: (v, at) for k, v in values.items()})


def send_pending() -> None:
    event, values = st.session_state.pop(PENDING)
    st.session_state[RECEIPT] = staff.send([event])
    sent(values, event.occurred_at)
    st.rerun()


def bed_count(column: DeltaGenerator, code: str, name: str) -> int | None:
    """One number box of a bed type's line: usable or occupied, prefilled from the last report."""
    with column:
        widgets.phone_label(t("column." + name), f"{code}_{name}")
        return st.number_input(
            f"{bed_label(code)} {t('column.' + name)}",
            min_value=0,
            max_value=5000,
            step=1,
            key=prefill(
                f"report:{facility_id}:{code}:{name}",
                current.get(code, {}).get(name),
                current.get(code, {}).get("occurred_at"),
            ),
            label_visibility="collapsed",
        )


identity = auth.require_page("report")
config = data.settings()
names = staff.facility_names()
st.subheader(t("page.report"))
rhythm.banner(tuple(identity.facilities), data.now())

# Staff report for their own facilities only; an administrator may act for any.
choices = list(identity.facilities) if identity.role != "admin" else sorted(names)
if not choices:
    st.warning(t("report.none"), icon=":material/domain_disabled:")
    st.stop()

form_side, last_side = st.columns([3, 2], gap="large")
with form_side:
    if len(choices) == 1:
        facility_id = choices[0]
        st.markdown(f"**{escape_markdown(staff.facility_label(facility_id, names))}**")
    else:
        facility_id = st.selectbox(
            t("col.facility"),
            choices,
            format_func=lambda fid: staff.facility_label(fid, names),
            # Keyed by language: a select box keeps the labels it was first drawn with.
            key=f"report_facility:{lang()}",
        )

last = data.facility_current(facility_id)
status = data.facility_status(facility_id)
newest_report = data.newest_report(facility_id)
current = {line["bed_type"]: line for line in last}
registry = data.facilities()
licensed = registry.loc[registry["facility_id"] == facility_id, "licensed_beds"]
licensed_types = list(json.loads(licensed.iloc[0] or "{}")) if len(licensed) else []

with last_side:
    st.markdown(f"**{t('report.last')}**")
    if newest_report is not None:
        report = newest_report
        st.caption(
            t(
                "report.last_meta",
                time=staff.when(report["occurred_at"]),
                by=escape_markdown(report["actor_user"]),
            )
        )
        st.caption(t("col.beds"))
        lines = "\n".join(
            f"{bed_label(line['bed_type'])}: {line['occupied']} / {line['usable']}"
            for line in report["beds"]
        )
        st.text(lines)
        if report["note"]:
            st.caption(t("col.note"))
            st.text(report["note"])  # plain text: never Markdown, never HTML
    else:
        st.caption(t("report.first"))

with form_side:
    if current:
        newest = max(line["occurred_at"] for line in last)
        st.caption(t("report.prefilled", time=staff.when(newest)))
    if receipt := st.session_state.pop(RECEIPT, None):
        staff.show_receipt(receipt, config)

    with st.form(f"report:{facility_id}", enter_to_submit=False):
        # On a desktop the headings name the columns; on a phone each box has its own label.
        with st.container(key="desktop_only_report_head"):
            head = st.columns([3, 2, 2])
            head[0].markdown(f"**{t('report.beds')}**")
            head[1].markdown(f"**{t('column.usable')}**")
            head[2].markdown(f"**{t('column.occupied')}**")
        counts: dict[str, dict[str, int | None]] = {}
        shown = bed_type_order([*current, *licensed_types, *st.session_state.get(
            f"report_extra:{facility_id}", []
        )]) or ["medical_surgical"]  # fmt: skip
        for code in shown:
            with st.container(key=f"line_{code}"):
                row = st.columns([3, 2, 2], vertical_alignment="center")
            row[0].markdown(f"**{bed_label(code)}**")
            counts[code] = {
                "usable": bed_count(row[1], code, "usable"),
                "occupied": bed_count(row[2], code, "occupied"),
            }
        st.caption(t("report.beds_help"))
        left, right = st.columns(2)
        accepting = left.segmented_control(
            t("report.accepting"),
            ACCEPTING,
            format_func=lambda v: t(f"accepting.{v}"),
            key=prefill(f"report_accepting:{facility_id}", *status.get("accepting", (None, None))),
        )
        ed_status = right.segmented_control(
            t("report.ed"),
            ED_STATUS,
            format_func=lambda v: t(f"ed_status.{v}"),
            key=prefill(f"report_ed:{facility_id}", *status.get("ed_status", (None, None))),
        )
        note = st.text_area(
            t("report.note"), max_chars=500, height=80, key=f"report_note:{facility_id}"
        )
        st.caption(t("form.no_identifiers"))
        submitted = st.form_submit_button(t("report.send"), type="primary", icon=":material/send:")

    # Bed types not listed yet (rarely needed): outside the form, they add a line to it.
    with st.expander(t("report.add_type"), icon=":material/add:"):
        st.multiselect(
            t("report.add_type"),
            [code for code in BED_TYPES if code not in current and code not in licensed_types],
            format_func=bed_label,
            placeholder=t("form.choose"),
            label_visibility="collapsed",
            key=f"report_extra:{facility_id}",
        )

    if submitted:
        st.session_state.pop(PENDING, None)
        field = f"report:{facility_id}:{{}}:{{}}".format
        before = {code: (started_count(field(code, "usable")),
                         started_count(field(code, "occupied"))) for code in counts}  # fmt: skip
        after = {code: (c["usable"], c["occupied"]) for code, c in counts.items()}
        to_send = forms.lines_to_send(before, after)
        # Facility-wide fields too: only what changed, unless this confirms the numbers as they are.
        confirming = len(to_send) == len(after)
        status_key = {"accepting": f"report_accepting:{facility_id}",
                      "ed_status": f"report_ed:{facility_id}"}  # fmt: skip
        chosen = {"accepting": accepting, "ed_status": ed_status}
        changed = {name: value for name, value in chosen.items()
                   if confirming or value != started(status_key[name])}  # fmt: skip
        try:
            event = forms.capacity_report(
                identity, facility_id, to_send, now=data.now(), note=note, **changed
            )
        except forms.Refused as refused:
            staff.show_problems(refused.problems)
        else:
            st.session_state[PENDING] = (event, {
                **{field(line.bed_type, "usable"): line.usable for line in to_send},
                **{field(line.bed_type, "occupied"): line.occupied for line in to_send},
                **{status_key[name]: value for name, value in changed.items()},
            })  # fmt: skip
            if not forms.surges(event):
                send_pending()

    # A surge is real, not an error: the sender confirms it, and it is sent as it is.
    if (pending := st.session_state.get(PENDING)) and pending[0].facility_id == facility_id:
        beds = (", " if lang() == "en" else "、").join(
            bed_label(code) for code in forms.surges(pending[0])
        )
        st.warning(t("report.surge", beds=beds), icon=":material/warning:")
        if st.button(t("report.surge_confirm"), type="primary", key="report_surge_confirm"):
            send_pending()
