"""Contract v2 in the replica: the city's fold equals its SQL, and v1 reads as it always did."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers import city
from consumers.exports import snapshot
from consumers.queries import board
from consumers.rules import Accepted, fold_capacity
from consumers.store import Batch, Store, connect
from schemas.events import parse_event

BASE = datetime(2026, 11, 26, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)
DISTRICTS = ("中央", "南")


def envelope(event_type: str, version: int, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "type": event_type,
        "version": version,
        "event_id": str(uuid.uuid4()),
        "occurred_at": at.isoformat(),
        "actor": {"org": "health_centre", "user": "coord"},
    } | fields


def apply(store: Store, topic: str, records: list[Accepted]) -> None:
    store.write(
        Batch(
            accepted={topic: records},
            read={topic: len(records)},
            next_offsets={(f"t.{topic}", 0): len(records)},
        )
    )


@st.composite
def city_histories(draw: st.DrawFn) -> list[Accepted]:
    records: list[Accepted] = []
    for offset in range(draw(st.integers(1, 30))):
        at = BASE + timedelta(minutes=draw(st.integers(0, 4)))  # ties on occurred_at
        if draw(st.booleans()):
            body = envelope("phase.declared", 2, at, phase=draw(st.sampled_from("12345")))
        else:
            counts = {
                name: draw(st.integers(0, 50)) for name in city.COUNT_FIELDS if draw(st.booleans())
            } or {"at_home": 1}
            body = envelope(
                "district.counted", 2, at, district=draw(st.sampled_from(DISTRICTS)), **counts
            )
        if records and draw(st.integers(0, 5)) == 0:  # a repeated id: the first stands
            body["event_id"] = str(draw(st.sampled_from(records)).event.event_id)
        ingested = BASE + timedelta(seconds=draw(st.integers(0, 3)))
        records.append(Accepted(parse_event(body), ingested, 0, offset))
    return records


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=city_histories(), data=st.data())
def test_the_phase_and_district_counts_in_sql_equal_the_fold(records: list, data: Any) -> None:
    con = connect(":memory:")
    apply(Store(con), "city", records)
    as_of = data.draw(st.sampled_from([r.event.occurred_at for r in records] + [FAR]))
    known_at = data.draw(st.sampled_from([r.ingested_at for r in records] + [FAR]))
    want = city.fold_city(records, as_of=as_of, known_at=known_at)

    assert city.phase_as_of(con.cursor(), as_of, known_at) == (want.phase, want.phase_since)
    assert city.counts_as_of(con.cursor(), as_of, known_at) == want.district_counts()
    con.close()


def test_secured_beds_come_from_the_line_then_the_phase_then_usable() -> None:
    plan = {"3": {"adult_icu": 20}}
    assert city.secured(12, plan, "3", "adult_icu", usable=8) == 12
    assert city.secured(None, plan, "3", "adult_icu", usable=8) == 20
    assert city.secured(None, plan, "2", "adult_icu", usable=8) == 8  # no plan at phase 2
    assert city.secured(None, plan, None, "adult_icu", usable=8) == 8  # no phase declared
    assert city.short_of_secured(8, 20) == 12 and city.short_of_secured(25, 20) == 0


def test_rooms_are_accommodation_wherever_reported_and_kinds_decide_the_rest() -> None:
    assert city.category("hospital", "accommodation_room") == city.ACCOMMODATION
    assert city.category("temporary_facility", "medical_surgical") == city.TEMPORARY
    assert city.category("waiting_station", "medical_surgical") == city.WAITING
    assert city.category(None, "adult_icu") == city.HOSPITAL  # an unregistered source


# --- v1 and v2 side by side ------------------------------------------------------------


def _log(version: int) -> list[Accepted]:
    """One city's week: the same facts, once said in v1 and once in v2 (with more besides)."""
    extra = version == 2
    bodies: list[dict[str, Any]] = []
    for n, facility in enumerate(("HJ-0001", "HJ-0002", "TMP-01")):
        registry = {
            "facility_id": facility,
            "name": {"ja": f"施設{n}"},
            "kind": "temporary_facility" if facility.startswith("TMP") else "hospital",
            "district": DISTRICTS[n % 2],
        }
        if extra:
            registry["secured_beds"] = {"3": {"adult_icu": 10 + n}}
        bodies.append(envelope("facility.registered", version, BASE, **registry))
    for hour in range(0, 48, 5):
        for n, facility in enumerate(("HJ-0001", "HJ-0002", "TMP-01")):
            beds = []
            for bed_type, usable in (("adult_icu", 6 + n), ("medical_surgical", 40 - n)):
                line = {"bed_type": bed_type, "usable": usable, "occupied": (hour + n) % usable}
                if extra:
                    line |= {"secured": usable + 2, "oxygen": usable // 2}
                beds.append(line)
            at = BASE + timedelta(hours=hour, minutes=n)
            bodies.append(
                envelope("capacity.reported", version, at, facility_id=facility, beds=beds)
                | {"accepting": ("open", "limited")[hour % 2]}
            )
    if extra:  # what only v2 can say; v1 readers must not be moved by it
        bodies.append(envelope("phase.declared", 2, BASE + timedelta(hours=3), phase="3"))
        bodies.append(
            envelope("district.counted", 2, BASE, district="中央", at_home=40, in_accommodation=7)
        )
    # The same event ids in both logs, so that the two replicas name the same lines.
    ids = iter(uuid.UUID(int=i) for i in range(1, 1000))
    out = []
    for offset, body in enumerate(bodies):
        if body["type"] not in ("phase.declared", "district.counted"):
            body["event_id"] = str(next(ids))
        at = datetime.fromisoformat(body["occurred_at"]) + timedelta(seconds=1)
        out.append(Accepted(parse_event(json.dumps(body)), at, 0, offset))
    return out


def _replica(records: list[Accepted]) -> Store:
    store = Store(connect(":memory:"))
    for topic, types in (
        ("facilities", ("facility.registered",)),
        ("capacity", ("capacity.reported",)),
        ("city", ("phase.declared", "district.counted")),
    ):
        mine = [r for r in records if r.event.type in types]  # type: ignore[attr-defined]
        if mine:
            apply(store, topic, mine)
    return store


def test_a_v1_log_and_a_v2_log_give_the_same_answers_for_what_v1_knew() -> None:
    v1, v2 = _log(1), _log(2)
    old, new = _replica(v1), _replica(v2)
    for hours in (0, 7, 24, 47, 100):
        as_of = BASE + timedelta(hours=hours)
        taken = [
            snapshot.build(
                s.con.cursor(),
                as_of=as_of,
                known_at=FAR,
                timezone="Asia/Tokyo",
                stale_after=timedelta(hours=6),
                generated_at=BASE,
            )
            for s in (old, new)
        ]
        assert taken[0].rows == taken[1].rows and taken[0].rows
        assert taken[0].sha256 == taken[1].sha256
    v1_columns = ["facility_id", "bed_type", "usable", "occupied", "accepting", "name_ja"]
    boards = [board(s.con.cursor()).select(v1_columns).sort_by("facility_id") for s in (old, new)]
    assert sorted(boards[0].to_pylist(), key=str) == sorted(boards[1].to_pylist(), key=str)
    folds = [fold_capacity(log) for log in (v1, v2)]
    assert {k: (v.usable, v.occupied) for k, v in folds[0].lines.items()} == {
        k: (v.usable, v.occupied) for k, v in folds[1].lines.items()
    }
    # And v2 knows more: the secured beds and the phase.
    assert {line.secured for line in folds[1].lines.values()} != {None}
    assert city.phase_as_of(new.con.cursor(), FAR, FAR)[0] == "3"


@settings(max_examples=80, deadline=None)
@given(
    line=st.one_of(st.none(), st.integers(0, 30)),
    plan=st.dictionaries(
        st.sampled_from(["2", "3", "3-1"]),
        st.dictionaries(st.sampled_from(["adult_icu", "hcu"]), st.integers(0, 30), max_size=2),
        max_size=3,
    ),
    phase=st.one_of(st.none(), st.sampled_from(["2", "3", "3-1", "4"])),
    bed_type=st.sampled_from(["adult_icu", "hcu", "accommodation_room"]),
    kind=st.one_of(st.none(), st.sampled_from(["hospital", "accommodation", "temporary_facility",
                                               "waiting_station", "clinic"])),
    usable=st.integers(0, 30),
)  # fmt: skip
def test_the_sql_category_secured_and_short_equal_the_pure_rules(
    line: int | None,
    plan: dict[str, dict[str, int]],
    phase: str | None,
    bed_type: str,
    kind: str | None,
    usable: int,
) -> None:
    con = connect(":memory:")
    text = json.dumps(plan) if plan else None
    sql = (
        f"SELECT {city.secured_sql('$line', '$plan', '$phase', '$bed_type', '$usable')}, "
        f"{city.category_sql('$kind', '$bed_type')}"
    )
    values = {"line": line, "plan": text, "phase": phase, "bed_type": bed_type, "kind": kind,
              "usable": usable}  # fmt: skip
    got = con.execute(sql.replace("$line", "$line::INTEGER"), values).fetchall()[0]
    secured = city.secured(line, city.registry_secured(text), phase, bed_type, usable)
    assert got == (secured, city.category(kind, bed_type))
    short = con.execute(f"SELECT {city.short_sql('$u', '$s')}", {"u": usable, "s": secured})
    assert short.fetchall()[0][0] == city.short_of_secured(usable, secured)
    con.close()
