"""Many viewers on running dashboards: step the number of sessions up, time every refresh.

    python -m bench.viewer_load --plan FILE --out FILE

The plan (JSON) names the servers (url, pid), the accounts (prefix, how many, password), the
pages, the steps and how long each is held. Each step adds signed-in viewers (split evenly over the
servers, pages taken in turn) and then, for `hold_s`, records every fragment refresh they ask
for, the servers' CPU time and their resident memory. It stops after the first step whose
p95 refresh exceeds `stop_s`, or once `budget_s` has passed. Run apart from the bench so that
its work is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.core import percentile
from bench.streamlit_client import ProtocolError, Viewer, signed_in_tab

SIGN_INS_AT_ONCE = 4  # people signing in together; argon2 makes each one cost the server ~0.1 s
LATE_S = 10.0  # after a window, how long unanswered refreshes may still finish


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Crowd:
    """The viewers open on the servers, added a step at a time."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.viewers: list[tuple[int, str, Viewer]] = []  # (server index, page, viewer)

    async def grow(self, total: int) -> None:
        gate = asyncio.Semaphore(SIGN_INS_AT_ONCE)
        servers, pages = self.plan["servers"], self.plan["pages"]

        async def one(number: int) -> None:
            server = number % len(servers)
            page = pages[(number // len(servers)) % len(pages)]
            url = servers[server]["url"]
            async with gate:
                account = f"{self.plan['user_prefix']}{number % self.plan['accounts']:04d}"
                viewer = await signed_in_tab(url, account, self.plan["password"], page)
            self.viewers.append((server, page, viewer))

        await asyncio.gather(*(one(n) for n in range(len(self.viewers), total)))

    async def close(self) -> None:
        await asyncio.gather(*(v.close() for _, _, v in self.viewers), return_exceptions=True)


async def hold(crowd: Crowd, seconds: float) -> dict[str, Any]:
    """Every refresh asked for in the next `seconds`, and what it cost the servers."""
    pids = [s["pid"] for s in crowd.plan["servers"]]
    cpu0 = [cpu_s(p) for p in pids]
    client0 = time.process_time()
    start = time.monotonic()
    await asyncio.sleep(seconds)
    end = time.monotonic()
    cpu = [cpu_s(p) - c for p, c in zip(pids, cpu0, strict=True)]
    client = time.process_time() - client0
    rss = [rss_mb(p) for p in pids]
    deadline = end + LATE_S
    while time.monotonic() < deadline and any(v.waiting(start, end) for _, _, v in crowd.viewers):
        await asyncio.sleep(0.1)  # answers still on their way; bounded by LATE_S
    times: list[float] = []
    by_page: dict[str, list[float]] = {}
    answered = 0
    for _, page, viewer in crowd.viewers:
        mine = viewer.window(start, end, time.monotonic())
        times += mine
        by_page.setdefault(page, []).extend(mine)
        answered += sum(start <= r.sent < end for r in viewer.refreshes)
    return {
        "sessions": len(crowd.viewers),
        "seconds": end - start,
        "refreshes": len(times),
        "answered": answered,  # within LATE_S of the window's end
        "p50_s": percentile(times, 50) if times else None,
        "p95_s": percentile(times, 95) if times else None,
        "max_s": max(times) if times else None,
        "p95_by_page": {p: percentile(t, 95) for p, t in by_page.items() if t},
        "server_cpu_s": cpu,
        "rss_mb": rss,
        # The same two cores run these clients and whatever else the machine does: say how much.
        "client_cpu_s": client,
        "load_average_1m": os.getloadavg()[0],
    }


async def shows(viewer: Viewer, text: str, timeout_s: float = 180) -> None:
    """Until the board says what it must (a fed replica may still be catching up)."""
    deadline = time.monotonic() + timeout_s
    while text not in viewer.text():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the board never showed {text!r}: {viewer.text()[:300]}")
        await asyncio.sleep(1)  # a person reloading; bounded by the deadline
        await viewer.run()


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    pids = [s["pid"] for s in plan["servers"]]
    began = time.monotonic()
    crowd = Crowd(plan)
    found: dict[str, Any] = {"steps": []}
    try:
        # One person first: the servers load their code and caches; then none, for the baseline.
        await crowd.grow(len(plan["servers"]))
        for _, _, viewer in crowd.viewers:
            await shows(viewer, plan["expect"])
        await asyncio.sleep(plan["warm_s"])
        await crowd.close()
        crowd.viewers.clear()
        await asyncio.sleep(plan["warm_s"])
        found["baseline_rss_mb"] = [rss_mb(p) for p in pids]
        for sessions in plan["steps"]:
            ramped = time.monotonic()
            try:
                await crowd.grow(sessions)
            except (TimeoutError, ProtocolError, OSError) as error:
                # New tabs could not even open: the process is swamped; the last step stands.
                found["swamped_at"] = {"sessions": sessions, "error": repr(error)[:300]}
                break
            await asyncio.sleep(plan["warm_s"])  # the new sessions' first loads settle
            step = await hold(crowd, plan["hold_s"]) | {"ramp_s": time.monotonic() - ramped}
            found["steps"].append(step)
            sys.stderr.write(json.dumps(step) + "\n")  # progress for whoever watches the log
            # Past the bound the steps go on (the throughput at saturation is the capacity of
            # a core), until the process is swamped or the time is up.
            swamped = step["p95_s"] is None or step["p95_s"] > plan["stop_s"]
            if swamped or time.monotonic() - began > plan["budget_s"]:
                break
    finally:
        await crowd.close()
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.viewer_load")
    p.add_argument("--plan", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    found = asyncio.run(run(json.loads(args.plan.read_text())))
    args.out.write_text(json.dumps(found, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
