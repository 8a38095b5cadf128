"""The board's secured beds and gaps, on the returns' fixture log as it stands now."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest
from test_exports_log import write_log
from test_returns import fixture_log

from consumers import city
from consumers.queries import board
from dashboard import secured

FAR = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = write_log(tmp_path_factory.mktemp("board") / "replica.duckdb", fixture_log())
    con = duckdb.connect(str(path), read_only=True)
    phase, _ = city.phase_as_of(con.cursor(), FAR, FAR)
    table = board(con.cursor()).to_pandas()
    con.close()
    assert phase == "3"
    return secured.with_secured(table, phase)


def test_the_city_now_by_hand(lines: pd.DataFrame) -> None:
    # Now (after the cutoff): HJ-0001's hcu says 1 of 4 with 6 secured; HJ-0002's ICU 2 of 5.
    # Secured: HJ-0001 10 (phase-3 plan) + 48 + 6, HJ-0002 5 + 20 (its ready beds) = 89.
    got = secured.city_beds(lines)
    assert got == secured.CityBeds(
        secured=89, ready=82, occupied=52, oxygen=28, rooms=100, rooms_in_use=61,
        short_facilities=1, short_beds=7,
    )  # fmt: skip
    assert got.occupancy == 0.5843  # 52 / 89


def test_only_hospitals_short_of_their_secured_beds_are_flagged(
    lines: pd.DataFrame,
) -> None:
    short = secured.short_facilities(lines)
    assert short.to_dict("records") == [
        {"facility_id": "HJ-0001", "secured": 64, "ready": 57, "short": 7}
    ]
