"""Every bench measure, at tiny sizes on the session's broker, so that none of them rots.

Only that each runs and yields numbers is checked: timings on a shared machine prove nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench import api, dashboard, latency, national, replay, screen, startup
from bench.cli import main
from bench.core import QUICK, Row
from bench.env import Context


@pytest.fixture
def ctx(broker: str, broker_credentials: Path, tmp_path: Path) -> Context:
    return Context(broker, tmp_path, QUICK, quick=True, credentials=broker_credentials)


def numbers(rows: list[Row]) -> dict[str, float]:
    """The rows by metric, each a finite number (a failed or missing measure has none)."""
    found = {}
    for row in rows:
        assert row.value is not None, f"{row.measure} / {row.metric}: {row.note}"
        assert math.isfinite(row.value) and row.value > 0, row
        found[row.metric] = row.value
    return found


def test_replay_compares_the_roll_up_with_both_baselines(ctx: Context) -> None:
    found = numbers(replay.measure(ctx))

    assert {"rollup ÷ bare loop", "rollup ÷ naive", "rollup ÷ quixstreams peer"} <= found.keys()
    assert found["rollup ÷ bare loop"] == pytest.approx(
        found["rollup events/s"] / found["bare consume loop events/s"], rel=1
    )


def test_a_new_replica_starts_from_a_checkpoint(ctx: Context) -> None:
    found = numbers(startup.measure(ctx))

    assert {"first board, replaying the log", "first board, from a checkpoint"} <= found.keys()


def test_live_latency_sees_every_report_in_the_replica(ctx: Context) -> None:
    found = numbers(latency.measure(ctx))

    assert found["send → queryable p99"] >= found["send → queryable p50"]


def test_the_api_measure_compares_the_api_with_publish(ctx: Context) -> None:
    found = numbers(api.measure(ctx))

    assert found["API ÷ publish"] == pytest.approx(
        found["API submissions/s"] / found["bedboard publish events/s"], rel=1
    )
    assert found["time to 202 p99"] >= found["time to 202 p50"]


def test_national_queries_run_on_the_generated_replica(ctx: Context) -> None:
    found = numbers(national.measure(ctx))

    assert "30-day district trend (queries.trend)" in found


@pytest.mark.browser
def test_the_board_page_renders_every_facility_of_the_national_replica(ctx: Context) -> None:
    found = numbers(dashboard.measure(ctx))

    assert found["peak RSS (streamlit run)"] > 0


@pytest.mark.browser
def test_a_sent_report_reaches_the_screen(ctx: Context) -> None:
    found = numbers(screen.measure(ctx))

    assert found["send → new number on screen"] >= found["send → queryable in a replica"]


def test_python_m_bench_writes_results_and_docs(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"

    code = main(
        ["--quick", "--only", "queries", "--results-dir", str(tmp_path), "--docs", str(docs)]
    )

    assert code == 0
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert "| queries | board (queries.board) |" in docs.read_text()
