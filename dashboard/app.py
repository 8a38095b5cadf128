"""The dashboard's entry point: page set-up, the live header, the language switch, the pages."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts only dashboard/ on the path; the packages sit above it.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from consumers.store import ReplicaLocked  # noqa: E402
from dashboard import auth, bell, navigation, rhythm, runtime, widgets  # noqa: E402
from dashboard.texts import t  # noqa: E402


def pages(role: str | None = None) -> dict[str, st.Page]:
    """The navigation table's pages this role may open, by name; someone not signed in may only
    sign in."""
    if role is None:
        return {"login": auth.login_entry()}
    mine = navigation.pages_for(role)
    return {
        entry.name: st.Page(entry.path, title=t(entry.title), icon=entry.icon,
                            url_path=entry.url_path, default=entry is mine[0])
        for entry in mine
    }  # fmt: skip


st.set_page_config(page_title="Bedboard", page_icon=":material/bed:", layout="wide")
st.html(widgets.STYLE)
widgets.remember_language()
try:
    runtime.get()
except ReplicaLocked as error:
    st.error(str(error), icon=":material/lock:")
    st.stop()
identity = auth.current()
shown = pages(identity.role if identity else None)
chosen = st.navigation(list(shown.values()), position="top" if identity else "hidden")
if identity is not None:
    auth.deliver_cookie()
    rhythm.land_on_report(identity, shown.get("report"), chosen)
    news = partial(bell.ring, identity) if bell.listens(identity) else None
    widgets.top_bar(partial(auth.account_menu, identity), news)
chosen.run()
