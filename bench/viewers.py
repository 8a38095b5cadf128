"""Many viewers: how many signed-in sessions one dashboard process keeps under a 2 s refresh.

For each scale (the demo city fed live from Kafka; a prefecture and the country from prepared
replicas) the real dashboard runs in processes of its own, and `bench.viewer_load` holds
sessions open on the board and the overview over Streamlit's own protocol, each refreshing as
the browser would. A headless Chromium on the same board checks that a protocol session costs
the server what a browser's does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import browser, viewer_check
from bench.core import ROOT, Row, now_utc, python, run_timed
from bench.dashboard import _env as replica_env
from bench.env import Context, child_env
from bench.national import build, national_replica

log = logging.getLogger("bench")
PREFIX = "viewer."
ACCOUNTS = 16  # people with several tabs: each tab signs in on its own (argon2 makes accounts slow)
BOUND_S = 2.0
STOP_S = 10.0  # a step this slow (p95) means the process is swamped: no further step
BUDGET_S = 150.0  # of ramping per scale, to keep `make bench` within its 45 minutes
CHECKED = "country"  # the scale on which Chromium and the protocol client are compared
PREFECTURE = 650  # about the hospitals of one large prefecture (Tokyo has ~640)


@dataclass(frozen=True)
class Scale:
    name: str
    facilities: int
    steps: tuple[int, ...]


def _accounts(data_dir: Path, count: int) -> None:
    """`count` coordinators (viewer.0000 …), written once and copied to the other servers."""
    from bedboard.settings import Settings
    from dashboard.accounts import UsersFile, users_path

    users = UsersFile(users_path(Settings(data_dir=data_dir)))
    for number in range(count):
        users.add(f"{PREFIX}{number:04d}", "coordinator", browser.PASSWORD, replace_existing=True)


def _expect(scale: Scale) -> str:
    """What the board says once it shows every facility of the scale."""
    return f"/ {scale.facilities:,} 施設"


def _servers(
    stack: contextlib.ExitStack, envs: list[dict[str, str]], logs: list[Path]
) -> list[dict[str, Any]]:
    started = []
    for env, log_file in zip(envs, logs, strict=True):
        url, pid = stack.enter_context(browser.dashboard_server(env, log_file))
        started.append({"url": url, "pid": pid})
    return started


def _load(ctx: Context, scale: Scale, servers: list[dict[str, Any]], steps: tuple[int, ...],
          name: str) -> dict[str, Any]:  # fmt: skip
    sizes = ctx.sizes
    plan = {
        "expect": _expect(scale),
        "servers": servers, "user_prefix": PREFIX, "accounts": ACCOUNTS,
        "password": browser.PASSWORD,
        "pages": ["board", ""], "steps": list(steps), "warm_s": sizes.viewers_warm_s,
        "hold_s": sizes.viewers_hold_s, "bound_s": BOUND_S, "stop_s": STOP_S,
        "budget_s": BUDGET_S if not ctx.quick else 30,
    }  # fmt: skip
    folder = ctx.work / "viewers"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.plan.json").write_text(json.dumps(plan))
    out = folder / f"{name}.json"
    argv = python("-m", "bench.viewer_load", "--plan", str(folder / f"{name}.plan.json"),
                  "--out", str(out))  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEDBOARD_")}
    run_timed(argv, env | {"PYTHONPATH": str(ROOT)})
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def _envs(ctx: Context, scale: Scale, folders: list[Path]) -> list[dict[str, str]]:
    """Each process's environment: a replica of its own (as in production), its own data dir."""
    if scale.name == "city":
        from bench.screen import publish
        from producers.demo_city import demo_registry
        from producers.simulator import Simulator

        settings = ctx.settings("viewers")
        now = now_utc()
        registry = demo_registry(now - timedelta(minutes=5))
        simulator = Simulator(registry, seed=int(now.timestamp()))
        publish(settings, [*registry, *(simulator.next_report(now) for _ in range(40))])
        return [child_env(settings, BEDBOARD_DATA_DIR=str(f)) for f in folders]
    if scale.name == "country":
        source = national_replica(ctx)["path"]
    else:
        source = ctx.work / f"{scale.name}.duckdb"
        build(source, scale.facilities, ctx.sizes.national_reports_per_year,
              now_utc().replace(microsecond=0))  # fmt: skip
    envs = []
    for number, folder in enumerate(folders):
        copy = folder / f"replica{number}.duckdb"
        shutil.copyfile(source, copy)
        envs.append(replica_env(copy, folder))
    return envs


