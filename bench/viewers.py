"""Many viewers: how many signed-in sessions one dashboard process keeps under a 2 s refresh.

For each scale (the demo city fed live from Kafka; a prefecture and the country from prepared
replicas) the real dashboard runs in processes of its own, and `bench.viewer_load` holds
sessions open on the board and the overview over Streamlit's own protocol, each refreshing as
the browser would. A headless Chromium on the same board checks that a protocol session costs
the server what a browser's does. At a prefecture's scale the same ramp runs again over two
processes, the sessions split evenly: the sessions both serve within the bound, against one.
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
# The first step past the bound ends a ramp: the processes are saturated there, which is where
# the CPU a refresh costs is read, and further steps would only spend the bench's 45 minutes.
STOP_S = BOUND_S
CHECKED = "country"  # the scale on which Chromium and the protocol client are compared
PREFECTURE = 650  # about the hospitals of one large prefecture (Tokyo has ~640)


@dataclass(frozen=True)
class Scale:
    name: str
    facilities: int
    steps: tuple[int, ...]
    two: bool = False  # ramped again over two processes: what a second process adds


def accounts(data_dir: Path, count: int, prefix: str = PREFIX) -> None:
    """`count` coordinators (viewer.0000 …), written once and copied to the other servers."""
    from bedboard.settings import Settings
    from dashboard.accounts import UsersFile, users_path

    users = UsersFile(users_path(Settings(data_dir=data_dir)))
    for number in range(count):
        users.add(f"{prefix}{number:04d}", "coordinator", browser.PASSWORD, replace_existing=True)


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
        # Two processes have about twice the sessions to find: twice the time to find them.
        "budget_s": sizes.viewers_budget_s * len(servers),
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


def _best(ramp: dict[str, Any]) -> tuple[int, str]:
    """The most sessions a ramp held with p95 within the bound, and "at least " when no step failed
    (the ramp ran out of steps or time, not of capacity)."""
    steps = ramp["steps"]
    passing = [s for s in steps if s["p95_s"] is not None and s["p95_s"] <= BOUND_S]
    failed = len(passing) < len(steps) or "swamped_at" in ramp
    return (passing[-1]["sessions"] if passing else 0), ("" if failed else "at least ")


def _rows(scale: Scale, ramp: dict[str, Any]) -> list[Row]:
    steps = ramp["steps"]
    if not steps:
        why = ramp.get("swamped_at", {}).get("error", "no step")
        return [Row("viewers", f"{scale.name}: sessions per process", None, "sessions", note=why)]
    best, at_least = _best(ramp)
    last = steps[-1]
    base = ramp["baseline_rss_mb"][0]
    label = f"{scale.name} ({scale.facilities:,} facilities)"
    # The work a refresh costs, where the most sessions share what the process makes once.
    cpu_per = last["server_cpu_s"][0] / max(last["answered"], 1)
    # What a session asks for a second, as its pages' fragments tick (header, page, bell).
    asked = last["refreshes"] / (last["sessions"] * last["seconds"])
    per_core = 1 / (cpu_per * asked)
    return [
        Row("viewers", f"{label}: sessions per process, p95 ≤ {BOUND_S:g} s", best, "sessions",
            note=f"{at_least and f'at least {best}: no step failed; '}steps {_steps(steps)}; "
            "half on the board, half on the "
            f"overview ({_pages(last)} at the last step); load average {_loads(steps)}"),
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


def _two_rows(scale: Scale, one: dict[str, Any], two: dict[str, Any]) -> list[Row]:
    """Sessions within the bound on two processes (clients split evenly) against one."""
    label = f"{scale.name} ({scale.facilities:,} facilities)"
    (alone, alone_min), (both, both_min) = _best(one), _best(two)
    alone_note, both_note = alone_min and f"at least {alone}; ", both_min and f"at least {both}; "
    last = two["steps"][-1] if two["steps"] else None
    cpu = ""
    if last:
        per = [c / max(last["answered"] / 2, 1) * 1000 for c in last["server_cpu_s"]]
        cpu = (f"; at {last['sessions']} sessions each process spent "
               f"{', '.join(f'{c:.0f}' for c in per)} ms of CPU per refresh (half of them each), "
               f"the clients {last['client_cpu_s']:.1f} s in {last['seconds']:.0f} s")  # fmt: skip
    return [
        Row("viewers", f"{label}: sessions with p95 ≤ {BOUND_S:g} s, one process", alone,
            "sessions", baseline="baseline", note=f"{alone_note}the ramp above"),
        Row("viewers", f"{label}: sessions with p95 ≤ {BOUND_S:g} s, two processes", both,
            "sessions", note=f"{both_note}sessions split evenly, the same steps; "
            f"steps {_steps(two['steps'])}; load average {_loads(two['steps'])}{cpu}"),
        Row("viewers", f"{label}: two processes ÷ one, sessions within the bound",
            both / alone if alone else None, "×", baseline="one process",
            note=f"{os.cpu_count()} cores, shared with the clients and the rest of the machine: "
            "two single-threaded servers can at best use both, 2× at most"),
    ]  # fmt: skip


def _loads(steps: list[dict[str, Any]]) -> str:
    loads = [s["load_average_1m"] for s in steps if "load_average_1m" in s]
    return f"{min(loads):.1f}-{max(loads):.1f}" if loads else "?"


def _steps(steps: list[dict[str, Any]]) -> str:
    """Each step's sessions and p95: 2: 0.4 s, 4: 0.9 s, …"""
    return ", ".join(f"{s['sessions']}: {s['p95_s']:.1f} s" for s in steps if s["p95_s"])


