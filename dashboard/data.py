"""The dashboard's one replica per process, and the cached reads the pages make from it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from bedboard.settings import Settings
from consumers import queries
from consumers.replica import LiveReplica
from consumers.rollup import tune_gc
from producers.publisher import Publisher

# Tests and screenshots open a prepared replica (BEDBOARD_DB) without consuming from Kafka.
NO_FEED_ENV = "BEDBOARD_DASHBOARD_NO_FEED"
CACHE_S = 2


def settings() -> Settings:
    """The configuration from BEDBOARD_* (read per run: it is cheap, and tests change it)."""
    return Settings()


def feed_enabled() -> bool:
    return os.environ.get(NO_FEED_ENV, "") not in ("1", "true", "yes")


def replica() -> LiveReplica:
    """This process's replica, with its roll-up thread started on first use."""
    return _open(str(settings().replica_path("dashboard")), feed_enabled())


def started_at() -> datetime:
    """When this process opened its replica (how long it has been trying to reach Kafka)."""
    return _STARTED[str(replica().path)]


_STARTED: dict[str, datetime] = {}


def _release(live: LiveReplica) -> None:
    # A cleared cache must not leave a second roll-up thread writing the same file.
    try:
        live.stop()
    except RuntimeError:  # the thread never started (no feed): only the file to close
        live.con.close()


@st.cache_resource(show_spinner=False, on_release=_release)
def _open(path: str, feed: bool) -> LiveReplica:
    config = settings()
    _STARTED[path] = datetime.now(UTC)
    if not feed:
        return LiveReplica(config, Path(path))
    # Records that fail validation go to the DLQ from here too (the roll-up retries them).
    publisher = Publisher(config)
    tune_gc()  # this process now holds a roll-up's batches
    return LiveReplica(
        config, Path(path), dlq_send=publisher.send_dlq, dlq_flush=publisher.flush
    ).start()


def _cursor(path: str):  # noqa: ANN202  (a DuckDB cursor)
    return _open(path, feed_enabled()).cursor()


def _path() -> str:
    return str(replica().path)


def _frame(table) -> pd.DataFrame:  # noqa: ANN001  (a pyarrow table)
    return table.to_pandas()


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _board(path: str) -> pd.DataFrame:
    with _cursor(path) as cur:
        return _frame(queries.board(cur))


def board() -> pd.DataFrame:
    """Every (facility, bed type) line as it stands now (times are UTC)."""
    return _board(_path())


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _facilities(path: str) -> pd.DataFrame:
    with _cursor(path) as cur:
        return _frame(queries.facilities(cur))


def facilities() -> pd.DataFrame:
    """The facility registry."""
    return _facilities(_path())


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _last_ingest(path: str) -> datetime | None:
    with _cursor(path) as cur:
        found = queries.last_ingest(cur)
    return found.replace(tzinfo=UTC) if found else None


def last_ingest() -> datetime | None:
    """When the newest event this dashboard has applied reached the broker."""
    live = replica()
    seen = [moment for moment in (live.health.last_ingest, _last_ingest(_path())) if moment]
    return max(seen) if seen else None


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _notices(path: str, minute: datetime) -> pd.DataFrame:
    with _cursor(path) as cur:
        return _frame(queries.current_notices(cur, minute))


def notices(now: datetime) -> pd.DataFrame:
    """Notices in force now."""
    return _notices(_path(), now)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _alerts(path: str) -> pd.DataFrame:
    with _cursor(path) as cur:
        return _frame(queries.open_alerts(cur))


def alerts() -> pd.DataFrame:
    """Alerts raised by the alert processor and not yet cleared."""
    return _alerts(_path())


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _facility_lines(path: str, facility_id: str, since: datetime) -> pd.DataFrame:
    with _cursor(path) as cur:
        return _frame(queries.facility_lines(cur, facility_id, since))


def facility_lines(facility_id: str, since: datetime) -> pd.DataFrame:
    """One facility's bed lines since a time (and the ones in force at that time)."""
    return _facility_lines(_path(), facility_id, since)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _facility_reports(path: str, facility_id: str, limit: int) -> pd.DataFrame:
    with _cursor(path) as cur:
        return _frame(queries.facility_reports(cur, facility_id, limit))


def facility_reports(facility_id: str, limit: int = 200) -> pd.DataFrame:
    """One facility's newest reports, newest first."""
    return _facility_reports(_path(), facility_id, limit)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _trend(
    path: str,
    start: datetime,
    end: datetime,
    step: timedelta,
    by: str,
    bed_types: tuple[str, ...] | None,
    districts: tuple[str, ...] | None,
) -> pd.DataFrame:
    with _cursor(path) as cur:
        table = queries.trend(
            cur,
            start,
            end,
            step,
            by=by,
            bed_types=list(bed_types) if bed_types else None,
            districts=list(districts) if districts else None,
        )
    return _frame(table)


def trend(
    start: datetime,
    end: datetime,
    step: timedelta,
    by: str,
    bed_types: tuple[str, ...] | None = None,
    districts: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """City totals at each step between start and end, per bed type or district."""
    return _trend(_path(), start, end, step, by, bed_types, districts)


def now() -> datetime:
    """The current time (aware, UTC)."""
    return datetime.now(UTC)
