"""Every read the pages make from the replica, cached for a few seconds per replica file.

The board and what every page derives from it alike (levels, staleness, secured beds, alerts)
are made once per CACHE_S slot and shared by every session of the process, never copied: the
frames are read-only by contract (pandas' copy-on-write keeps a page's changes its own).
"""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from consumers import city, queries, waiting
from consumers.exports import report, returns, snapshot, summary
from consumers.replica import Health
from dashboard import cache_locks, model, runtime, secured
from dashboard.runtime import NO_FEED_ENV, feed_enabled, settings

__all__ = ["NO_FEED_ENV", "feed_enabled", "settings"]
CACHE_S = 2
REPORT_CACHE_S = 60  # a range report reads a month of days: worth keeping a minute


def _path() -> str:
    return str(runtime.get().replica.path)


def _cursor(path: str) -> Any:  # a DuckDB cursor, one per read (one per thread)
    del path  # the cache's key: the runtime holds the one replica of this process
    return runtime.get().replica.cursor()


def health() -> Health:
    """How this process's roll-up is doing: connected, lag, newest ingest."""
    return runtime.get().replica.health


def started_at() -> datetime:
    """When this process opened its replica (how long it has been trying to reach Kafka)."""
    return runtime.get().started_at


def now() -> datetime:
    """The current time (aware, UTC)."""
    return datetime.now(UTC)


def _slot() -> int:
    """The current CACHE_S-long slot: what the sessions ask for in it is made once."""
    return int(clock.time() // CACHE_S)


def _slot_start(slot: int) -> datetime:
    return datetime.fromtimestamp(slot * CACHE_S, UTC)


Moment = tuple[str, int]  # (replica file, slot): the key of everything shared per slot


def moment() -> Moment:
    """This process's replica and the current slot (dashboard.views keys its frames by it)."""
    return _path(), _slot()


def moment_start(at: Moment) -> datetime:
    """When a slot began: the `now` of everything made for it."""
    return _slot_start(at[1])


# One resource per (replica, slot): every session of the process reads the same frame. A copy per
# session (st.cache_data unpickles one on every call) and the per-row rules run again in every
# session on every refresh cost ~0.5 s of CPU per refresh at 8,000 facilities.
SHARED = {"ttl": 4 * CACHE_S, "max_entries": 8, "show_spinner": False}


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _board(path: str, slot: int) -> pd.DataFrame:
    del slot  # the cache's key
    with _cursor(path) as cur:
        return queries.board(cur).to_pandas()


def board() -> pd.DataFrame:
    """Every (facility, bed type) line as it stands now (shared: read-only)."""
    return _board(_path(), _slot())


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _enriched(path: str, slot: int, stale_after: timedelta) -> pd.DataFrame:
    cache_locks.prune()  # once a slot: Streamlit would keep a lock per slot's key forever
    return model.enrich(_board(path, slot), _slot_start(slot), stale_after)


def enriched_board(at: Moment | None = None) -> pd.DataFrame:
    """The board with each line's level and staleness, as of its slot (shared: read-only)."""
    path, slot = at or moment()
    return _enriched(path, slot, settings().stale_after)


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _board_rows(path: str, slot: int, stale_after: timedelta, bed_types: tuple[str, ...]) -> Any:
    board = _enriched(path, slot, stale_after)
    return model.board_rows(board[board["registered"]], list(bed_types))


def board_rows(bed_types: tuple[str, ...], at: Moment | None = None) -> pd.DataFrame:
    """One row per registered facility with these bed types' columns (shared: read-only)."""
    path, slot = at or moment()
    return _board_rows(path, slot, settings().stale_after, bed_types)  # type: ignore[no-any-return]


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _derived_alerts(
    path: str, slot: int, threshold: float, stale_after: timedelta
) -> list[model.Alert]:
    board = _enriched(path, slot, stale_after)
    return model.derived_alerts(board, threshold, now=_slot_start(slot), stale_after=stale_after)


def derived_alerts(at: Moment | None = None) -> list[model.Alert]:
    """Alerts read off the board by the alert processor's rule (shared)."""
    config = settings()
    path, slot = at or moment()
    return _derived_alerts(path, slot, config.occupancy_alert_threshold, config.stale_after)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _facilities(path: str) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.facilities(cur).to_pandas()


def facilities() -> pd.DataFrame:
    """The facility registry."""
    return _facilities(_path())


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _last_ingest(path: str) -> datetime | None:
    with _cursor(path) as cur:
        return queries.last_ingest(cur)


def last_ingest() -> datetime | None:
    """When the newest event this dashboard has applied reached the broker."""
    seen = [moment for moment in (health().last_ingest, _last_ingest(_path())) if moment]
    return max(seen) if seen else None


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _notices(path: str, minute: datetime) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.current_notices(cur, minute).to_pandas()


def notices(now: datetime) -> pd.DataFrame:
    """Notices in force now."""
    return _notices(_path(), now)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _overdue(path: str, second: datetime) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.overdue(cur, second).to_pandas()


def overdue(now: datetime) -> pd.DataFrame:
    """Facilities whose next report is overdue under their cadence, longest overdue first."""
    return _overdue(_path(), now.replace(microsecond=0))


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _alerts(path: str) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.open_alerts(cur).to_pandas()


def alerts() -> pd.DataFrame:
    """Alerts raised by the alert processor and not yet cleared."""
    return _alerts(_path())


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _facility_lines(path: str, facility_id: str, since: datetime) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.facility_lines(cur, facility_id, since).to_pandas()


def facility_lines(facility_id: str, since: datetime) -> pd.DataFrame:
    """One facility's bed lines since a time (and the ones in force at that time)."""
    return _facility_lines(_path(), facility_id, since)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _facility_reports(path: str, facility_id: str, limit: int) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.facility_reports(cur, facility_id, limit).to_pandas()


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
    phase: str | None,
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
            phase=phase,
        )
    return table.to_pandas()


