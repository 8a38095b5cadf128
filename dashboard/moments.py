"""The moment a download is known at: as far as the replica has applied, or a typed one."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from consumers.exports import snapshot
from dashboard import data
from dashboard.texts import lang, t
from schemas.problems import Problem


def replica_known_at() -> tuple[datetime, bool]:
    """Now if the replica has applied everything, else its newest ingest; and whether it lags."""
    current = snapshot.now()
    health = data.health()
    if data.feed_enabled() and health.connected and health.lag == 0 and health.checked_at:
        # Everything the broker had when the lag was checked is applied; a second of margin.
        return min(current, health.checked_at.replace(microsecond=0) - timedelta(seconds=1)), False
    newest = data.last_ingest()
    if newest is None:
        return current, False
    return min(current, newest.replace(microsecond=0)), data.feed_enabled()


def known_at_input(key: str) -> datetime | None:
    """The optional known-at a person types; a bad one is explained, naming the field."""
    typed = st.text_input(
        t("export.known_at"),
        key=key,
        help=t("export.known_at_help"),
        placeholder="2026-11-26T09:05:00+09:00",
    ).strip()
    if not typed:
        return None
    try:
        moment = datetime.fromisoformat(typed)
    except ValueError:
        st.error(Problem("known_at", "datetime_parsing").message(lang()), icon=":material/error:")
        st.stop()
    if moment.tzinfo is None:
        st.error(Problem("known_at", "timezone_aware").message(lang()), icon=":material/error:")
        st.stop()
    if moment > snapshot.now():  # a future known-at could not be reproduced later
        st.error(t("export.known_at_future"), icon=":material/error:")
        st.stop()
    return moment
