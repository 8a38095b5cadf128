"""What the pages compute from the board: levels, totals, alerts, and where a patient can go."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from consumers.rules import (
    ALERT_KINDS,
    FULL,
    LEVELS,
    NEARLY,
    NONE,
    OVER,
    ROOM,
    alert_conditions,
    is_stale,
    level,
    occupancy_rate,
)
from schemas.events import BED_TYPES

__all__ = ["ALERT_KINDS", "FULL", "LEVELS", "NEARLY", "NONE", "OVER", "ROOM"]  # the pages' names

ICONS = {ROOM: "○", NEARLY: "▲", FULL: "●", OVER: "✖", NONE: "—"}
# Red = full/over, amber = nearly full, green = room; always beside an icon and a word.
COLORS = {ROOM: "#2e7d32", NEARLY: "#e69500", FULL: "#c62828", OVER: "#8e0000", NONE: "#9e9e9e"}
TINTS = {ROOM: "#e8f5e9", NEARLY: "#fff4d6", FULL: "#fde2e0", OVER: "#f9c5c0", NONE: "#f2f2f2"}
ACCEPTING_ORDER = {"open": 0, "limited": 1, None: 2, "closed": 3}
ACCEPTING_ICONS = {"open": "✓", "limited": "△", "closed": "✕", None: "—"}
ED_ICONS = {"normal": "✓", "advisory": "△", "closed": "✕", None: "—"}
STALE_ICON = "⚠"


def _per_distinct(keys: np.ndarray, decide: Any, index: pd.Index) -> pd.Series:
    """decide(key) for each row, called once per distinct key (lines repeat them, and the
    rules are plain Python: 64,000 calls would cost the page a second)."""
    distinct, where = np.unique(keys, return_inverse=True)
    decided = np.array([decide(key) for key in distinct.tolist()], dtype="object")
    return pd.Series(decided[where.reshape(-1)] if len(keys) else [], index=index, dtype="object")


def levels(usable: pd.Series, occupied: pd.Series) -> pd.Series:
    """The rules' level of each line."""
    pairs = usable.to_numpy("int64") * 10_001 + occupied.to_numpy("int64")  # counts <= 5000
    return _per_distinct(pairs, lambda pair: level(*divmod(pair, 10_001)), usable.index)


def level_of(usable: int, occupied: int) -> str:
    return level(usable, occupied)


def occupancies(usable: pd.Series, occupied: pd.Series) -> pd.Series:
    """The rules' occupancy rate of each row (NaN where nothing is usable)."""
    rates = [occupancy_rate(int(u), int(o)) for u, o in zip(usable, occupied, strict=True)]
    return pd.Series(rates, index=usable.index, dtype="float64")


def stale_flags(last_report: pd.Series, now: datetime, stale_after: timedelta) -> pd.Series:
    """The rules' stale verdict for each row's newest report."""
    times = pd.to_datetime(last_report, utc=True)
    ns = times.to_numpy("datetime64[ns]").astype("int64")  # NaT is the smallest int64

    def decide(at: int) -> bool:
        moment = None if at == NAT else pd.Timestamp(at, tz=UTC).to_pydatetime()
        return is_stale(moment, now, stale_after)

    return _per_distinct(ns, decide, last_report.index).astype(bool)


NAT = np.iinfo("int64").min


def enrich(board: pd.DataFrame, now: datetime, stale_after: timedelta) -> pd.DataFrame:
    """The board with each line's level and whether its facility's numbers are stale."""
    out = board.copy()
    out["level"] = levels(out["usable"], out["occupied"])
    out["stale"] = stale_flags(out["last_report"], now, stale_after)
    out["accepting"] = out["accepting"].astype("object").where(out["accepting"].notna(), None)
    out["ed_status"] = out["ed_status"].astype("object").where(out["ed_status"].notna(), None)
    return out


def bed_type_order(codes: Iterable[str]) -> list[str]:
    """Bed type codes in the contract's order (unknown codes last)."""
    rank = {code: i for i, code in enumerate(BED_TYPES)}
    # A board's column repeats a few codes 64,000 times: iterating Arrow strings one by one
    # cost a country's board page 70 ms a refresh, its distinct values a millisecond.
    distinct = codes.unique() if isinstance(codes, pd.Series) else codes
    return sorted(set(distinct), key=lambda code: (rank.get(code, len(rank)), code))


@dataclass(frozen=True)
class Totals:
    usable: int
    occupied: int
    available: int

    @property
    def occupancy(self) -> float | None:
        return occupancy_rate(self.usable, self.occupied)


