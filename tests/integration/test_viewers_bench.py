"""The many-viewers bench's client on a real dashboard: it signs in and refreshes as a browser.

Timings prove nothing on a shared machine; that the sessions are real and refresh does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench import browser, viewer_load
from bench.dashboard import _env
from bench.national import build
from bench.streamlit_client import Viewer, sign_in

FACILITIES = 30
USER = "viewer.0000"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The real dashboard on a prepared replica of 30 facilities, with two coordinators."""
    from bedboard.settings import Settings
    from dashboard.accounts import UsersFile, users_path

    folder = tmp_path_factory.mktemp("viewers")
    replica = build(folder / "replica.duckdb", FACILITIES, 4, datetime.now(UTC))["path"]
    users = UsersFile(users_path(Settings(data_dir=folder)))
    for number in range(2):
        users.add(f"viewer.{number:04d}", "coordinator", browser.PASSWORD)
    with browser.dashboard_server(_env(Path(replica), folder), folder / "dashboard.log") as (
        url,
        pid,
    ):
        yield {"url": url, "pid": pid}


async def _board_refreshes(url: str) -> Viewer:
    viewer = Viewer(url, await sign_in(url, USER, browser.PASSWORD))
    await viewer.open("board")
    deadline = time.monotonic() + 120
    while len({r.fragment_id for r in viewer.refreshes}) < 2:  # the header's and the board's
        assert time.monotonic() < deadline, "no refresh of both fragments within 2 minutes"
        await asyncio.sleep(0.2)  # the fragments' own 5-second timers; bounded by the deadline
    await viewer.close()
    return viewer


def test_a_protocol_viewer_signs_in_and_its_board_refreshes(server: dict[str, Any]) -> None:
    viewer = asyncio.run(_board_refreshes(server["url"]))

    assert f"/ {FACILITIES} 施設" in viewer.text()  # signed in: the board, not the sign-in form
    assert all(r.seconds > 0 for r in viewer.refreshes)
    # What Chromium sends with every refresh: the widgets of the page as drawn.
    assert {"board_sort", "board_search", "lang"} <= {
        state.rsplit("-", 1)[-1] for state in viewer._widgets
    }


def test_the_load_steps_up_and_reports_refreshes_cpu_and_memory(server: dict[str, Any]) -> None:
    plan = {
        "servers": [server], "user_prefix": "viewer.", "accounts": 2,
        "password": browser.PASSWORD, "pages": ["board", ""], "steps": [2],
        "warm_s": 1, "hold_s": 6, "bound_s": 1000, "stop_s": 1000, "budget_s": 60,
        "expect": f"/ {FACILITIES} 施設",
    }  # fmt: skip

    found = asyncio.run(viewer_load.run(plan))

    (step,) = found["steps"]
    assert step["sessions"] == 2
    assert step["refreshes"] >= 2 and step["p95_s"] >= step["p50_s"] > 0
    assert set(step["p95_by_page"]) == {"board", ""}
    assert step["rss_mb"][0] > found["baseline_rss_mb"][0] * 0.5 > 0
    assert step["server_cpu_s"][0] > 0


def test_the_soak_samples_memory_bytes_refreshes_and_python_s_objects(tmp_path: Path) -> None:
    from bench import soak

    out = tmp_path / "soak.json"
    soak.main(["--work", str(tmp_path), "--out", str(out), "--facilities", str(FACILITIES),
               "--reports-per-year", "4", "--sessions", "2", "--minutes", "0.3",
               "--sample-s", "5", "--warm-s", "2", "--probe"])  # fmt: skip
    found = json.loads(out.read_text())

    samples = found["samples"]
    assert len(samples) >= 4 and all(s["rss_mb"] > 50 for s in samples)
    assert set(samples[-1]["pages"]) == {"board", "overview"}  # one session on each
    done = [sum(p["refreshes"] for p in s["pages"].values()) for s in samples]
    assert done == sorted(done) and done[-1] > done[0]  # the sessions kept refreshing
    summary = found["summary"]
    assert summary["refreshes"] == done[-1] - done[0]
    assert all(summary[page]["bytes_per_refresh"] > 0 for page in ("board", "overview"))
    assert summary["rss_mb"]["second_half"]["peak"] >= summary["rss_mb"]["second_half"]["floor"]
    # The probe ran inside the server: Python's own count of what it holds, by type.
    assert found["probe"] and all(p["blocks"] > 0 and p["tracked"] > 0 for p in found["probe"])
    assert "dict" in dict(found["probe"][-1]["top"])