def trend(
    start: datetime,
    end: datetime,
    step: timedelta,
    by: str,
    bed_types: tuple[str, ...] | None = None,
    districts: tuple[str, ...] | None = None,
    phase: str | None = None,
) -> pd.DataFrame:
    """City totals at each step between start and end, per bed type or district; secured beds
    with the registry's plan at `phase`."""
    return _trend(_path(), start, end, step, by, bed_types, districts, phase)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _placements(
    path: str, facility_ids: tuple[str, ...] | None, open_only: bool
) -> list[dict[str, Any]]:
    with _cursor(path) as cur:
        ids = list(facility_ids) if facility_ids is not None else None
        return queries.placement_list(cur, facility_ids=ids, open_only=open_only).to_pylist()


def placements(
    facility_ids: tuple[str, ...] | None = None, *, open_only: bool = False
) -> list[dict[str, Any]]:
    """Placements (of some facilities, or open ones only), open first, newest first."""
    return _placements(_path(), facility_ids, open_only)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _placement_history(path: str, placement_ids: tuple[str, ...]) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.placement_history(cur, list(placement_ids)).to_pandas()


def placement_history(placement_ids: tuple[str, ...]) -> pd.DataFrame:
    """Every event of these placements, oldest first."""
    return _placement_history(_path(), placement_ids)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _notice_list(path: str) -> list[dict[str, Any]]:
    with _cursor(path) as cur:
        return queries.notice_list(cur).to_pylist()


def notice_list() -> list[dict[str, Any]]:
    """Notices newest first, withdrawn and ended ones included."""
    return _notice_list(_path())


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _event_log(path: str, limit: int) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.event_log(cur, limit).to_pandas()


def event_log(limit: int = 20_000) -> pd.DataFrame:
    """The newest applied events with actor, source and times."""
    return _event_log(_path(), limit)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _rejected(path: str, limit: int) -> pd.DataFrame:
    with _cursor(path) as cur:
        return queries.rejected(cur, limit).to_pandas()


def rejected(limit: int = 5_000) -> pd.DataFrame:
    """The newest records the replica refused, with their reasons."""
    return _rejected(_path(), limit)


# What a form is about to change is read fresh, never from the cache: the report form follows a
# newer report the moment it is stored, and an answer goes to the facility as stored now.


def facility_current(facility_id: str) -> list[dict[str, Any]]:
    """One facility's current line per bed type (uncached: what its report form starts from)."""
    with _cursor(_path()) as cur:
        return queries.facility_current(cur, facility_id).to_pylist()


def facility_status(facility_id: str) -> dict[str, tuple[str, datetime]]:
    """A facility's newest `accepting` and `ed_status`, with when (uncached)."""
    with _cursor(_path()) as cur:
        return queries.facility_status(cur, facility_id)


def newest_report(facility_id: str) -> dict[str, Any] | None:
    """A facility's newest report (uncached), or None."""
    with _cursor(_path()) as cur:
        rows = queries.facility_reports(cur, facility_id, 1).to_pylist()
    return rows[0] if rows else None


def placement_facility(placement_id: str) -> str | None:
    """The facility a placement was requested of (uncached)."""
    with _cursor(_path()) as cur:
        return queries.placement_facility(cur, placement_id)


def snapshot_at(as_of: datetime, known_at: datetime) -> snapshot.Snapshot:
    """The contract's snapshot at as_of from what had arrived by known_at (made now)."""
    config = settings()
    with _cursor(_path()) as cur:
        return snapshot.build(
            cur,
            as_of=as_of,
            known_at=known_at,
            timezone=config.timezone,
            stale_after=config.stale_after,
        )


@st.cache_data(ttl=REPORT_CACHE_S, show_spinner=False)
def _range_report(
    path: str, first: date, last: date, cutoff: time, known_at: datetime
) -> report.RangeReport:
    config = settings()
    with _cursor(path) as cur:
        return report.build(
            cur,
            first,
            last,
            cutoff=cutoff,
            timezone=config.timezone,
            stale_after=config.stale_after,
            known_at=known_at,
        )


