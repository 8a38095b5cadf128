"""The simulator: a real wave on the demo city, deterministic, valid under the contract."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest

from producers.demo_city import demo_registry, registry_for, synthetic_facilities
from producers.publisher import Receipt
from producers.simulator import Simulator, load_wave
from schemas.events import CapacityReported, Event, parse_event, to_json

START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def reports(simulator: Simulator, at: datetime, count: int) -> list[CapacityReported]:
    return [simulator.next_report(at) for _ in range(count)]


def fullness(events: Sequence[CapacityReported], bed_type: str) -> float:
    lines = [line for e in events for line in e.beds if line.bed_type == bed_type]
    return sum(line.occupied for line in lines) / sum(line.usable for line in lines)


def test_the_wave_is_tokyos_5th_wave_scaled_to_loop() -> None:
    wave = load_wave()

    assert len(wave.hospitalised) == 123  # 2021-06-15 .. 2021-10-15
    assert wave.hospitalised[0] == wave.hospitalised[-1] == 0.0
    assert max(wave.hospitalised) == max(wave.severe) == 1.0
    # 入院中 peaks on 2021-09-04 (day 81), 重症 on 2021-08-28 (day 74).
    assert wave.hospitalised.index(1.0) == 81
    assert wave.severe.index(1.0) == 74


def test_same_seed_same_reports() -> None:
    facilities = registry_for(8, START)
    times = [START + timedelta(seconds=s) for s in range(0, 600, 7)]

    first = [Simulator(facilities, seed=7, start=START) for _ in range(2)]
    runs = [[s.next_report(t).model_dump() for t in times] for s in first]
    other = [Simulator(facilities, seed=8, start=START).next_report(t) for t in times]

    assert runs[0] == runs[1]
    assert [r.model_dump() for r in other] != runs[0]


def test_occupancy_rises_from_baseline_to_full_at_the_peak() -> None:
    simulator = Simulator(registry_for(8, START), seed=1, start=START, wave_minutes=10)
    peak = START + timedelta(minutes=10 * 81 / 122)

    before = reports(simulator, START, 8 * 20)
    at_peak = reports(simulator, peak, 8 * 20)

    assert 0.45 <= fullness(before, "medical_surgical") <= 0.65
    assert 0.92 <= fullness(at_peak, "medical_surgical") <= 1.08
    assert fullness(at_peak, "adult_icu") >= 0.85
    assert fullness(at_peak, "negative_flow_isolation") >= 0.85
    # Psychiatric and rehabilitation wards barely feel a COVID wave.
    assert abs(fullness(at_peak, "psychiatric") - fullness(before, "psychiatric")) < 0.1
    assert {r.accepting for r in at_peak} & {"limited", "closed"}
    assert {r.ed_status for r in at_peak} & {"advisory", "closed"}
    assert {r.accepting for r in before} == {"open"}


def test_the_wave_loops_every_wave_minutes() -> None:
    simulator = Simulator(registry_for(3, START), seed=1, start=START, wave_minutes=2)

    assert simulator.phase(START + timedelta(minutes=1)) == pytest.approx(0.5)
    assert simulator.phase(START + timedelta(minutes=4)) == pytest.approx(0.0)


def test_first_report_covers_every_bed_type_later_ones_two_to_four() -> None:
    facilities = registry_for(8, START)
    simulator = Simulator(facilities, seed=2, start=START)

    first = reports(simulator, START, 8)
    later = reports(simulator, START, 8 * 30)

    for facility, report in zip(facilities, first, strict=True):
        assert {b.bed_type for b in report.beds} == set(facility.licensed_beds or {})
    for report in later:
        licensed = len(next(f for f in facilities if f.facility_id == report.facility_id)
                       .licensed_beds or {})  # fmt: skip
        assert min(2, licensed) <= len(report.beds) <= 4


def test_reports_are_valid_wire_events_from_the_hospital() -> None:
    simulator = Simulator(registry_for(20, START), seed=3, start=START)
    at = START.astimezone(timezone(timedelta(hours=9)))

    made = reports(simulator, at, 200)

    assert [parse_event(to_json(r)) for r in made] == made
    assert {r.facility_id for r in made} == {f"HJ-{n:04d}" for n in range(1, 9)} | {
        f"SIM-{n:05d}" for n in range(1, 13)
    }
    assert all(r.actor.org == "hospital" and r.actor.user == f"sim.{r.facility_id}" for r in made)
    assert all(r.occurred_at == at for r in made)
    assert any(r.note for r in made)


def test_a_naive_time_is_refused() -> None:
    simulator = Simulator(registry_for(1, START), seed=0)

    with pytest.raises(ValueError):
        simulator.next_report(datetime(2026, 11, 26, 9, 0))


def test_synthetic_facilities_are_stable_for_a_seed() -> None:
    first = synthetic_facilities(50, START, seed=5)
    again = synthetic_facilities(50, START, seed=5)

    assert [f.facility_id for f in first] == [f"SIM-{n:05d}" for n in range(1, 51)]
    strip = {"event_id"}
    assert [f.model_dump(exclude=strip) for f in first] == [
        f.model_dump(exclude=strip) for f in again
    ]
    assert all(f.licensed_beds for f in first)
    assert [parse_event(to_json(f)) for f in first] == first


def test_registry_for_uses_the_demo_city_first() -> None:
    assert [f.facility_id for f in registry_for(3, START)] == ["HJ-0001", "HJ-0002", "HJ-0003"]
    assert len(registry_for(8000, START)) == 8000
    assert len(demo_registry(START)) == 8


class Recorder:
    """Stands in for the publisher: keeps what it is given."""

    def __init__(self, stop_after: int | None = None, stop: threading.Event | None = None) -> None:
        self.events: list[Event] = []
        self.stop_after, self.stop = stop_after, stop

    def publish(self, events: Sequence[Event], source: str = "") -> Receipt:
        self.events.extend(events)
        if self.stop and self.stop_after is not None and len(self.events) >= self.stop_after:
            self.stop.set()
        return Receipt(len(events), 0)


def test_run_stops_when_the_stop_event_is_set() -> None:
    stop = threading.Event()
    recorder = Recorder(stop_after=25, stop=stop)

    total = Simulator(registry_for(8, START), seed=0).run(recorder, rate=500, stop_event=stop)

    assert total == Receipt(len(recorder.events), 0)
    assert 25 <= len(recorder.events) < 25 + 100


def test_run_keeps_to_rate_and_duration() -> None:
    recorder = Recorder()

    total = Simulator(registry_for(8, START), seed=0).run(recorder, rate=200, duration=0.5)

    assert total.sent == len(recorder.events)
    assert 50 <= len(recorder.events) <= 101


def test_run_with_a_set_stop_event_publishes_nothing() -> None:
    stop = threading.Event()
    stop.set()
    recorder = Recorder()

    Simulator(registry_for(8, START), seed=0).run(recorder, rate=10, stop_event=stop)

    assert recorder.events == []


def test_facilities_left_to_people_report_once_then_only_by_hand():
    now = datetime(2026, 11, 26, tzinfo=UTC)
    staffed = {"HJ-0001", "HJ-0002"}
    simulator = Simulator(demo_registry(now), seed=3, left_to_people=staffed)
    first_round = [simulator.next_report(now).facility_id for _ in range(8)]
    later = [simulator.next_report(now).facility_id for _ in range(60)]
    assert staffed <= set(first_round)
    assert not staffed & set(later)
    assert set(later) == {f"HJ-000{n}" for n in range(3, 9)}