def _rows(scale: Scale, ramp: dict[str, Any], two: dict[str, Any] | None) -> list[Row]:
    steps = ramp["steps"]
    if not steps:
        why = ramp.get("swamped_at", {}).get("error", "no step")
        return [Row("viewers", f"{scale.name}: sessions per process", None, "sessions", note=why)]
    passing = [s for s in steps if s["p95_s"] is not None and s["p95_s"] <= BOUND_S]
    best, last = (passing[-1] if passing else None), steps[-1]
    base = ramp["baseline_rss_mb"][0]
    label = f"{scale.name} ({scale.facilities:,} facilities)"
    bound = f"≤ {BOUND_S:g}"
    # The work a refresh costs, where the most sessions share what the process makes once.
    cpu_per = last["server_cpu_s"][0] / max(last["answered"], 1)
    # What a session asks for a second, as its pages' fragments tick (header, page, bell).
    asked = last["refreshes"] / (last["sessions"] * last["seconds"])
    per_core = 1 / (cpu_per * asked)
    rows = [
        Row("viewers", f"{label}: sessions per process, p95 {bound} s",
            best["sessions"] if best else 0, "sessions",
            note=f"steps {_steps(steps)}; half on the board, half on the overview"),
        Row("viewers", f"{label}: server CPU per refresh", cpu_per * 1000, "ms",
            note=f"at {last['sessions']} sessions: {last['server_cpu_s'][0]:.1f} s of CPU for "
            f"{last['answered']} refreshes in {last['seconds']:.0f} s"),
        Row("viewers", f"{label}: viewers per free core", per_core, "sessions",
            note=f"1 / (CPU per refresh × {asked:.2f} refreshes/s a session)"),
        Row("viewers", f"{label}: memory per session",
            (last["rss_mb"][0] - base) / last["sessions"], "MB",
            note=f"RSS {last['rss_mb'][0]:.0f} MB at {last['sessions']} sessions, "
            f"{base:.0f} MB with none"),
    ]  # fmt: skip
    if two is not None and two["steps"]:
        both = two["steps"][-1]
        one = next((s for s in steps if s["sessions"] == both["sessions"]), last)
        rows += [
            Row("viewers", f"{label}: refreshes/s, one process at {one['sessions']} sessions",
                one["answered"] / one["seconds"], "/s", baseline="baseline",
                note=f"p95 {one['p95_s']:.2f} s"),
            Row("viewers", f"{label}: refreshes/s, two processes at {both['sessions']} sessions",
                both["answered"] / both["seconds"], "/s", note=f"p95 {both['p95_s']:.2f} s; "
                f"split evenly; RSS {[round(r) for r in both['rss_mb']]} MB"),
        ]  # fmt: skip
    return rows


def _steps(steps: list[dict[str, Any]]) -> str:
    """Each step's sessions and p95: 2: 0.4 s, 4: 0.9 s, …"""
    return ", ".join(f"{s['sessions']}: {s['p95_s']:.1f} s" for s in steps if s["p95_s"])


def _pages(step: dict[str, Any]) -> str:
    names = {"": "overview"}
    return ", ".join(f"{names.get(p, p)} {v:.2f} s" for p, v in step["p95_by_page"].items())


def _scale(ctx: Context, scale: Scale) -> tuple[list[Row], dict[str, Any]]:
    folders = [ctx.work / f"viewers-{scale.name}-{n}" for n in range(2)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    _accounts(folders[0], ACCOUNTS)
    for folder in folders[1:]:
        shutil.copyfile(folders[0] / "users.json", folder / "users.json")
    envs = _envs(ctx, scale, folders)
    logs = [f / "dashboard.log" for f in folders]
    with contextlib.ExitStack() as stack:
        one = _servers(stack, envs[:1], logs[:1])
        ramp = _load(ctx, scale, one, scale.steps, f"{scale.name}-one")
    checked = None
    if scale.name == CHECKED:
        with contextlib.ExitStack() as stack:
            (server,) = _servers(stack, envs[:1], logs[:1])
            users = (f"{PREFIX}{ACCOUNTS - 1:04d}", f"{PREFIX}{ACCOUNTS - 2:04d}")
            checked = viewer_check.compare(server["url"], server["pid"], users,
                                           _expect(scale), ctx.sizes.viewers_hold_s)  # fmt: skip
    two = None
    if ramp["steps"]:
        with contextlib.ExitStack() as stack:  # the ramp's last step again, over two processes
            both = _servers(stack, envs, logs)
            top = (ramp["steps"][-1]["sessions"],)
            two = _load(ctx, scale, both, top, f"{scale.name}-two")
    rows = _rows(scale, ramp, two) + (_check_rows(checked) if checked else [])
    return rows, {"one": ramp, "two": two, "browser_check": checked}


def _check_rows(found: dict[str, Any]) -> list[Row]:
    per = found["cpu_per_refresh_s"]
    note = "{refreshes} refreshes in {seconds:.0f} s, {cpu_s:.2f} s of server CPU"
    return [
        Row("viewers", "server CPU per refresh: Chromium", per["browser"] * 1000, "ms",
            baseline="baseline", note=note.format(**found["browser"]) + "; one tab on the board"),
        Row("viewers", "server CPU per refresh: protocol client", per["protocol"] * 1000, "ms",
            note=note.format(**found["protocol"]) + "; bench.streamlit_client on the board"),
        Row("viewers", "protocol ÷ Chromium, server CPU per refresh",
            per["protocol"] / per["browser"] if per["browser"] else None, "×", baseline="Chromium",
            note="1.00× would be the same cost; the machine's noise moves this by ±30%"),
    ]  # fmt: skip


def measure(ctx: Context) -> list[Row]:
    if why := browser.available():
        return [Row("viewers", "sessions per process", None, "sessions", note=why)]
    scales = [Scale("city", 8, ctx.sizes.viewers_steps_city),
              Scale("prefecture", PREFECTURE if not ctx.quick else 20, ctx.sizes.viewers_steps),
              Scale("country", ctx.sizes.national_facilities, ctx.sizes.viewers_steps)]  # fmt: skip
    rows: list[Row] = []
    raw = {}
    for scale in scales:
        started = time.monotonic()
        found, raw[scale.name] = _scale(ctx, scale)
        rows += found
        log.info("viewers %s: %.0f s", scale.name, time.monotonic() - started)
    ctx.shared["viewers"] = raw
    return rows
