"""監査記録 / Audit trail: every event, refused record and sign-in, with who, how and when."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from consumers.exports.to_csv import MIME, table_csv
from dashboard import auth, data, trail
from dashboard.texts import TEXT, lang, t


def kind_name(kind: str) -> str:
    """An action or event type in words; a rejection's reason code stays as it is."""
    return t(f"audit.{kind}") if f"audit.{kind}" in TEXT else kind


identity = auth.require_page("audit")
zone = data.settings().zone
st.subheader(t("page.audit"))
st.caption(t("audit.lead"))

table = trail.trail(
    [
        trail.events_rows(data.event_log()),
        trail.rejected_rows(data.rejected(), lang()),
        trail.audit_rows(auth.audit_log().entries()),
    ]
)
if table.empty:
    st.info(t("audit.empty"))
    st.stop()

facility_col, person_col, kind_col = st.columns([2, 2, 3])
facilities = sorted(table["facility_id"].dropna().unique())
chosen_facilities = facility_col.multiselect(
    t("col.facility"), facilities, placeholder=t("trends.all"), key="audit_facilities"
)
person = person_col.text_input(t("audit.person"), key="audit_person")
kinds = sorted(table["kind"].dropna().unique())
chosen_kinds = kind_col.multiselect(
    t("audit.kind"), kinds, placeholder=t("trends.all"), key="audit_kinds", format_func=kind_name
)
today = datetime.now(zone).date()
first_col, last_col, _ = st.columns([2, 2, 3])
first = first_col.date_input(t("metadata.from"), today - timedelta(days=7), key="audit_since")
last = last_col.date_input(t("metadata.to"), today, key="audit_until")
shown = trail.filtered(
    table,
    facilities=chosen_facilities,
    person=person.strip(),
    kinds=chosen_kinds,
    since=datetime.combine(first, time(0), tzinfo=zone),
    until=datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone),
)

st.caption(t("audit.count", shown=len(shown), total=len(table)))
# The column titles; those the filters name too use the filters' words.
SAME_AS = {"facility_id": "column.facility_id", "person": "audit.person", "kind": "audit.kind"}
labels = {c: t(SAME_AS.get(c, f"audit.col.{c}")) for c in trail.COLUMNS}
view = shown[list(trail.COLUMNS)].copy()
for column in ("occurred_at", "ingested_at"):
    view[column] = view[column].dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
view["what"] = view["what"].map(lambda w: t(f"audit.what.{w}"))
view["kind"] = view["kind"].map(kind_name)
view = view.fillna("")
st.dataframe(view.rename(columns=labels), hide_index=True, width="stretch", height=560)

rows = [{labels[c]: trail.safe_cell(v) for c, v in row.items()} for row in view.to_dict("records")]
st.download_button(
    t("audit.download"),
    table_csv(list(labels.values()), rows),
    file_name=f"bedboard-audit-{first:%Y%m%d}-{last:%Y%m%d}.csv",
    mime=MIME,
    icon=":material/download:",
)
