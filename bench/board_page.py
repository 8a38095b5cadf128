"""The board page rendered by Streamlit's AppTest in a process of its own, timed, with its RSS.

    python -m bench.board_page --runs N --out FILE   (BEDBOARD_DB names the national replica)

Run apart from the bench so that its peak RSS is the dashboard's alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.core import ROOT

APP = ROOT / "dashboard" / "app.py"
USER = "bench.coordinator"


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS) or its peak so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def render(runs: int) -> dict[str, Any]:
    """Open the app as a coordinator, go to the board, and time each fresh render of it."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bedboard.settings import Settings
    from dashboard import auth
    from dashboard.accounts import UsersFile, users_path
    from producers.identity import Identity

    idle_mb = rss_mb()
    UsersFile(users_path(Settings())).add(USER, "coordinator", None)
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        Identity(USER, "coordinator"), datetime.now(UTC) + timedelta(hours=1), "sso"
    )
    start = time.perf_counter()
    at.run()
    at.switch_page("pages/board.py").run()
    first = time.perf_counter() - start
    _check(at)
    times = []
    for _ in range(runs):
        st.cache_data.clear()  # a render after the cache's TTL: the query runs again
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        _check(at)
    captions = " ".join(c.value for c in at.caption)
    return {
        "first_s": first,
        "render_s": times,
        "caption": captions[:300],
        "idle_rss_mb": idle_mb,
        "peak_rss_mb": rss_mb("VmHWM"),
    }


def _check(at: Any) -> None:
    if at.exception:
        raise RuntimeError("the board page raised: " + "; ".join(e.message for e in at.exception))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.board_page")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    args.out.write_text(json.dumps(render(args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
