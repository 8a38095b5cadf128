"""The demo city: Hachioji's invented hospitals from a CSV, and synthesised ones beyond them."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from pathlib import Path

from producers.registry import read_registry_csv
from schemas.events import Actor, BedType, FacilityName, FacilityRegistered, Location

DEMO_CITY = Path(__file__).resolve().parent / "data" / "demo_city.csv"
SIM_ACTOR = Actor(org="system", user="simulator")
DISTRICTS = (
    "八王子駅周辺",
    "南大沢",
    "高尾",
    "北野",
    "元八王子",
    "由木",
    "石川",
    "川口",
    "恩方",
    "加住",
    "小宮",
    "由井",
    "横山",
    "浅川",
    "長房",
    "館",
    "椚田",
    "みなみ野",
)
LAT, LON = (35.62, 35.69), (139.24, 139.42)
# Synthesised facilities: (weight, name ja, name en, bed type -> licensed range; 0 may mean none).
PROFILES: tuple[tuple[int, str, str, dict[BedType, tuple[int, int]]], ...] = (
    (
        6,
        "病院",
        "Hospital",
        {
            "medical_surgical": (60, 250),
            "hcu": (0, 8),
            "emergency": (0, 6),
            "negative_flow_isolation": (0, 6),
        },
    ),
    (
        3,
        "総合病院",
        "General Hospital",
        {
            "medical_surgical": (200, 600),
            "adult_icu": (8, 20),
            "hcu": (8, 24),
            "emergency": (6, 14),
            "negative_flow_isolation": (4, 12),
            "pediatrics": (0, 30),
        },
    ),
    (
        1,
        "こども病院",
        "Children's Hospital",
        {
            "pediatrics": (40, 120),
            "pediatric_icu": (6, 12),
            "neonatal_icu": (9, 18),
            "nursery": (6, 15),
        },
    ),
    (
        1,
        "精神科病院",
        "Psychiatric Hospital",
        {"psychiatric": (100, 300), "medical_surgical": (0, 30)},
    ),
    (
        1,
        "リハビリテーション病院",
        "Rehabilitation Hospital",
        {"rehab_long_term": (80, 200), "medical_surgical": (0, 30)},
    ),
)


def demo_registry(now: datetime, actor: Actor = SIM_ACTOR) -> list[FacilityRegistered]:
    """The demo city's facilities (producers/data/demo_city.csv)."""
    events, problems = read_registry_csv(DEMO_CITY, actor, now)
    if problems:  # the file ships with the code, so this is a bug, not bad input
        raise ValueError("demo_city.csv: " + "; ".join(p.message("en") for p in problems))
    return events


def synthetic_facilities(
    count: int, now: datetime, *, seed: int = 0, actor: Actor = SIM_ACTOR
) -> list[FacilityRegistered]:
    """`count` invented hospitals SIM-00001…, the same for the same seed (event ids aside)."""
    facilities = []
    for number in range(1, count + 1):
        facility_id = f"SIM-{number:05d}"
        rng = random.Random(f"bedboard-sim:{seed}:{facility_id}")
        _, name_ja, name_en, beds = rng.choices(PROFILES, weights=[p[0] for p in PROFILES])[0]
        licensed = {code: n for code, (lo, hi) in beds.items() if (n := rng.randint(lo, hi))}
        facilities.append(FacilityRegistered(
            type="facility.registered", version=1, event_id=uuid.uuid4(), occurred_at=now,
            actor=actor, facility_id=facility_id,
            name=FacilityName(ja=f"シミュレーション{name_ja} {number:05d}",
                              en=f"Simulated {name_en} {number:05d}"),
            kind="hospital", district=rng.choice(DISTRICTS),
            location=Location(lat=round(rng.uniform(*LAT), 4), lon=round(rng.uniform(*LON), 4)),
            licensed_beds=licensed,
        ))  # fmt: skip
    return facilities


def registry_for(count: int, now: datetime, *, seed: int = 0) -> list[FacilityRegistered]:
    """`count` facilities: the demo city's first, then synthesised ones."""
    demo = demo_registry(now)[:count]
    return demo + synthetic_facilities(count - len(demo), now, seed=seed)
