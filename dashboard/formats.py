"""How numbers, rates, times and ages read on screen; times turn local only here."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.texts import t

DEFAULT_ZONE = ZoneInfo("Asia/Tokyo")
SPANS = {1: "span.1m", 5: "span.5m", 15: "span.15m", 60: "span.1h", 360: "span.6h"}


def number(value: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators; a dash for nothing."""
    if value is None or value != value:  # None or NaN
        return "—"
    return f"{value:,.{digits}f}"


def percent(rate: float | None) -> str:
    """An occupancy rate as a percentage; a dash when it is undefined (no usable beds)."""
    if rate is None or rate != rate:
        return "—"
    return f"{rate * 100:,.1f}%"


def local_time(moment: datetime | None, zone: ZoneInfo = DEFAULT_ZONE, *, date: bool = True) -> str:
    """An aware time in the configured zone, as people read it."""
    if moment is None or moment != moment:  # None or NaT
        return "—"
    return moment.astimezone(zone).strftime("%m/%d %H:%M" if date else "%H:%M")


def ago(moment: datetime | None, now: datetime, lang_: str | None = None) -> str:
    """How long ago, in the largest whole unit: 12分前 / 12 min ago."""
    if moment is None or moment != moment:
        return t("ago.never", lang_)
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 60:
        return t("ago.seconds", lang_, n=seconds)
    if seconds < 3600:
        return t("ago.minutes", lang_, n=seconds // 60)
    if seconds < 48 * 3600:
        return t("ago.hours", lang_, n=seconds // 3600)
    return t("ago.days", lang_, n=seconds // 86400)


def facilities(n: int) -> str:
    """A count of facilities: 3施設, 1 facility, 3 facilities."""
    return t("unit.facilities", n=f"{n:,}")


def step_label(step: timedelta) -> str:
    """A trend's step as people say it: 5分 / 5 min."""
    minutes = int(step.total_seconds() // 60)
    key = SPANS.get(minutes)
    return t(key) if key else f"{minutes} min"
