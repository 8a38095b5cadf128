"""Days of viewing compressed into minutes: does a dashboard process's memory level off?

    python -m bench.soak --work /tmp/viewers-work --minutes 10 --sessions 12

Builds (or reuses) the national replica in `--work`, starts the real dashboard on a copy of it,
signs in `--sessions` protocol sessions (`bench.streamlit_client`), half on the board and half
on the overview, and holds them for `--minutes`, each refreshing as a browser does. Every
`--sample-s` it writes the server's resident memory, its CPU, the refreshes answered and the
bytes the sessions received so far, per page; the JSON goes to `--out`. Streamlit's full GC
after each run is off (`runner.postScriptGC`), so this is the check that nothing piles up.
Run apart from `make bench`: its length is the point.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench import browser
from bench.core import now_utc
from bench.dashboard import _env as replica_env
from bench.national import build
from bench.streamlit_client import signed_in_tab
from bench.viewer_load import Crowd, cpu_s, rss_mb, shows
from bench.viewers import accounts

PREFIX = "soak."
ACCOUNTS = 8
PAGES = {"board": "board", "overview": ""}
PROBE = Path(__file__).with_name("soak_probe")  # names in the output -> URL paths


def replica(work: Path, facilities: int, per_year: int) -> Path:
    """The national replica in `work`, built once and reused by later runs."""
    path = work / f"national-{facilities}.duckdb"
    if not path.exists():
        build(path, facilities, per_year, now_utc().replace(microsecond=0))
    return path


def _sample(crowd: Crowd, pid: int, began: float) -> dict[str, Any]:
    by_page: dict[str, dict[str, float]] = {}
    for _, page, viewer in crowd.viewers:
        name = next(n for n, p in PAGES.items() if p == page)
        seen = by_page.setdefault(name, {"sessions": 0, "refreshes": 0, "bytes": 0})
        seen["sessions"] += 1
        seen["refreshes"] += len(viewer.refreshes)
        seen["bytes"] += viewer.received_bytes
    return {"at_s": time.monotonic() - began, "rss_mb": rss_mb(pid), "cpu_s": cpu_s(pid),
            "pages": by_page}  # fmt: skip


async def soak(url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    plan = {"servers": [{"url": url, "pid": pid}], "user_prefix": PREFIX, "accounts": ACCOUNTS,
            "password": browser.PASSWORD, "pages": [PAGES[p] for p in args.pages]}  # fmt: skip
    crowd = Crowd(plan)
    found: dict[str, Any] = {"sessions": args.sessions, "pages": args.pages, "samples": []}
    try:
        # The board says when the replica is read whole; then the sessions of the soak.
        first = await signed_in_tab(url, f"{PREFIX}0000", browser.PASSWORD, "board")
        await shows(first, f"/ {args.facilities:,} 施設")
        await first.close()
        await crowd.grow(args.sessions)
        await asyncio.sleep(args.warm_s)  # the first loads settle: counted from here
        began = time.monotonic()
        found["samples"].append(_sample(crowd, pid, began))
        while time.monotonic() - began < args.minutes * 60:
            await asyncio.sleep(args.sample_s)
            sample = _sample(crowd, pid, began)
            found["samples"].append(sample)
            sys.stderr.write(json.dumps(sample) + "\n")
    finally:
        await crowd.close()
    return found


def summary(found: dict[str, Any]) -> dict[str, Any]:
    """Per page: bytes and server CPU per refresh over the hold; RSS growth per 1,000 refreshes."""
    first, last = found["samples"][0], found["samples"][-1]
    out: dict[str, Any] = {}
    refreshes = 0
    for page, seen in last["pages"].items():
        done = seen["refreshes"] - first["pages"][page]["refreshes"]
        sent = seen["bytes"] - first["pages"][page]["bytes"]
        refreshes += done
        seconds = (last["at_s"] - first["at_s"]) * seen["sessions"]
        out[page] = {"refreshes": done, "bytes_per_refresh": sent / max(done, 1),
                     "bytes_per_session_second": sent / max(seconds, 1e-9)}  # fmt: skip
    out["server_cpu_ms_per_refresh"] = (last["cpu_s"] - first["cpu_s"]) / max(refreshes, 1) * 1000
    # RSS is a sawtooth (a slot's shared frames live until the next slot's replace them): what
    # would show a leak is the floor rising, so each half's lowest and highest sample.
    samples = found["samples"]
    halves = samples[: len(samples) // 2], samples[len(samples) // 2 :]
    floors = [min(s["rss_mb"] for s in half) for half in halves]
    peaks = [max(s["rss_mb"] for s in half) for half in halves]
    out["rss_mb"] = {"first_half": {"floor": floors[0], "peak": peaks[0]},
                     "second_half": {"floor": floors[1], "peak": peaks[1]}}  # fmt: skip
    between = _refreshes(halves[1][0]) - _refreshes(halves[0][0])
    out["floor_growth_mb_per_1000_refreshes"] = (floors[1] - floors[0]) / max(between, 1) * 1000
    out["refreshes"] = refreshes
    return out


def _refreshes(sample: dict[str, Any]) -> int:
    return sum(int(page["refreshes"]) for page in sample["pages"].values())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    p.add_argument("--work", type=Path, default=Path("/tmp/bedboard-soak"))
    p.add_argument("--out", type=Path)
    p.add_argument("--facilities", type=int, default=8_000)
    p.add_argument("--reports-per-year", type=int, default=156)
    p.add_argument("--sessions", type=int, default=12)
    p.add_argument("--pages", nargs="+", choices=tuple(PAGES), default=tuple(PAGES))
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--sample-s", type=float, default=30)
    p.add_argument("--warm-s", type=float, default=10)
    p.add_argument("--probe", action="store_true",
                   help="sample Python's own blocks and objects in the server too")  # fmt: skip
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    source = replica(args.work, args.facilities, args.reports_per_year)
    folder = args.work / "soak"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    accounts(folder, ACCOUNTS, PREFIX)
    copy = folder / "replica.duckdb"
    shutil.copyfile(source, copy)
    env = replica_env(copy, folder)
    probe = folder / "probe.jsonl"
    if args.probe:  # bench/soak_probe's sitecustomize runs in the server
        env |= {"PYTHONPATH": f"{PROBE}{os.pathsep}{env['PYTHONPATH']}",
                "BEDBOARD_SOAK_PROBE": str(probe),
                "BEDBOARD_SOAK_PROBE_S": str(args.sample_s)}  # fmt: skip
    with contextlib.ExitStack() as stack:
        url, pid = stack.enter_context(browser.dashboard_server(env, folder / "dashboard.log"))
        found = asyncio.run(soak(url, pid, args))
    if probe.exists():
        found["probe"] = [json.loads(line) for line in probe.read_text().splitlines()]
    found["summary"] = summary(found)
    found["load_average_1m"] = os.getloadavg()[0]
    out = args.out or args.work / "soak.json"
    out.write_text(json.dumps(found, indent=1))
    print(json.dumps(found["summary"], indent=1))  # noqa: T201 - the command's answer
    return 0


if __name__ == "__main__":
    sys.exit(main())