def range_report(first: date, last: date, cutoff: time, known_at: datetime) -> report.RangeReport:
    """Per day at the cutoff, totals per district and bed type."""
    return _range_report(_path(), first, last, cutoff, known_at)


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _phase(path: str, moment: datetime) -> tuple[str | None, datetime | None]:
    with _cursor(path) as cur:
        return city.phase_as_of(cur, moment, moment)


def phase(now: datetime) -> tuple[str | None, datetime | None]:
    """The city's phase (フェーズ) declared as of now, and since when; (None, None) if never.

    Asked as of the next whole second, so that a phase the replica took in a moment ago shows at
    once (cut down to the minute, a declaration stayed unseen until the minute turned).
    """
    moment = now.replace(microsecond=0) + timedelta(seconds=1)
    return _phase(_path(), moment)


@st.cache_resource(**SHARED)  # type: ignore[call-overload]
def _secured(path: str, slot: int, phase: str | None) -> tuple[pd.DataFrame, bool]:
    lines = secured.with_secured(_board(path, slot), phase)
    return lines, secured.reports_v2(lines)


def board_secured(now: datetime, at: Moment | None = None) -> pd.DataFrame:
    """The board's lines with their secured beds (確保病床) at the current phase, and gaps
    (shared: read-only)."""
    path, slot = at or moment()
    return _secured(path, slot, phase(now)[0])[0]


def reports_v2(now: datetime) -> bool:
    """Whether anyone reports secured or oxygen beds or rooms (v1-only cities see no new rows)."""
    return _secured(_path(), _slot(), phase(now)[0])[1]


@st.cache_data(ttl=REPORT_CACHE_S, show_spinner=False)
def _weekly_survey(path: str, as_of: datetime, known_at: datetime) -> returns.Return:
    config = settings()
    with _cursor(path) as cur:
        return returns.build(
            cur,
            returns.load("weekly-survey"),
            as_of=as_of,
            known_at=known_at,
            **returns.of_city(config),
            generated_at=known_at,
        )


def weekly_survey(as_of: datetime, known_at: datetime) -> returns.Return:
    """The national weekly survey's return as of its cutoff (reproducible, like the snapshot)."""
    return _weekly_survey(_path(), as_of, known_at)


def inbox_news(
    since: datetime, facility_ids: tuple[str, ...] | None, requester: str | None
) -> list[dict[str, Any]]:
    """Requests to these facilities and answers to this requester since a moment (uncached: the
    bell asks every second, and a cached answer would be up to a cache period late)."""
    ids = list(facility_ids) if facility_ids is not None else None
    with _cursor(_path()) as cur:
        return queries.inbox_news(cur, since, facility_ids=ids, requester=requester)


def waiting_requests(facility_ids: tuple[str, ...] | None) -> int:
    """How many requests to these facilities (None: all) wait for an answer (uncached)."""
    with _cursor(_path()) as cur:
        return queries.waiting_requests(
            cur, list(facility_ids) if facility_ids is not None else None
        )


# --- The waiting list (contract v2) -----------------------------------------------------------


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _waiting_list(path: str, open_only: bool) -> pd.DataFrame:
    with _cursor(path) as cur:
        return waiting.waiting_list(cur, open_only=open_only).to_pandas()


def waiting_list(open_only: bool = True) -> pd.DataFrame:
    """Cases, the most severe first, then the longest waiting; open ones only by default."""
    return _waiting_list(_path(), open_only)


def case(case_id: str) -> dict[str, Any] | None:
    """One case with its status (uncached: what the case page acts on)."""
    with _cursor(_path()) as cur:
        return waiting.case(cur, case_id)


def case_placements(case_id: str) -> list[dict[str, Any]]:
    """A case's placements, newest first, with whether each holds a bed (uncached)."""
    with _cursor(_path()) as cur:
        return waiting.case_placements(cur, case_id).to_pylist()


def case_history(case_id: str) -> pd.DataFrame:
    """Every event of a case and its placements, oldest first (uncached)."""
    with _cursor(_path()) as cur:
        return waiting.case_history(cur, case_id).to_pandas()


@st.cache_data(ttl=CACHE_S, show_spinner=False)
def _step_down(path: str, minute: datetime) -> pd.DataFrame:
    with _cursor(path) as cur:
        return waiting.step_down(cur, minute, minute).to_pandas()


def step_down(now: datetime) -> pd.DataFrame:
    """Each facility's newest step-down report (後方支援), with its district."""
    return _step_down(_path(), now.replace(second=0, microsecond=0) + timedelta(minutes=1))


@st.cache_data(ttl=REPORT_CACHE_S, show_spinner=False)
def _meeting_summary(path: str, since: datetime, known_at: datetime) -> summary.MeetingSummary:
    config = settings()
    with _cursor(path) as cur:
        return summary.build(
            cur,
            since=since,
            known_at=known_at,
            timezone=config.timezone,
            stale_after=config.stale_after,
        )


def meeting_summary(since: datetime, known_at: datetime) -> summary.MeetingSummary:
    """What changed from `since` to `known_at`, as known at `known_at` (reproducible)."""
    return _meeting_summary(_path(), since, known_at)
