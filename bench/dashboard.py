"""Dashboard at national scale: server time to render the board, and the process's peak RSS."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bench import browser
from bench.core import ROOT, Row, median, python, run_timed
from bench.env import Context
from bench.national import national_replica

NO_FEED_ENV = "BEDBOARD_DASHBOARD_NO_FEED"  # dashboard.data's switch: a prepared replica, no Kafka
USER = "bench.dashboard"
SHOWN_S = 180  # the first drawing of 8,000 facilities on a busy machine


def _env(db: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEDBOARD_")}
    return env | {
        "BEDBOARD_DB": str(db),
        "BEDBOARD_DATA_DIR": str(data_dir),
        NO_FEED_ENV: "1",
        "PYTHONPATH": str(ROOT),
    }


def _apptest(ctx: Context, env: dict[str, str], out: Path) -> dict[str, Any]:
    runs = str(ctx.sizes.dashboard_runs)
    run_timed(python("-m", "bench.board_page", "--runs", runs, "--out", str(out)), env)
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def _served(env: dict[str, str], data_dir: Path, facilities: str) -> dict[str, float]:
    """The real server with the board open in Chromium: time to show it, and the peak RSS."""
    from bedboard.settings import Settings
    from dashboard.accounts import UsersFile, users_path

    UsersFile(users_path(Settings(data_dir=data_dir))).add(USER, "coordinator", browser.PASSWORD)
    with browser.dashboard_server(env, data_dir / "dashboard.log") as (url, pid):
        start = time.monotonic()
        with browser.board_in_chromium(url, USER) as page:
            browser.wait_text(page, f"/ {facilities} 施設", SHOWN_S)
            shown = time.monotonic() - start
            return {"shown_s": shown, "peak_rss_mb": browser.peak_rss_mb(pid)}


def _waiting_list(ctx: Context, env: dict[str, str], data_dir: Path) -> Row:
    """The waiting list at a prefecture's scale, on a replica of its own (bench/waiting_page)."""
    out = data_dir / "waiting_page.json"
    runs = str(ctx.sizes.dashboard_runs)
    db = data_dir / "waiting.duckdb"
    run_timed(python("-m", "bench.waiting_page", "--runs", runs, "--db", str(db), "--out",
                     str(out)), env)  # fmt: skip
    found = json.loads(out.read_text())
    return Row("dashboard", "waiting list render (AppTest)", median(found["render_s"]), "s",
               "≤ 1", "", found["render_s"],
               f"{found['open_cases']:,} open cases, {found['facilities']:,} facilities; "
               f"{found['cases_shown']} cases shown with their best beds")  # fmt: skip


def measure(ctx: Context) -> list[Row]:
    if not (ROOT / "dashboard" / "pages" / "board.py").exists():
        return [Row("dashboard", "board render", None, "s", "≤ 1.5", note="no board page yet")]
    built = national_replica(ctx)
    data_dir = ctx.work / "dashboard"
    data_dir.mkdir(exist_ok=True)
    env = _env(built["path"], data_dir)
    found = _apptest(ctx, env, data_dir / "board_page.json")
    facilities = f"{built['facilities']:,}"
    if facilities not in found["caption"]:
        raise AssertionError(f"the board does not show {facilities} facilities: {found['caption']}")
    render = median(found["render_s"])
    board_ms = ctx.shared.get("board_query_ms")
    share = f"; the board query is {board_ms / 1000 / render:.0%} of it" if board_ms else ""
    rows = [
        Row("dashboard", "board page render (AppTest)", render, "s", "≤ 1.5", "board query",
            found["render_s"], f"{facilities} facilities, data cache cleared each run{share}"),
        Row("dashboard", "first open → board (AppTest)", found["first_s"], "s",
            note="opens the replica, renders the overview, then the board"),
        Row("dashboard", "peak RSS (AppTest process)", found["peak_rss_mb"], "MB", "≤ 1536",
            "idle process", note=f"{found['idle_rss_mb']:.0f} MB before the app ran"),
    ]  # fmt: skip
    rows.append(_waiting_list(ctx, env, data_dir))
    if why := browser.available():
        rows.append(Row("dashboard", "peak RSS (streamlit run)", None, "MB", "≤ 1536", note=why))
        return rows
    served = _served(env, data_dir, facilities)
    rows += [
        Row("dashboard", "peak RSS (streamlit run)", served["peak_rss_mb"], "MB", "≤ 1536",
            note="the real server after drawing the board in Chromium"),
        Row("dashboard", "sign-in → board drawn in Chromium", served["shown_s"], "s",
            note=f"{facilities} facilities, the real server, first load"),
    ]  # fmt: skip
    return rows
