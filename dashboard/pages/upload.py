"""CSV一括報告 / CSV upload: every row checked first; the file is sent whole or not at all."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from dashboard import auth, data, staff
from dashboard.texts import bed_label, lang, t
from producers import upload
from schemas.events import BED_TYPES

SENT = "upload_sent"  # hash of the file last sent, so that a rerun never sends it twice

identity = auth.require_page("upload")
config = data.settings()
names = staff.facility_names()
st.subheader(t("page.upload"))
st.caption(t("upload.help"))

# The template holds the sender's own facilities, prefilled with their current counts.
facility_ids = list(identity.facilities) if identity.role != "admin" else sorted(names)
lines: list[tuple[str, str, int | None, int | None]] = []
for facility_id in facility_ids:
    current = data.facility_current(facility_id)
    lines += [(facility_id, r["bed_type"], r["usable"], r["occupied"]) for r in current]
    if not current:
        lines.append((facility_id, "medical_surgical", None, None))
template, codes = st.columns([1, 3], vertical_alignment="top")
template.download_button(
    t("upload.template"),
    upload.csv_template(lines),
    file_name="bedboard_capacity.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
with codes.expander(t("upload.codes")):
    st.dataframe(
        pd.DataFrame(
            {"bed_type": list(BED_TYPES), t("column.bed_type"): map(bed_label, BED_TYPES)}
        ),
        hide_index=True,
        width="stretch",
    )

uploaded = st.file_uploader(t("upload.file"), type=["csv"], key="upload_file", max_upload_size=1)
if uploaded is not None:
    raw = uploaded.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    events, problems = upload.read_capacity_csv(
        raw, identity, now=data.now(), max_age=data.settings().csv_max_age
    )
    if problems:
        st.error(t("upload.refused", n=len(problems)), icon=":material/block:")
        # A table of plain cells: what people wrote is never read as Markdown or HTML.
        table = pd.DataFrame(
            {
                t("upload.row"): [str(p.row) if p.row else "" for p in problems],
                t("upload.column"): [p.column for p in problems],
                t("upload.problem"): [p.text(lang()) for p in problems],
            }
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                t("upload.row"): st.column_config.TextColumn(width="small"),
                t("upload.column"): st.column_config.TextColumn(width="small"),
                t("upload.problem"): st.column_config.TextColumn(width="large"),
            },
        )
    elif st.session_state.get(SENT, (None,))[0] == digest:
        staff.show_receipt(st.session_state[SENT][1], config)
    else:
        rows = sum(len(event.beds) for event in events)
        st.success(t("upload.ok", rows=rows, facilities=len(events)), icon=":material/task_alt:")
        if st.button(t("upload.send"), type="primary", icon=":material/send:"):
            st.session_state[SENT] = (digest, staff.send(events, source="csv"))
            st.rerun()