def totals(board: pd.DataFrame) -> Totals:
    """City totals; free beds are summed per line, so one ward's surge hides no one's room."""
    return Totals(
        int(board["usable"].sum()), int(board["occupied"].sum()), int(board["available"].sum())
    )


def by_bed_type(board: pd.DataFrame) -> pd.DataFrame:
    """Usable, occupied, available, occupancy and level per bed type, in the contract's order."""
    grouped = board.groupby("bed_type")[["usable", "occupied", "available"]].sum()
    grouped = grouped.reindex(bed_type_order(grouped.index)).astype("int64")
    grouped["occupancy"] = occupancies(grouped["usable"], grouped["occupied"])
    grouped["level"] = levels(grouped["usable"], grouped["occupied"])
    grouped["facilities"] = board.groupby("bed_type")["facility_id"].nunique()
    return grouped.reset_index()


def per_facility(board: pd.DataFrame) -> pd.DataFrame:
    """One row per facility: registry data, status, freshness and totals over its bed types."""
    first = board.groupby("facility_id", sort=False).first()
    facility = first[
        ["name_ja", "name_en", "district", "kind", "lat", "lon", "registered"]
        + ["accepting", "ed_status", "last_report", "last_ingest", "stale"]
    ].copy()
    sums = board.groupby("facility_id", sort=False)[["usable", "occupied", "available"]].sum()
    facility = facility.join(sums)
    facility["occupancy"] = occupancies(facility["usable"], facility["occupied"])
    return facility.reset_index()


def facility_counts(board: pd.DataFrame) -> dict[str, int]:
    """How many facilities accept (open), limit, have stopped, never said, and are stale."""
    facility = per_facility(board) if len(board) else pd.DataFrame(columns=["accepting", "stale"])
    accepting = facility["accepting"]
    return {
        "open": int((accepting == "open").sum()),
        "limited": int((accepting == "limited").sum()),
        "closed": int((accepting == "closed").sum()),
        "unknown": int(accepting.isna().sum()),
        "stale": int(facility["stale"].astype(bool).sum()),
        "total": len(facility),
    }


@dataclass(frozen=True)
class Alert:
    kind: str  # over_capacity, stale_report, not_accepting, occupancy_high
    facility_id: str
    name: str | None
    bed_type: str | None = None
    usable: int | None = None
    occupied: int | None = None
    since: datetime | None = None


def derived_alerts(
    board: pd.DataFrame, threshold: float, *, now: datetime, stale_after: timedelta
) -> list[Alert]:
    """Alerts read off the board when the alert processor has written none: the same rule."""
    # One pass over plain columns: a pandas group per facility cost ~1 ms each, 8 s a refresh
    # for a country, in every session showing the overview. Times as plain datetimes made in
    # C, made aware only where used: a pandas Timestamp per line was 0.4 s of the pass.
    columns = ("facility_id", "name_ja", "accepting", "bed_type", "usable", "occupied")
    values = [board[column].tolist() for column in columns]
    values += [_utc_times(board["last_report"]), _utc_times(board["reported_at"])]
    facilities: dict[Any, tuple[tuple[Any, Any, Any], dict[str, tuple[int, int, Any]]]] = {}
    for facility_id, name, accepting, bed_type, usable, occupied, last, reported in zip(
        *values, strict=True
    ):
        _, lines = facilities.setdefault(facility_id, ((name, accepting, last), {}))
        lines[bed_type] = (int(usable), int(occupied), reported)  # the last line of a type counts
    found: list[Alert] = []
    for facility_id, ((name, accepting, naive_last), by_type) in facilities.items():
        name = name if isinstance(name, str) else None
        last = _aware(naive_last)
        counts = [(code, usable, occupied) for code, (usable, occupied, _) in by_type.items()]
        conditions = alert_conditions(
            counts, accepting, last, now, threshold=threshold, stale_after=stale_after
        )
        for kind, bed_type in conditions:
            if bed_type is None:
                found.append(Alert(kind, str(facility_id), name, since=last))
                continue
            usable, occupied, reported = by_type[bed_type]
            found.append(
                Alert(kind, str(facility_id), name, bed_type, usable, occupied, _aware(reported))
            )
    order = {kind: i for i, kind in enumerate(ALERT_KINDS)}
    return sorted(found, key=lambda a: (order[a.kind], a.facility_id, a.bed_type or ""))


