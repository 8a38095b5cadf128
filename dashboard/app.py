"""The dashboard's entry point: page set-up, the live header, the language switch, the pages."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts only dashboard/ on the path; the packages sit above it.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from consumers.store import ReplicaLocked  # noqa: E402
from dashboard import auth, data, widgets  # noqa: E402
from dashboard.i18n import t  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"


def pages(role: str | None = None) -> dict[str, list[st.Page]]:
    """The pages a role sees, by section; someone not signed in sees only the sign-in page."""
    if role is None:
        return {"": [auth.login_entry()]}
    coordination = [
        st.Page(VIEWS / "overview.py", title=t("page.overview"), icon=":material/dashboard:",
                default=role != "hospital_staff"),
        st.Page(VIEWS / "board.py", title=t("page.board"), icon=":material/table_view:",
                url_path="board"),
        st.Page(VIEWS / "facility.py", title=t("page.facility"), icon=":material/local_hospital:",
                url_path="facility"),
        st.Page(VIEWS / "map.py", title=t("page.map"), icon=":material/map:", url_path="map"),
        st.Page(VIEWS / "trends.py", title=t("page.trends"), icon=":material/show_chart:",
                url_path="trends"),
        st.Page(VIEWS / "find.py", title=t("page.find"), icon=":material/bed:",
                url_path="find"),
    ]  # fmt: skip
    # Staff come to post counts and answer requests: their pages first.
    mine = auth.staff_pages(role)
    ordered = mine + coordination if role == "hospital_staff" else coordination + mine
    return {"": auth.for_role(role, ordered)}


st.set_page_config(page_title="Bedboard", page_icon=":material/bed:", layout="wide")
st.html(widgets.STYLE)
widgets.remember_language()
try:
    data.replica()
except ReplicaLocked as error:
    st.error(str(error), icon=":material/lock:")
    st.stop()
identity = auth.current()
navigation = st.navigation(
    pages(identity.role if identity else None), position="top" if identity else "hidden"
)
if identity is not None:
    bar, account = st.columns([8, 1], vertical_alignment="center")
    with bar:
        widgets.top_bar()
    with account:
        auth.account_menu(identity)
navigation.run()
