"""Secured beds (確保病床) beside ready-now beds on the board, and who falls short: pure tables."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from consumers import city
from consumers.rules import occupancy_rate


def with_secured(board: pd.DataFrame, phase: str | None) -> pd.DataFrame:
    """The board's lines with `secured` resolved as the returns resolve it, category and gap."""
    out = board.copy()
    plans: dict[object, dict[str, dict[str, int]]] = {}
    secured = []
    # Plain lists: iterating a column of Arrow strings costs ~2 µs a value, 0.5 s for a country.
    columns = ("secured", "secured_beds", "bed_type", "usable")
    for line, plan, bed_type, usable in zip(*(out[c].tolist() for c in columns), strict=True):
        key = None if pd.isna(plan) else plan
        if key not in plans:  # one parse per distinct plan, not per line
            plans[key] = city.registry_secured(key)  # type: ignore[arg-type]
        given = None if pd.isna(line) else int(line)
        secured.append(city.secured(given, plans[key], phase, bed_type, int(usable)))
    out["secured"] = pd.Series(secured, index=out.index, dtype="int64")
    out["category"] = [
        city.category(None if pd.isna(kind) else kind, bed_type)
        for kind, bed_type in zip(out["kind"].tolist(), out["bed_type"].tolist(), strict=True)
    ]
    out["short"] = (out["secured"] - out["usable"]).clip(lower=0)
    out["oxygen"] = out["oxygen"].fillna(0).astype("int64")
    return out


def reports_v2(lines: pd.DataFrame) -> bool:
    """Whether anyone reports secured or oxygen beds or rooms (lines from `with_secured`)."""
    if not len(lines):
        return False
    # A v1 registration keeps an empty plan ("{}"): only a plan with beds in it is v2. One parse
    # per distinct plan: lines repeat their facility's.
    plans = lines["secured_beds"].dropna().unique().tolist()
    return bool(
        any(isinstance(p, str) and city.registry_secured(p) for p in plans)
        or (lines["short"] > 0).any()
        or (lines["oxygen"] > 0).any()
        or (lines["category"] != "hospital").any()
    )


@dataclass(frozen=True)
class CityBeds:
    """What the city holds beyond ready-now beds: secured, oxygen and rooms, and who is short."""

    secured: int
    ready: int
    occupied: int
    oxygen: int
    rooms: int  # accommodation rooms secured
    rooms_in_use: int
    short_facilities: int
    short_beds: int

    @property
    def occupancy(self) -> float | None:
        """入院者数 ÷ 確保病床数, as the weekly survey computes it."""
        return occupancy_rate(self.secured, self.occupied)


def city_beds(lines: pd.DataFrame) -> CityBeds:
    """Totals of hospital beds (as the survey counts them) and of accommodation rooms."""
    beds = lines[lines["category"] == city.HOSPITAL]
    rooms = lines[lines["category"] == city.ACCOMMODATION]
    return CityBeds(
        secured=int(beds["secured"].sum()),
        ready=int(beds["usable"].sum()),
        occupied=int(beds["occupied"].sum()),
        oxygen=int(beds["oxygen"].sum()),
        rooms=int(rooms["secured"].sum()),
        rooms_in_use=int(rooms["occupied"].sum()),
        short_facilities=int(beds.loc[beds["short"] > 0, "facility_id"].nunique()),
        short_beds=int(beds["short"].sum()),
    )


def short_facilities(lines: pd.DataFrame) -> pd.DataFrame:
    """Hospitals whose ready-now beds fall short of those secured, the largest gap first."""
    beds = lines[lines["category"] == city.HOSPITAL]
    per = beds.groupby("facility_id", as_index=False).agg(
        secured=("secured", "sum"), ready=("usable", "sum"), short=("short", "sum")
    )
    per = per[per["short"] > 0]
    return per.sort_values(["short", "facility_id"], ascending=[False, True], ignore_index=True)