def _utc_times(times: pd.Series) -> list[datetime | None]:
    """A time column as naive UTC datetimes (None for none), converted by numpy in C."""
    naive = pd.to_datetime(times, utc=True).dt.tz_localize(None).to_numpy("datetime64[us]")
    return naive.astype(object).tolist()  # type: ignore[no-any-return]


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


# --- Find a bed -----------------------------------------------------------------------------

ISOLATION_TYPES = ("negative_flow_isolation", "other_isolation")
# Needs that no bed type expresses: the facility has to be asked.
UNMAPPED_NEEDS = ("oxygen", "dialysis", "maternity", "wheelchair")


def bed_types_for(severity: str, needs: Sequence[str]) -> list[str]:
    """The bed types that suit a patient, the most fitting first."""
    pediatric = "pediatric" in needs
    if "isolation" in needs:  # infection control comes before everything else
        return list(ISOLATION_TYPES)
    if "psychiatric" in needs:
        return ["psychiatric"]
    if "ventilator" in needs or severity == "severe":
        return ["pediatric_icu"] if pediatric else ["adult_icu", "hcu"]
    return ["pediatrics"] if pediatric else ["medical_surgical"]


def haversine_km(lat1: float, lon1: float, lat2: pd.Series, lon2: pd.Series) -> pd.Series:
    """Great-circle distance in km from one point to many."""
    p1, p2 = np.radians(lat1), np.radians(lat2.astype("float64"))
    dp, dl = p2 - p1, np.radians(lon2.astype("float64") - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


def district_centres(facilities: pd.DataFrame) -> pd.DataFrame:
    """The mean position of each district's located facilities: district, lat, lon."""
    located = facilities.dropna(subset=["lat", "lon"])
    located = located[located["district"].notna()]
    return located.groupby("district", as_index=False)[["lat", "lon"]].mean()


def rank_beds(
    board: pd.DataFrame,
    bed_types: Sequence[str],
    *,
    districts: Sequence[str] = (),
    origin: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Facilities that can take the patient now, best first.

    Free beds of a wanted type, admissions not closed; open before limited (then unreported),
    fresh before stale, more free beds first, then nearest. One row per facility, with its best
    bed type (the first wanted type with a free bed) and the free beds of that type.
    """
    return order_beds(best_beds(board, bed_types, districts=districts), origin)


def best_beds(
    board: pd.DataFrame, bed_types: Sequence[str], *, districts: Sequence[str] = ()
) -> pd.DataFrame:
    """rank_beds' candidates by facility id: each facility's best wanted bed type with room.

    Apart from the ordering so that a page ranking many patients of the same needs (the
    waiting list) finds the candidates once and orders them from each patient's district."""
    wanted = {code: i for i, code in enumerate(bed_types)}
    lines = board[board["bed_type"].isin(list(wanted)) & (board["available"] > 0)]
    lines = lines[lines["accepting"].astype("object") != "closed"]
    if districts:
        lines = lines[lines["district"].isin(list(districts))]
    if lines.empty:
        return lines.assign(type_rank=0, accepting_rank=0)
    lines = lines.assign(type_rank=lines["bed_type"].map(wanted))
    # The best wanted type per facility: the most fitting type that has room.
    best = lines.sort_values(["facility_id", "type_rank"]).groupby("facility_id").head(1)
    return best.assign(accepting_rank=best["accepting"].map(lambda v: ACCEPTING_ORDER.get(v, 2)))


def order_beds(
    best: pd.DataFrame,
    origin: tuple[float, float] | None,
    *,
    first: int | None = None,
    leave_out: Sequence[str] = (),
) -> pd.DataFrame:
    """best_beds' rows in rank_beds' order, with their distance from the origin; the `first`
    few only, facilities in `leave_out` left out."""
    if origin and len(best):
        distance = haversine_km(origin[0], origin[1], best["lat"], best["lon"]).to_numpy()
    else:
        distance = np.full(len(best), np.nan)
    # One stable sort of plain arrays (a page ranks for many patients): accepting, fresh,
    # most free, nearest (unknown distance last), then facility id, which is best_beds' order.
    order = np.lexsort((
        np.arange(len(best)), distance, -best["available"].to_numpy(dtype="int64"),
        best["stale"].to_numpy(dtype="bool"), best["accepting_rank"].to_numpy(dtype="int64"),
    ))  # fmt: skip
    if leave_out:
        order = order[~best["facility_id"].iloc[order].isin(list(leave_out)).to_numpy()]
    if first is not None:
        order = order[:first]
    rows = best.iloc[order].drop(columns=["accepting_rank"])
    return rows.assign(distance_km=distance[order]).reset_index(drop=True)


FEED_OFF, FEED_CONNECTING, FEED_DOWN, FEED_LIVE = "off", "connecting", "down", "live"
FEED_UNWRITABLE = "unwritable"  # the replica file cannot be written (a full disk)
# How long a first connection may take before the header says that the broker is away.
CONNECT_GRACE = timedelta(seconds=15)


def feed_state(feed: bool, health: Any, started_at: datetime, now: datetime) -> str:
    """What the header says about the feed: off, connecting, down or unwritable (banners) or
    live.

    `health` is the replica's roll-up health (connected, checked_at, unwritable).
    """
    if not feed:
        return FEED_OFF
    if health.unwritable:
        return FEED_UNWRITABLE
    if health.checked_at is None:
        # The roll-up can wait minutes for a broker that never answered: say so after a while.
        return FEED_CONNECTING if now - started_at < CONNECT_GRACE else FEED_DOWN
    return FEED_LIVE if health.connected else FEED_DOWN


def display_name(name_ja: object, name_en: object, facility_id: str, lang: str) -> str:
    """The facility's name in the reader's language (Japanese when no English name is given)."""
    for name in (name_en, name_ja) if lang == "en" else (name_ja,):
        if isinstance(name, str) and name:
            return name
    return facility_id


def display_names(frame: pd.DataFrame, lang: str) -> list[str]:
    """display_name for every row of a frame with facility_id, name_ja and name_en."""
    rows = zip(frame["name_ja"], frame["name_en"], frame["facility_id"], strict=True)
    return [display_name(ja, en, fid, lang) for ja, en, fid in rows]


def names_by_id(frame: pd.DataFrame, lang: str) -> dict[str, str]:
    """Each facility's display name by facility id."""
    return dict(zip(frame["facility_id"], display_names(frame, lang), strict=True))


def origin_point(
    origin: tuple[str, str] | None, centres: pd.DataFrame, registry: pd.DataFrame
) -> tuple[float, float] | None:
    """Where a search starts: ("district", name) is its centre, ("facility", id) its location."""
    if origin is None:
        return None
    kind, value = origin
    if kind == "district":
        row = centres[centres["district"] == value]
    else:
        row = registry[registry["facility_id"] == value].dropna(subset=["lat", "lon"])
    return (float(row["lat"].iloc[0]), float(row["lon"].iloc[0])) if len(row) else None


def among(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """values.isin(allowed) as a boolean array, in Arrow (pandas' isin on Arrow strings makes a
    Python object per allowed value: 30 ms for a country's 8,000 facility ids)."""
    found = pc.is_in(
        pa.array(values, from_pandas=True), value_set=pa.array(allowed, from_pandas=True)
    )
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def board_rows(board: pd.DataFrame, bed_types: Sequence[str]) -> pd.DataFrame:
    """One row per facility with, per bed type, its free beds (`avail:<code>`) and level
    (`level:<code>`), the free beds over the chosen types (`total_available`), and the beds held
    or arriving there that they are net of (`held`)."""
    chosen = board[board["bed_type"].isin(list(bed_types))]
    if chosen.empty:
        return pd.DataFrame()
    facility = per_facility(chosen).drop(columns=["usable", "occupied", "available", "occupancy"])
    avail = chosen.pivot(index="facility_id", columns="bed_type", values="available")
    level = chosen.pivot(index="facility_id", columns="bed_type", values="level")
    rate = chosen.groupby("facility_id")[
        ["usable", "occupied", "available", "held", "arriving"]
    ].sum()
    facility = facility.set_index("facility_id")
    for code in bed_types:
        if code in avail.columns:
            facility[f"avail:{code}"] = avail[code]
            facility[f"level:{code}"] = level[code]
    facility["total_available"] = rate["available"]
    facility["held"] = rate["held"] + rate["arriving"]
    facility["occupancy"] = occupancies(rate["usable"], rate["occupied"])
    return facility.reset_index()


SORTS = ("available", "occupancy", "updated", "name")


def sort_rows(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Board rows in the chosen order; ties by facility id so that the order is stable."""
    keys = {
        "available": (["total_available", "facility_id"], [False, True]),
        "occupancy": (["occupancy", "facility_id"], [True, True]),
        "updated": (["last_report", "facility_id"], [False, True]),
        "name": (["name_ja", "facility_id"], [True, True]),
    }[by]
    return rows.sort_values(keys[0], ascending=keys[1], na_position="last", kind="stable")
