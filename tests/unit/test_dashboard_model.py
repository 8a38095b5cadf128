"""The dashboard's pure logic: levels, totals, alerts, finding a bed, words and numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from dashboard import model
from dashboard.formats import ago, number, percent
from dashboard.texts import TEXT, bed_label, t
from dashboard.widgets import escape_markdown
from schemas.events_v2 import BED_TYPES_V2 as CONTRACT_BED_TYPES
from schemas.glossary import BED_TYPE_NAMES as BED_TYPES

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def line(fid: str, bed: str, usable: int, occupied: int, *, accepting: str | None = "open",
         district: str = "北野", minutes_old: int = 10, lat: float = 35.64, lon: float = 139.35,
         registered: bool = True) -> dict:  # fmt: skip
    reported = NOW - timedelta(minutes=minutes_old)  # aware UTC, as the queries return times
    return {"facility_id": fid, "name_ja": fid, "name_en": None, "kind": "hospital",
            "district": district, "lat": lat, "lon": lon, "registered": registered,
            "bed_type": bed, "usable": usable, "occupied": occupied,
            "available": max(usable - occupied, 0),
            "occupancy_rate": occupied / usable if usable else None,
            "reported_at": reported, "last_report": reported, "last_ingest": reported,
            "accepting": accepting, "ed_status": "normal", "held": 0, "arriving": 0}  # fmt: skip


def board(*lines: dict) -> pd.DataFrame:
    return model.enrich(pd.DataFrame(list(lines)), NOW, timedelta(hours=6))


@pytest.mark.parametrize(
    ("usable", "occupied", "level"),
    [(0, 0, "none"), (0, 3, "none"), (10, 11, "over"), (10, 10, "full"), (10, 9, "nearly"),
     (100, 90, "nearly"), (100, 89, "room"), (10, 0, "room")],
)  # fmt: skip
def test_levels(usable: int, occupied: int, level: str) -> None:
    assert model.level_of(usable, occupied) == level


def test_totals_count_free_beds_per_line_so_a_surge_hides_no_room() -> None:
    city = board(line("A", "adult_icu", 10, 12), line("B", "adult_icu", 10, 4))

    total = model.totals(city)
    assert (total.usable, total.occupied, total.available) == (20, 16, 6)
    per_type = model.by_bed_type(city).set_index("bed_type")
    assert per_type.loc["adult_icu", "level"] == "room"  # 16 of 20: the city still has room
    assert model.totals(board(line("A", "hcu", 0, 0))).occupancy is None


def test_facility_counts_and_staleness() -> None:
    city = board(
        line("A", "hcu", 5, 1, accepting="open"),
        line("A", "adult_icu", 5, 1, accepting="open"),
        line("B", "hcu", 5, 1, accepting="limited", minutes_old=7 * 60),
        line("C", "hcu", 5, 5, accepting="closed"),
        line("D", "hcu", 5, 5, accepting=None),
    )

    assert model.facility_counts(city) == {
        "open": 1, "limited": 1, "closed": 1, "unknown": 1, "stale": 1, "total": 4
    }  # fmt: skip


def test_derived_alerts() -> None:
    city = board(
        line("A", "adult_icu", 10, 11),
        line("B", "hcu", 20, 19),
        line("C", "hcu", 20, 2, accepting="closed", minutes_old=8 * 60),
    )

    found = model.derived_alerts(city, 0.95, now=NOW, stale_after=timedelta(hours=6))
    kinds = [(a.kind, a.facility_id) for a in found]
    assert kinds == [("over_capacity", "A"), ("not_accepting", "C"), ("stale_report", "C"),
                     ("occupancy_high", "A"), ("occupancy_high", "B")]  # fmt: skip


def test_derived_alerts_are_the_alert_processor_s_on_a_surge_line() -> None:
    from consumers.alert_rules import wanted_alerts
    from consumers.rules import Accepted, fold_capacity
    from schemas.events import parse_event

    lines = [("A", "adult_icu", 10, 11, "open", 10), ("A", "hcu", 4, 4, "open", 10),
             ("B", "hcu", 20, 2, "closed", 8 * 60), ("C", "burn", 0, 2, None, 30)]  # fmt: skip
    city = board(*(line(f, b, u, o, accepting=a, minutes_old=m) for f, b, u, o, a, m in lines))
    records = []
    for i, (fid, bed, usable, occupied, accepting, minutes) in enumerate(lines):
        body = {"type": "capacity.reported", "version": 1,
                "event_id": f"00000000-0000-4000-8000-{i:012d}",
                "occurred_at": (NOW - timedelta(minutes=minutes)).isoformat(),
                "actor": {"org": "hospital", "user": "u"}, "facility_id": fid,
                "beds": [{"bed_type": bed, "usable": usable, "occupied": occupied}]}  # fmt: skip
        if accepting:
            body["accepting"] = accepting
        records.append(Accepted(parse_event(body), NOW, 0, i))
    state = fold_capacity(records)
    six = timedelta(hours=6)
    processor = {
        (w.kind, w.facility_id, w.detail.get("bed_type"))
        for fid in "ABC"
        for w in wanted_alerts(state, fid, NOW, threshold=0.95, stale_after=six).values()
    }
    dashboard = {
        (a.kind, a.facility_id, a.bed_type)
        for a in model.derived_alerts(city, 0.95, now=NOW, stale_after=six)
    }
    assert ("occupancy_high", "A", "adult_icu") in processor
    assert dashboard == processor


@pytest.mark.parametrize(
    ("severity", "needs", "expected"),
    [
        ("moderate", [], ["medical_surgical"]),
        ("severe", [], ["adult_icu", "hcu"]),
        ("mild", ["ventilator"], ["adult_icu", "hcu"]),
        ("moderate", ["pediatric"], ["pediatrics"]),
        ("severe", ["pediatric"], ["pediatric_icu"]),
        ("moderate", ["isolation", "pediatric"], ["negative_flow_isolation", "other_isolation"]),
        ("mild", ["psychiatric", "wheelchair"], ["psychiatric"]),
        ("mild", ["oxygen", "dialysis"], ["medical_surgical"]),
    ],
)
def test_needs_map_to_bed_types(severity: str, needs: list[str], expected: list[str]) -> None:
    assert model.bed_types_for(severity, needs) == expected


def test_rank_beds_open_then_limited_fresh_then_stale_more_then_nearer() -> None:
    city = board(
        line("closed", "medical_surgical", 50, 0, accepting="closed"),
        line("full", "medical_surgical", 50, 50),
        line("limited", "medical_surgical", 50, 0, accepting="limited"),
        line("stale", "medical_surgical", 50, 0, minutes_old=7 * 60),
        line("few", "medical_surgical", 50, 48),
        line("near", "medical_surgical", 50, 40, lat=35.64, lon=139.35),
        line("far", "medical_surgical", 50, 40, lat=35.70, lon=139.20),
        line("other", "psychiatric", 50, 0),
        line("unknown", "medical_surgical", 50, 0, accepting=None),
    )

    ranked = model.rank_beds(city, ["medical_surgical"], origin=(35.64, 139.35))
    assert list(ranked["facility_id"]) == ["near", "far", "few", "stale", "limited", "unknown"]
    assert ranked.loc[0, "distance_km"] == pytest.approx(0, abs=1e-9)
    assert 14 < ranked.loc[1, "distance_km"] < 16
    assert model.rank_beds(city, ["adult_icu"]).empty


def test_rank_beds_takes_the_most_fitting_type_with_room_and_filters_districts() -> None:
    city = board(
        line("A", "negative_flow_isolation", 4, 4, district="北野"),
        line("A", "other_isolation", 6, 2, district="北野"),
        line("B", "negative_flow_isolation", 2, 0, district="高尾"),
    )

    ranked = model.rank_beds(city, list(model.ISOLATION_TYPES))
    assert list(zip(ranked["facility_id"], ranked["bed_type"], strict=True)) == [
        ("A", "other_isolation"), ("B", "negative_flow_isolation")
    ]  # fmt: skip
    assert list(model.rank_beds(city, ["other_isolation"], districts=["高尾"])["facility_id"]) == []


def test_haversine_one_degree_of_latitude_is_about_111_km() -> None:
    distance = model.haversine_km(35.0, 139.0, pd.Series([36.0]), pd.Series([139.0]))
    assert distance.iloc[0] == pytest.approx(111.2, abs=0.2)


def test_board_rows_pivot_bed_types_and_sort() -> None:
    city = board(line("A", "hcu", 5, 1), line("A", "adult_icu", 4, 4), line("B", "hcu", 9, 0))

    rows = model.sort_rows(model.board_rows(city, ["adult_icu", "hcu"]), "available")
    assert list(rows["facility_id"]) == ["B", "A"]
    a = rows.set_index("facility_id").loc["A"]
    assert (a["avail:adult_icu"], a["level:adult_icu"], a["total_available"]) == (0, "full", 4)
    assert pd.isna(rows.set_index("facility_id").loc["B", "avail:adult_icu"])


def test_board_rows_count_the_beds_held_or_arriving_on_the_chosen_types_only() -> None:
    held = line("A", "hcu", 5, 1) | {"held": 2, "arriving": 1}
    city = board(held, line("A", "adult_icu", 4, 0) | {"held": 5}, line("B", "hcu", 9, 0))

    rows = model.board_rows(city, ["hcu"]).set_index("facility_id")
    assert (rows.loc["A", "held"], rows.loc["B", "held"]) == (3, 0)


def test_among_is_isin() -> None:
    ids = pd.Series(["A", "B", None, "C"], dtype="string[pyarrow]")
    allowed = pd.Series(["C", "A"], dtype="string[pyarrow]")

    assert list(model.among(ids, allowed)) == list(ids.isin(allowed).fillna(False))
    assert list(model.among(ids, allowed)) == [True, False, False, True]


@dataclass
class Health:
    connected: bool = False
    checked_at: datetime | None = None
    unwritable: str | None = None


def test_feed_state() -> None:
    started = NOW - timedelta(seconds=5)
    assert model.feed_state(False, Health(), started, NOW) == "off"
    assert model.feed_state(True, Health(), started, NOW) == "connecting"
    # A broker that never answered: after the grace period the header says it is away.
    assert model.feed_state(True, Health(), NOW - timedelta(minutes=1), NOW) == "down"
    assert model.feed_state(True, Health(False, NOW), started, NOW) == "down"
    assert model.feed_state(True, Health(True, NOW), started, NOW) == "live"
    full = Health(False, NOW, unwritable="IOException: No space left on device")
    assert model.feed_state(True, full, started, NOW) == "unwritable"


def test_every_text_has_both_languages_and_every_bed_type_a_label() -> None:
    assert all(ja and en for ja, en in TEXT.values())
    assert set(BED_TYPES) == set(CONTRACT_BED_TYPES)
    assert bed_label("hcu", "ja") == "高度治療室 (HCU)" and bed_label("hcu", "en").endswith("(HCU)")
    assert t("unit.facilities", "en", n=3) == "3 facilities"


def test_numbers_percentages_and_ages() -> None:
    assert number(12345) == "12,345" and number(None) == "—" and number(1.25, 1) == "1.2"
    assert percent(1.045) == "104.5%" and percent(None) == "—"  # over 100%: shown, not clipped
    assert ago(NOW - timedelta(minutes=12), NOW, "ja") == "12分前"
    assert ago(NOW - timedelta(minutes=12), NOW, "en") == "12 min ago"
    assert ago(NOW - timedelta(seconds=30), NOW, "ja") == "30秒前"
    assert ago(NOW - timedelta(hours=7), NOW, "ja") == "7時間前"
    assert ago(NOW - timedelta(days=3), NOW, "en") == "3 days ago"
    assert ago(None, NOW, "ja") == "報告なし"


def test_escape_markdown_keeps_text_literal() -> None:
    assert escape_markdown("**x** <b>") == r"\*\*x\*\* \<b\>"
    assert escape_markdown("[a](http://x) :smile: $1$") == r"\[a\]\(http\://x\) \:smile\: \$1\$"


def test_the_trend_chart_rounds_occupancy_by_the_one_rule() -> None:
    from zoneinfo import ZoneInfo

    from dashboard.figures import trend

    at = datetime(2026, 11, 26, tzinfo=UTC)
    frame = pd.DataFrame(
        {"at": [at, at + timedelta(minutes=30)], "group": ["hcu", "hcu"],
         "usable": [160, 0], "occupied": [117, 0]}
    )  # fmt: skip

    fig = trend(frame, "occupancy", str, "occupancy", ZoneInfo("Asia/Tokyo"))

    ys = list(fig.data[0].y)
    assert ys[0] == pytest.approx(73.13, abs=1e-9)  # 117/160 is 0.73125: Excel says 73.13 %
    assert math.isnan(ys[1])  # nothing usable: no rate
