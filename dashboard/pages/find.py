"""空床検索 / Find a bed: where can this patient go now, best first, with distance."""

from __future__ import annotations

from typing import get_args

import pandas as pd
import streamlit as st

from dashboard import auth, data, model, placement
from dashboard.formats import number
from dashboard.texts import bed_label, lang, t
from dashboard.widgets import REFRESH_S, accepting_text, ed_text, freshness
from schemas import glossary
from schemas.events import AgeBand

SEVERITIES = glossary.PATIENT_SEVERITIES
# The needs a bed type answers first; the others are asked of the facility.
NEEDS = ("ventilator", "isolation", "pediatric", "psychiatric", "oxygen", "dialysis",
         "maternity", "wheelchair")  # fmt: skip
AGE_BANDS: tuple[str, ...] = get_args(AgeBand)
AUTO = "auto"
SHOW = (10, 20, 50)

auth.require_page("find")  # the server-side role check, on every run
st.subheader(t("page.find"))
config = data.settings()
board = data.board()
registry = data.facilities()
present = model.bed_type_order(board["bed_type"]) if len(board) else []
districts = sorted(registry["district"].dropna().unique())
centres = model.district_centres(registry)
names = model.names_by_id(registry, lang())


def _origin_label(origin: tuple[str, str] | None) -> str:
    if origin is None:
        return t("find.origin_none")
    kind, value = origin
    if kind == "district":
        return t("find.origin_district", name=value)
    return t("find.origin_facility", name=names.get(value, value))


severity_pick, needs_pick = st.columns([1, 3])
severity = severity_pick.segmented_control(
    t("patient.severity"), SEVERITIES, format_func=lambda k: t("severity." + k),
    default="moderate", required=True, key="find_severity", persist_state="session",
)  # fmt: skip
needs = needs_pick.pills(
    t("patient.needs"), NEEDS, selection_mode="multi", format_func=lambda k: t("need." + k),
    key="find_needs", persist_state="session",
)  # fmt: skip
age_pick, type_pick, district_pick, origin_pick, show_pick = st.columns([1, 2, 2, 2, 1])
age_band = age_pick.selectbox(
    t("patient.age_band"), AGE_BANDS, index=7, key="find_age", persist_state="session"
)
bed_choice = type_pick.selectbox(
    t("column.bed_type"), (AUTO, *present),
    format_func=lambda k: t("find.auto") if k == AUTO else bed_label(k),
    key="find_bed_type", persist_state="session",
)  # fmt: skip
wanted_districts = district_pick.multiselect(
    t("column.district"), districts, placeholder=t("trends.all"), key="find_districts",
    persist_state="session",
)  # fmt: skip
origins: list[tuple[str, str] | None] = [None]
origins += [("district", d) for d in centres["district"]]
origins += [("facility", f) for f in registry.dropna(subset=["lat", "lon"])["facility_id"]]
origin = origin_pick.selectbox(
    t("find.origin"), origins, format_func=_origin_label, key="find_origin",
    persist_state="session",
)  # fmt: skip
shown = show_pick.selectbox(t("find.more"), SHOW, key="find_show", persist_state="session")

bed_types = model.bed_types_for(severity, needs or []) if bed_choice == AUTO else [bed_choice]
st.caption(t("find.searching", types="、".join(bed_label(code) for code in bed_types)))
unmapped = [t("need." + need) for need in (needs or []) if need in model.UNMAPPED_NEEDS]
if unmapped:
    st.caption(t("find.unmapped", needs="、".join(unmapped)))


@st.fragment(run_every=REFRESH_S)
def results(
    bed_types: list[str],
    districts: list[str],
    start: tuple[float, float] | None,
    shown: int,
    request: dict[str, object],
) -> None:
    now = data.now()
    lines = model.enrich(data.board(), now, config.stale_after)
    lines = lines[lines["registered"]]  # a patient can only be sent to a known facility
    ranked = model.rank_beds(lines, bed_types, districts=districts, origin=start)
    if ranked.empty:
        st.warning(t("find.none"), icon=":material/bed:")
        return
    st.markdown(f"**{t('find.results', n=number(len(ranked)))}**")
    st.caption(t("find.rank_help"))
    header = st.columns(COLUMNS)
    for column, key in zip(header, HEADERS, strict=True):
        column.caption(t(key) if key else "")
    for row in ranked.head(shown).itertuples(index=False):
        result_row(row, now, request)


COLUMNS = [4, 2, 2, 1, 2, 2, 2, 1, 2]
HEADERS = ("col.facility", "column.district", "column.bed_type", "column.available",
           "accepting", "ed", "col.updated", "col.distance", None)  # fmt: skip


def result_row(row, now, request: dict[str, object]) -> None:  # noqa: ANN001
    cells = st.columns(COLUMNS, vertical_alignment="center")
    cells[0].text(names.get(row.facility_id, row.facility_id))
    cells[1].text(row.district if isinstance(row.district, str) else "")
    cells[2].text(bed_label(row.bed_type))
    free = f"{model.ICONS[row.level]} {number(row.available)}"
    if "oxygen" in request["needs"] and not pd.isna(row.oxygen):  # type: ignore[operator]
        # Contract v2: how many of the ready beds can give oxygen, where the hospital says.
        free += " · " + t("find.oxygen", n=number(row.oxygen))
    if row.held or row.arriving:  # free is net of these (contract v2's bed holds)
        free += " · " + t("hold.count", n=number(row.held + row.arriving))
    cells[3].text(free)
    cells[4].text(accepting_text(row.accepting))
    cells[5].text(ed_text(row.ed_status))
    cells[6].text(freshness(row.last_report, now, row.stale))
    distance = "" if pd.isna(row.distance_km) else t("unit.km", n=number(row.distance_km, 1))
    cells[7].text(distance)
    # The hook where a placement request is sent from (dashboard/placement.py).
    cells[8].button(
        t("find.request"), key=f"request:{row.facility_id}:{row.bed_type}",
        help=t("find.request_help"), on_click=placement.request,
        args=(row.facility_id, row.bed_type, request),
    )  # fmt: skip


# Only what is needed to choose a bed: no names, no identifiers.
request: dict[str, object] = {
    "age_band": age_band,
    "severity": severity,
    "needs": list(needs or []),
}
start = model.origin_point(origin, centres, registry)
results(bed_types, wanted_districts, start, shown, request)
placement.show_pending()
