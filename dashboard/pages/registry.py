"""施設登録 / Facility registry: an admin adds or edits a facility, or imports the registry CSV.

Both ways go through producers/registry.py (the one set of registry rules and messages) and are
published as `facility.registered` events with the admin as their actor.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import streamlit as st

from dashboard import auth, data, rhythm, staff
from dashboard.texts import lang, t
from dashboard.widgets import escape_markdown
from producers import forms
from producers.registry import OPTIONAL, REQUIRED, RowProblem, read_registry_csv
from schemas.events import BED_TYPES

KINDS = ("hospital", "clinic", "health_centre", "temporary_facility")
# A kind's word; a hospital is named as the returns' category of that name (one word, one key).
KIND_WORD = {k: "category.hospital" if k == "hospital" else f"facility_kind.{k}" for k in KINDS}
RECEIPT = "registry_receipt"
NEW = ""  # the choice that starts an empty form
TITLES = {
    "facility_id": "column.facility_id", "name_ja": "registry.name_ja",
    "name_en": "registry.name_en", "kind": "col.kind", "district": "column.district",
    "phone": "registry.phone", "cadence": "col.cadence",
}  # fmt: skip

identity = auth.require_page("registry")
config = data.settings()
st.subheader(t("page.registry"))
if receipt := st.session_state.pop(RECEIPT, None):
    staff.show_receipt(receipt, config)

registry = data.facilities()
if not registry.empty:
    shown = registry[[c for c in TITLES if c != "cadence"]].assign(
        kind=registry["kind"].map(lambda k: t(KIND_WORD[k]) if k in KIND_WORD else k),
        cadence=[rhythm.cadence_text(every, daily) for every, daily in
                 zip(registry["report_every_hours"], registry["report_daily_by"], strict=True)],
    )  # fmt: skip
    st.dataframe(
        shown.rename(columns={c: t(key) for c, key in TITLES.items()}),
        hide_index=True,
        width="stretch",
    )


def publish(text: bytes, source: str) -> None:
    """Check a registry CSV with the registry's rules; publish it whole, or list every problem."""
    events, problems = read_registry_csv(text, forms.actor_of(identity), data.now())
    if problems:
        show(problems)
    elif events:
        st.session_state[RECEIPT] = staff.send(events, source)
        st.rerun()


def show(problems: list[RowProblem]) -> None:
    lines = "\n".join(f"- {escape_markdown(p.message(lang()))}" for p in problems)
    st.error(t("form.problems") + "\n\n" + lines, icon=":material/error:")


def row_csv(row: dict[str, Any]) -> bytes:
    """One facility as a registry CSV, so that the form obeys exactly the file's rules."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*REQUIRED, *OPTIONAL])
    writer.writeheader()
    writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return out.getvalue().encode()


def value(current: dict[str, Any], key: str) -> Any:
    found = current.get(key)
    return None if found is None or (isinstance(found, float) and math.isnan(found)) else found


def whole(found: Any) -> int | None:
    return None if found is None else int(found)


st.markdown(f"#### {t('registry.edit')}")
ids = [NEW, *registry["facility_id"].tolist()] if not registry.empty else [NEW]
chosen = st.selectbox(
    t("col.facility"), ids, format_func=lambda f: f or t("registry.new"), key="registry_pick"
)
current: dict[str, Any] = (
    registry.set_index("facility_id").loc[chosen].to_dict() | {"facility_id": chosen}
    if chosen
    else {}
)
licensed = json.loads(value(current, "licensed_beds") or "{}")  # the replica keeps it as JSON
with st.form(f"registry_form:{chosen}"):
    left, right = st.columns(2)
    facility_id = left.text_input(t("column.facility_id"), value(current, "facility_id") or "",
                                  disabled=bool(chosen))  # fmt: skip
    kind = right.selectbox(
        t("col.kind"),
        KINDS,
        index=KINDS.index(value(current, "kind") or "hospital"),
        format_func=lambda k: t(KIND_WORD[k]),
    )
    name_ja = left.text_input(t("registry.name_ja"), value(current, "name_ja") or "")
    name_en = right.text_input(t("registry.name_en"), value(current, "name_en") or "")
    district = left.text_input(t("column.district"), value(current, "district") or "")
    phone = right.text_input(t("registry.phone"), value(current, "phone") or "")
    lat = left.text_input(t("registry.lat"), str(value(current, "lat") or ""))
    lon = right.text_input(t("registry.lon"), str(value(current, "lon") or ""))
    st.caption(t("registry.licensed"))
    columns = st.columns(4)
    beds = {
        code: columns[i % 4].number_input(
            t(f"bed_type.{code}"), min_value=0, step=1, value=licensed.get(code)
        )
        for i, code in enumerate(BED_TYPES)
    }
    st.caption(t("registry.reporting"))
    every, daily = st.columns(2)
    every_hours = every.number_input(
        t("registry.every_hours"),
        min_value=1,
        max_value=168,
        step=1,
        value=whole(value(current, "report_every_hours")),
    )
    daily_by = daily.text_input(t("registry.daily_by"), value(current, "report_daily_by") or "",
                                placeholder="09:00")  # fmt: skip
    saved = st.form_submit_button(t("registry.save"), type="primary", icon=":material/save:")
if saved:
    row = {
        "facility_id": chosen or facility_id.strip(),
        "name_ja": name_ja, "name_en": name_en, "kind": kind, "district": district,
        "lat": lat, "lon": lon, "phone": phone,
        **{f"licensed_{code}": beds[code] for code in BED_TYPES},
        "report_every_hours": every_hours, "report_daily_by": daily_by.strip(),
    }  # fmt: skip
    publish(row_csv(row), "form")

st.markdown(f"#### {t('registry.import')}")
upload = st.file_uploader(t("registry.import_help"), type=["csv"], key="registry_csv")
if upload is not None and st.button(t("registry.import_send"), icon=":material/upload:"):
    publish(upload.getvalue(), "csv")