def _pages(step: dict[str, Any]) -> str:
    names = {"": "overview"}
    return ", ".join(f"{names.get(p, p)} {v:.2f} s" for p, v in step["p95_by_page"].items())


def _scale(ctx: Context, scale: Scale) -> tuple[list[Row], dict[str, Any]]:
    folders = [ctx.work / f"viewers-{scale.name}-{n}" for n in range(2 if scale.two else 1)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    accounts(folders[0], ACCOUNTS)
    for folder in folders[1:]:
        shutil.copyfile(folders[0] / "users.json", folder / "users.json")
    envs = _envs(ctx, scale, folders)
    logs = [f / "dashboard.log" for f in folders]
    with contextlib.ExitStack() as stack:
        one = _servers(stack, envs[:1], logs[:1])
        ramp = _load(ctx, scale, one, scale.steps, f"{scale.name}-one")
    rows = _rows(scale, ramp)
    found: dict[str, Any] = {"one": ramp}
    if scale.name == CHECKED:
        with contextlib.ExitStack() as stack:
            (server,) = _servers(stack, envs[:1], logs[:1])
            users = (f"{PREFIX}{ACCOUNTS - 1:04d}", f"{PREFIX}{ACCOUNTS - 2:04d}")
            found["browser_check"] = viewer_check.compare(
                server["url"], server["pid"], users, _expect(scale), ctx.sizes.viewers_hold_s
            )
            rows += _check_rows(found["browser_check"])
    if scale.two:
        with contextlib.ExitStack() as stack:  # the same ramp, the sessions split over two
            both = _servers(stack, envs, logs)
            found["two"] = _load(ctx, scale, both, scale.steps, f"{scale.name}-two")
        rows += _two_rows(scale, ramp, found["two"])
    return rows, found


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
    sizes = ctx.sizes
    scales = [Scale("city", 8, sizes.viewers_steps_city),
              Scale("prefecture", PREFECTURE if not ctx.quick else 20,
                    sizes.viewers_steps_prefecture, two=True),
              Scale("country", sizes.national_facilities, sizes.viewers_steps_country)]  # fmt: skip
    rows: list[Row] = []
    raw = {}
    for scale in scales:
        started = time.monotonic()
        found, raw[scale.name] = _scale(ctx, scale)
        rows += found
        log.info("viewers %s: %.0f s", scale.name, time.monotonic() - started)
    ctx.shared["viewers"] = raw
    return rows
