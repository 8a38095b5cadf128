"""The weekly survey on a fixture log, checked by hand against the columns docs/returns.md sets."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import load_workbook
from test_exports_log import GOLDEN, write_log

from consumers.exports import returns
from consumers.rules import Accepted
from producers import case_forms
from producers.identity import Identity
from schemas.events import parse_event
from schemas.events_v2 import CaseRegistered
from schemas.topics import TOPIC_OF_TYPE

UPDATE = os.environ.get("BEDBOARD_UPDATE_GOLDEN") == "1"
AS_OF = datetime.fromisoformat("2026-11-25T00:00:00+09:00")  # a Wednesday, 0:00: the cutoff
KNOWN_AT = datetime.fromisoformat("2026-11-25T00:10:00+09:00")
GENERATED_AT = datetime.fromisoformat("2026-11-25T00:15:00+09:00")
SEVERE = frozenset({"adult_icu", "hcu"})


def fixture_log() -> list[tuple[str, Accepted]]:
    records, offsets = [], {}
    for line in (GOLDEN / "returns-events.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        topic = TOPIC_OF_TYPE[item["event"]["type"]]
        offset = offsets[topic] = offsets.get(topic, -1) + 1
        ingested = datetime.fromisoformat(item["ingested_at"])
        records.append((topic, Accepted(parse_event(item["event"]), ingested, 0, offset)))
    return records


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_log(tmp_path_factory.mktemp("returns") / "replica.duckdb", fixture_log())


def survey(
    path: Path,
    *,
    as_of: datetime = AS_OF,
    known_at: datetime = KNOWN_AT,
    layout: str = "weekly-survey",
) -> returns.Return:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return returns.build(
            con.cursor(),
            returns.load(layout),
            as_of=as_of,
            known_at=known_at,
            timezone="Asia/Tokyo",
            severe=SEVERE,
            city_code="132012",
            city_name="八王子市",
            prefecture="東京都",
            generated_at=GENERATED_AT,
        )
    finally:
        con.close()


def by_district(made: returns.Return) -> dict[str, dict[str, Any]]:
    return {row["district"]: row for row in made.rows}


# Worked out by hand from tests/golden/exports/returns-events.jsonl and the column definitions.
# 中央地区: HJ-0001 (adult_icu 7/8, secured from the phase-3 plan: 10; medical_surgical 30/45,
# secured 48; hcu 4/4 secured 4), AC-0001 (rooms 61/90 of 100), WS-0001 (3/10 of 10).
# 南部地区: HJ-0002, a v1 facility (adult_icu 5/5, medical_surgical 12/20: secured = usable),
# TM-0001 (12/30 of 40). 西部地区: only the health centre's count. The later H2 report, the
# later count and the report received after known_at do not count.
HAND = {
    "中央地区": {
        "inpatients": 41, "severe_inpatients": 11, "secured_beds": 62, "severe_secured_beds": 14,
        "ready_beds": 57, "severe_ready_beds": 12, "occupancy_rate": 0.6613,
        "severe_occupancy_rate": 0.7857, "oxygen_beds": 28, "short_of_secured": 5,
        "in_accommodation": 58, "accommodation_rooms": 100, "at_home": 120,
        "awaiting_admission": 9, "temporary_medical_beds": 0, "temporary_medical_patients": 0,
        "waiting_station_beds": 10, "waiting_station_patients": 3,
    },
    "南部地区": {
        "inpatients": 17, "severe_inpatients": 5, "secured_beds": 25, "severe_secured_beds": 5,
        "ready_beds": 25, "severe_ready_beds": 5, "occupancy_rate": 0.68,
        "severe_occupancy_rate": 1.0, "oxygen_beds": 0, "short_of_secured": 0,
        "in_accommodation": None, "accommodation_rooms": 0, "at_home": 80,
        "awaiting_admission": 4, "temporary_medical_beds": 40, "temporary_medical_patients": 12,
        "waiting_station_beds": 0, "waiting_station_patients": 0,
    },
    "西部地区": {
        "inpatients": 0, "secured_beds": 0, "occupancy_rate": None, "at_home": 15,
        "in_accommodation": None, "awaiting_admission": None,
    },
    "市合計": {
        "inpatients": 58, "severe_inpatients": 16, "secured_beds": 87, "severe_secured_beds": 19,
        "ready_beds": 82, "severe_ready_beds": 17, "occupancy_rate": 0.6667,
        "severe_occupancy_rate": 0.8421, "oxygen_beds": 28, "short_of_secured": 5,
        "in_accommodation": 58, "accommodation_rooms": 100, "at_home": 215,
        "awaiting_admission": 13, "temporary_medical_beds": 40, "temporary_medical_patients": 12,
        "waiting_station_beds": 10, "waiting_station_patients": 3,
    },
}  # fmt: skip


def test_the_weekly_survey_equals_the_hand_worked_figures(replica: Path) -> None:
    made = survey(replica)
    rows = by_district(made)
    assert list(rows) == ["中央地区", "南部地区", "西部地区", "市合計"]  # districts, then the total
    for district, want in HAND.items():
        got = {name: rows[district][name] for name in want}
        assert got == want, district
    total = rows["市合計"]
    assert (total["city_code"], total["prefecture"], total["city_name"]) == (
        "132012",
        "東京都",
        "八王子市",
    )
    assert total["phase"] == "3" and total["as_of"] == "2026-11-25T00:00:00+09:00"


def test_once_the_waiting_list_is_kept_its_cases_are_the_people_awaiting_admission(
    tmp_path: Path,
) -> None:
    """The health centre's list replaces its daily count of 入院等調整中: open cases by district
    as of the cutoff, zero where none waits; the other counts stay the daily ones."""
    coordinator = Identity("hc.sato", "coordinator")
    records = fixture_log()
    before = AS_OF - timedelta(hours=5)

    def register(district: str, at: datetime) -> CaseRegistered:
        return case_forms.case_register(
            coordinator, case_ref=f"HC-{len(records):04d}", age_band="70-79",
            severity="moderate", needs=[], district=district, waiting_at="home",
            waiting_since=at, now=at,
        )  # fmt: skip

    def log(event: Any, ingested: datetime) -> None:
        records.append(("placements", Accepted(event, ingested, 0, len(records))))

    withdrawn = register("中央地区", before)
    for event in (register("中央地区", before), register("中央地区", before), withdrawn,
                  register("西部地区", before)):  # fmt: skip
        log(event, before)
    log(case_forms.case_withdraw(coordinator, str(withdrawn.case_id), "recovered", now=before),
        before)  # fmt: skip
    log(register("西部地区", KNOWN_AT), KNOWN_AT + timedelta(minutes=1))  # known too late

    made = survey(write_log(tmp_path / "replica.duckdb", records))
    rows = by_district(made)
    waiting = {district: row["awaiting_admission"] for district, row in rows.items()}
    assert waiting == {"中央地区": 2, "南部地区": 0, "西部地区": 1, "市合計": 3}
    assert rows["中央地区"]["at_home"] == HAND["中央地区"]["at_home"]
    assert made.metadata()["waiting_source"] == "cases"
    assert survey(write_log(tmp_path / "counts.duckdb", fixture_log())).waiting_source == (
        "district_counts"
    )


def test_the_phase_picks_the_plan_for_lines_that_leave_secured_out(replica: Path) -> None:
    con = duckdb.connect(str(replica), read_only=True)
    secured = {}
    for phase in ("2", "3", None):
        lines = returns.lines_as_of(con.cursor(), AS_OF, KNOWN_AT, severe=SEVERE, phase=phase)
        secured[phase] = {(x["facility_id"], x["bed_type"]): x["secured"] for x in lines}
    con.close()
    # adult_icu said nothing: phase 3's plan has 10, phase 2's none (so the 8 ready beds).
    assert [secured[p][("HJ-0001", "adult_icu")] for p in ("2", "3", None)] == [8, 10, 8]
    # medical_surgical said 48 itself: the plan (40 or 50) never overrides what a line says.
    assert {secured[p][("HJ-0001", "medical_surgical")] for p in ("2", "3", None)} == {48}


def test_the_csv_has_a_bom_the_form_s_headers_and_matches_its_golden_file(replica: Path) -> None:
    data = returns.render_csv(survey(replica))
    assert data.startswith("\ufeff".encode())
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[:4] == ["全国地方公共団体コード", "都道府県名", "市区町村名", "地区"]
    official = "入院者数 うち重症者数 確保病床数 うち重症者用 即応病床数 病床使用率 重症病床使用率 "
    official += "宿泊療養者数 宿泊療養施設居室数 自宅療養者数 入院等調整中数"
    for name in official.split():
        assert name in header, name
    assert "臨時の医療施設 確保病床数" in header and "入院待機ステーション 確保病床数" in header
    path = GOLDEN / "weekly-survey.csv"
    if UPDATE:
        path.write_bytes(data)
    assert data == path.read_bytes()


def test_the_xlsx_keeps_counts_as_numbers_and_rates_as_percentages(replica: Path) -> None:
    made = survey(replica)
    book = load_workbook(io.BytesIO(returns.render_xlsx(made)))
    sheet = book["weekly-survey"]
    header = [c.value for c in sheet[1]]
    rate = header.index("病床使用率") + 1
    assert sheet.cell(2, header.index("入院者数") + 1).value == 41
    assert sheet.cell(2, rate).value == 0.6613 and sheet.cell(2, rate).number_format == "0.00%"
    about = {row[0].value: row[1].value for row in book["about"].iter_rows(min_row=2)}
    assert about["sha256"] == made.sha256 and about["layout"] == "weekly-survey"


def test_the_same_as_of_and_known_at_give_the_same_hash_and_bytes(replica: Path) -> None:
    first, again = survey(replica), survey(replica)
    assert first.sha256 == again.sha256
    assert returns.render_csv(first) == returns.render_csv(again)
    assert returns.render_xlsx(first) == returns.render_xlsx(again)
    # What arrived after known_at (HJ-0001's hcu at 23:00, received 00:20) changes a later one.
    later = survey(replica, known_at=datetime.fromisoformat("2026-11-25T00:30:00+09:00"))
    assert later.sha256 != first.sha256
    assert by_district(later)["中央地区"]["secured_beds"] == 64  # hcu secured 6, not 4


def test_a_layout_is_a_file_and_a_bad_one_is_named(tmp_path: Path) -> None:
    assert {"weekly-survey", "open-data-district", "open-data-facility"} <= set(returns.layouts())
    (tmp_path / "broken.toml").write_text(
        'title_ja = "x"\ntitle_en = "x"\nfollows = "x"\ngroup_by = ["district"]\n'
        '[[columns]]\nheader = "謎"\nkey = "x"\nmeasure = "nothing"\nja = "x"\nen = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="謎: unknown measure nothing"):
        returns.load("broken", tmp_path)
    with pytest.raises(KeyError, match="known layouts: broken"):
        returns.load("missing", tmp_path)
