"""A return read back in: the same return again, from the events it gives, and problems named."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from test_exports_log import write_log
from test_returns import AS_OF, fixture_log, survey

from consumers.exports import opendata, returns
from consumers.rules import Accepted
from producers.from_return import Shape
from producers.from_return import read_return as read_shape
from schemas.events import Actor
from schemas.events_v2 import CapacityReportedV2, DistrictCounted
from schemas.topics import TOPIC_OF_TYPE


def read_return(data: bytes, layout: returns.Layout, actor: Actor) -> tuple[list, list]:
    total = layout.total_label if layout.total else None
    return read_shape(data, Shape(layout.name, layout.header_of_measure, total), actor)


OFFICIAL = Actor(org="health_centre", user="hc.import")
LATER = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_log(tmp_path_factory.mktemp("back") / "replica.duckdb", fixture_log())


def per_facility_csv(path: Path) -> bytes:
    con = duckdb.connect(str(path), read_only=True)
    made = returns.build(
        con.cursor(), returns.load(opendata.FACILITY), as_of=AS_OF, known_at=LATER,
        timezone="Asia/Tokyo", severe=frozenset({"adult_icu", "hcu"}), city_code="132012",
        city_name="八王子市", prefecture="東京都",
    )  # fmt: skip
    con.close()
    return returns.render_csv(made)


def test_the_weekly_survey_gives_back_each_district_s_counts_and_not_the_total(
    replica: Path,
) -> None:
    data = returns.render_csv(survey(replica))
    events, problems = read_return(data, returns.load("weekly-survey"), OFFICIAL)
    assert problems == []
    counts = {e.district: e for e in events if isinstance(e, DistrictCounted)}
    assert set(counts) == {"中央地区", "南部地区", "西部地区"}  # 市合計 is a sum, not a fact
    assert (counts["中央地区"].at_home, counts["中央地区"].in_accommodation) == (120, 58)
    assert counts["南部地区"].in_accommodation is None and counts["西部地区"].at_home == 15
    assert all(e.occurred_at == AS_OF for e in events)
    # Read twice, the same ids: the repeat would be a duplicate, not counted again.
    again, _ = read_return(data, returns.load("weekly-survey"), OFFICIAL)
    assert [e.event_id for e in again] == [e.event_id for e in events]


def test_a_return_by_facility_read_back_makes_the_same_survey(
    replica: Path, tmp_path: Path
) -> None:
    data = per_facility_csv(replica)
    events, problems = read_return(data, returns.load(opendata.FACILITY), OFFICIAL)
    assert problems == []
    reports = {e.facility_id: e for e in events if isinstance(e, CapacityReportedV2)}
    assert set(reports) == {"HJ-0001", "HJ-0002", "AC-0001", "TM-0001", "WS-0001"}
    icu = next(b for b in reports["HJ-0001"].beds if b.bed_type == "adult_icu")
    assert (icu.usable, icu.occupied, icu.secured, icu.oxygen) == (8, 7, 10, 8)
    # A city starting mid-crisis: its registry, the counts and the return read back.
    counts, _ = read_return(
        returns.render_csv(survey(replica)), returns.load("weekly-survey"), OFFICIAL
    )
    registry = [(t, r) for t, r in fixture_log() if r.event.type == "facility.registered"]  # type: ignore[attr-defined]
    read_back = [
        (TOPIC_OF_TYPE[e.type], Accepted(e, LATER, 0, 100 + i))  # type: ignore[attr-defined]
        for i, e in enumerate([*events, *counts])
    ]
    fresh = write_log(tmp_path / "fresh.duckdb", registry + read_back)
    original = survey(replica, known_at=LATER - timedelta(days=1))
    rebuilt = survey(fresh, known_at=LATER)
    drop = {"phase"}  # the phase is the city's word, not in a return
    assert [{k: v for k, v in r.items() if k not in drop} for r in rebuilt.rows] == [
        {k: v for k, v in r.items() if k not in drop} for r in original.rows
    ]


def test_the_xlsx_of_a_return_reads_back_like_its_csv(replica: Path) -> None:
    made = survey(replica)
    from_csv, _ = read_return(returns.render_csv(made), made.layout, OFFICIAL)
    from_xlsx, problems = read_return(returns.render_xlsx(made), made.layout, OFFICIAL)
    assert problems == [] and from_xlsx == from_csv
    assert load_workbook(io.BytesIO(returns.render_xlsx(made)))  # a real workbook


def test_a_shift_jis_return_is_read_and_bad_cells_are_named_by_column_and_row(
    replica: Path,
) -> None:
    text = returns.render_csv(survey(replica)).decode("utf-8-sig")
    text = text.replace(",120,9,", ",百二十,9,")  # 中央地区's 自宅療養者数, typed in words
    events, problems = read_return(text.encode("cp932"), returns.load("weekly-survey"), OFFICIAL)
    assert len(events) == 2  # 南部 and 西部; 中央 is refused whole, not half-read
    (problem,) = problems
    assert problem.row == 2
    assert problem.message("ja") == "2行目: 自宅療養者数: 整数にしてください"
    assert problem.message("en") == "row 2: 自宅療養者数: must be a whole number"


def test_a_file_of_another_layout_is_refused_naming_the_missing_columns() -> None:
    data = "施設ID,病床区分コード\nHJ-0001,adult_icu\n".encode()
    events, (problem,) = read_return(data, returns.load("weekly-survey"), OFFICIAL)
    assert events == [] and "自宅療養者数" in problem.message("ja")
    assert problem.message("en").startswith("row 1: the columns of layout weekly-survey")
