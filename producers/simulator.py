"""Realistic capacity reports: Tokyo's 5th COVID-19 wave replayed on a city's hospitals."""

from __future__ import annotations

import csv
import io
import logging
import random
import threading
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from producers.publisher import Receipt
from schemas.events import (
    Actor,
    BedLine,
    BedType,
    CapacityReported,
    Event,
    FacilityRegistered,
)

log = logging.getLogger(__name__)

# Beside the code rather than importlib.resources: an editable install made before this package
# had an __init__.py maps it as a namespace package, which resources.files() cannot read.
DATA_DIR = Path(__file__).resolve().parent / "data"
WAVE_START, WAVE_END = date(2021, 6, 15), date(2021, 10, 15)
MAX_BATCH = 1000  # reports per publish call when the loop has to catch up

# Real areas of Hachioji, for the districts of synthesised facilities.

# bed type -> (occupancy between waves, how much of the wave it feels, follows 重症 not 入院中)
DYNAMICS: dict[BedType, tuple[float, float, bool]] = {
    "medical_surgical": (0.55, 1.0, False),
    "negative_flow_isolation": (0.45, 1.0, False),
    "other_isolation": (0.45, 1.0, False),
    "emergency": (0.50, 0.8, False),
    "adult_icu": (0.55, 1.0, True),
    "hcu": (0.55, 0.9, True),
    "pediatrics": (0.50, 0.4, False),
    "pediatric_icu": (0.55, 0.4, True),
    "neonatal_icu": (0.75, 0.1, False),
    "nursery": (0.60, 0.0, False),
    "psychiatric": (0.85, 0.15, False),
    "rehab_long_term": (0.85, 0.15, False),
    "burn": (0.40, 0.0, False),
    "operating_rooms": (0.50, 0.2, False),
}
NOTES_BUSY = (
    "ICUは満床です。人工呼吸器管理が必要な方は事前にご相談ください。",
    "夜間の救急受入れは要相談です。",
    "職員の欠勤が続いており、一部病棟の受入れを制限しています。",
    "陰圧室は満床です。転院の調整を進めています。",
)
NOTES_CALM = (
    "本日午後に退院予定の患者が3名います。",
    "陰圧室1床を清掃のため休止しています。",
    "発熱外来は通常どおり受け付けています。",
)

PROGRESS_EVERY_S = 60


class Publishes(Protocol):
    def publish(self, events: Sequence[Event], source: str = ...) -> Receipt: ...


@dataclass(frozen=True)
class Wave:
    """The wave's shape: 0 between waves, 1 at the peak, for 入院中 and for 重症."""

    hospitalised: tuple[float, ...]
    severe: tuple[float, ...]

    def at(self, phase: float) -> tuple[float, float]:
        """Both series at phase 0..1 of the wave, interpolated between days."""
        return _interpolate(self.hospitalised, phase), _interpolate(self.severe, phase)


@lru_cache(maxsize=1)
def load_wave(start: date = WAVE_START, end: date = WAVE_END) -> Wave:
    """Tokyo's 入院中 and 重症 between start and end, scaled so that the wave loops smoothly."""
    text = (DATA_DIR / "tokyo_covid19_daily_inpatients.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text, newline=""))
    chosen = [r for r in rows if start.isoformat() <= r["公表_年月日"] <= end.isoformat()]
    return Wave(
        _shape([float(r["入院中"]) for r in chosen]), _shape([float(r["重症"]) for r in chosen])
    )


@dataclass
class _Site:
    facility_id: str
    usable: dict[BedType, int]
    peak: float  # occupancy at the height of the wave
    bias: float  # this facility runs a little fuller or emptier than others
    reported: bool = False
    bed_types: list[BedType] = field(default_factory=list)


class Simulator:
    """Capacity reports for the given facilities, round-robin, deterministic for a seed.

    The same seed repeats the same event ids, which consumers drop as duplicates: a run that
    publishes should use a fresh seed.
    """

    def __init__(
        self,
        facilities: Sequence[FacilityRegistered],
        *,
        seed: int = 0,
        wave_minutes: float = 10.0,
        start: datetime | None = None,
        left_to_people: Collection[str] = (),
    ) -> None:
        if wave_minutes <= 0:
            raise ValueError("wave_minutes must be positive")
        self.wave = load_wave()
        self.wave_seconds = wave_minutes * 60
        self.start = start
        self._rng = random.Random(seed)
        self._sites = [self._site(f) for f in facilities if f.licensed_beds]
        if not self._sites:
            raise ValueError("no facility with licensed beds to simulate")
        self._next = 0
        # These report once, so that the board has their numbers; then people take over.
        self._left_to_people = set(left_to_people)

    def _site(self, facility: FacilityRegistered) -> _Site:
        rng = self._rng
        usable = {
            code: max(1, round(licensed * rng.uniform(0.85, 1.0)))
            for code, licensed in (facility.licensed_beds or {}).items()
            if licensed > 0
        }
        return _Site(
            facility.facility_id,
            usable,
            peak=rng.uniform(0.95, 1.05),
            bias=rng.uniform(-0.03, 0.03),
            bed_types=list(usable),
        )

    def _take_site(self) -> _Site:
        while True:
            index = self._next % len(self._sites)
            site = self._sites[index]
            if site.reported and site.facility_id in self._left_to_people and len(self._sites) > 1:
                del self._sites[index]
                self._next = index
                continue
            self._next = index + 1
            return site

    def phase(self, now: datetime) -> float:
        """Where in the wave `now` falls: 0 at the start, looping every wave_minutes."""
        if self.start is None:
            self.start = now
        return ((now - self.start).total_seconds() / self.wave_seconds) % 1.0

    def next_report(self, now: datetime) -> CapacityReported:
        """The next facility's report as of `now` (an aware time)."""
        if now.tzinfo is None:
            raise ValueError("now must be an aware time")
        rng = self._rng
        site = self._take_site()
        hospitalised, severe = self.wave.at(self.phase(now))
        occupied = {}
        for code, usable in site.usable.items():
            base, share, follows_severe = DYNAMICS[code]
            wave = severe if follows_severe else hospitalised
            rate = base + share * (site.peak - base) * wave + site.bias + rng.gauss(0, 0.02)
            occupied[code] = min(5000, max(0, round(usable * rate)))
        fullness = sum(occupied.values()) / sum(site.usable.values())
        # The first report of a facility covers every bed type, later ones 2-4 of them.
        if site.reported:
            chosen = set(rng.sample(site.bed_types, min(len(site.bed_types), rng.randint(2, 4))))
        else:
            chosen, site.reported = set(site.bed_types), True
        note = None
        if rng.random() < 0.04:
            note = rng.choice(NOTES_BUSY if fullness >= 0.9 else NOTES_CALM)
        return CapacityReported(
            type="capacity.reported", version=1, event_id=_uuid(rng), occurred_at=now,
            actor=Actor(org="hospital", user=f"sim.{site.facility_id}"),
            facility_id=site.facility_id,
            beds=[BedLine(bed_type=code, usable=site.usable[code], occupied=occupied[code])
                  for code in site.bed_types if code in chosen],
            accepting="closed" if fullness >= 0.97 else "limited" if fullness >= 0.9 else "open",
            ed_status="closed" if fullness >= 1.0 else "advisory" if fullness >= 0.93 else "normal",
            note=note,
        )  # fmt: skip

    def run(
        self,
        publisher: Publishes,
        rate: float,
        duration: float | None = None,
        stop_event: threading.Event | None = None,
    ) -> Receipt:
        """Publish `rate` reports a second until `duration` seconds pass or stop_event is set."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        stop = stop_event or threading.Event()
        began = time.monotonic()
        end = None if duration is None else began + duration
        made = sent = queued = 0
        last_log = began
        while not stop.is_set():
            now_mono = time.monotonic()
            if end is not None and now_mono >= end:
                break
            due = min(MAX_BATCH, int((now_mono - began) * rate) + 1 - made)
            if due > 0:
                now = datetime.now(UTC)
                receipt = publisher.publish(
                    [self.next_report(now) for _ in range(due)], source="simulator"
                )
                made, sent, queued = made + due, sent + receipt.sent, queued + receipt.queued
            if now_mono - last_log >= PROGRESS_EVERY_S:
                log.info("simulated %d reports: %d sent, %d queued", made, sent, queued)
                last_log = now_mono
            # Wait for the next report, but at least 50 ms so that high rates go out in batches.
            wait = max(began + made / rate - time.monotonic(), min(0.05, 1 / rate))
            if end is not None:
                wait = min(wait, end - time.monotonic())
            if wait > 0:
                stop.wait(wait)
        return Receipt(sent, queued)


def _shape(series: list[float]) -> tuple[float, ...]:
    # Take away the straight line from the first day to the last, so both ends sit at 0 and the
    # loop has no jump; then 1 is the peak.
    last = len(series) - 1
    above = [
        max(0.0, v - (series[0] + (series[-1] - series[0]) * i / last))
        for i, v in enumerate(series)
    ]
    peak = max(above) or 1.0
    return tuple(v / peak for v in above)


def _interpolate(series: Sequence[float], phase: float) -> float:
    position = phase * (len(series) - 1)
    low = int(position)
    high = min(low + 1, len(series) - 1)
    return series[low] + (series[high] - series[low]) * (position - low)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
