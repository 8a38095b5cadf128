"""Every long-running command, started as systemd or docker start it, stops on SIGTERM together
with everything it started, within a deadline, frees its port and exits 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bedboard import broker as local_broker
from bedboard.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
STARTS_WITHIN_S = 90.0  # two cores shared with the other tests: Streamlit alone takes seconds
STOPS_WITHIN_S = 20.0  # bedboard.service.STOP_GRACE_S plus a closing replica, with margin


Up = Callable[[int, Path], bool]  # (its port, its output file): whether it is up


def answers(path: str) -> Up:
    def check(port: int, _: Path) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code < 500
        except httpx.TransportError:
            return False

    return check


def said_something(_: int, output: Path) -> bool:
    """True once the command printed its first line (it does so when it starts its work)."""
    return "\n" in output.read_text()


# name: (arguments after `bedboard`, when it is up)
COMMANDS: dict[str, tuple[list[str], Up]] = {
    "dashboard": (["dashboard"], answers("/_stcore/health")),
    "api": (["api"], answers("/v1/health")),
    "open-feed": (["open-feed"], answers("/open/")),
    "alerts": (["alerts"], said_something),
    "notify": (["notify"], said_something),
    "lapses": (["lapses"], said_something),
    "rollup": (["rollup"], said_something),
    "simulate": (["simulate", "--rate", "5"], said_something),
}
SERVING = {"dashboard", "api", "open-feed"}


def family(root: int) -> set[int]:
    """The process and all its living descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name in parentheses may hold spaces; the fields after it do not.
            state, ppid = stat.rpartition(")")[2].split()[:2]
            if state != "Z":
                parents[int(entry.name)] = int(ppid)
    found = {root}
    grew = True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in found} - found
        found |= more
        grew = bool(more)
    return found & (set(parents) | {root})


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def poll(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    tick = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {within:.0f} s")
        tick.wait(0.1)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_sigterm_stops_the_command_and_all_it_started(
    settings: Settings, tmp_path: Path, name: str
) -> None:
    argv, ready = COMMANDS[name]
    port = local_broker.free_port_pair()
    served = ["--port", str(port)] if name in SERVING else []
    env = os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(settings.data_dir),
        "BEDBOARD_LANG": "en",
        "PYTHONUNBUFFERED": "1",
    }
    output = tmp_path / f"{name}.out"
    with output.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bedboard", *argv, *served],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    started = {process.pid}
    try:
        up = lambda: process.poll() is not None or ready(port, output)  # noqa: E731
        poll(up, STARTS_WITHIN_S, "not up")
        assert process.poll() is None, output.read_text()
        started = family(process.pid)
        if name == "dashboard":  # the case that went on serving: Streamlit is its child
            assert len(started) > 1

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=STOPS_WITHIN_S) == 0, output.read_text()
        poll(lambda: not any(alive(pid) for pid in started), STOPS_WITHIN_S, "children left")
        if name in SERVING:
            poll(lambda: port_free(port), STOPS_WITHIN_S, f"port {port} still taken")
    finally:
        for pid in started | family(process.pid):
            if pid != process.pid and alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.kill()
        process.wait()


def test_sigterm_stops_the_demo_its_four_children_and_its_broker(tmp_path: Path) -> None:
    """`bedboard demo` as people run it: its own broker, the demo city, the simulator, the alert
    and placements processors, the dashboard and the API; one SIGTERM stops them all, the broker
    included."""
    (tmp_path / "jars").symlink_to(ROOT / ".bedboard" / "jars")  # no download in a test
    kafka, web, api = local_broker.free_port_pair(), free_port(), free_port()
    env = os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka}",
        "BEDBOARD_DATA_DIR": str(tmp_path),
        "BEDBOARD_LANG": "en",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("BEDBOARD_DEMO_KEEP_BROKER", None)
    output = tmp_path / "demo.out"
    with output.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bedboard", "demo", "--port", str(web), "--api-port", str(api)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    started = {process.pid}
    try:
        dashboard_up, api_up = answers("/_stcore/health"), answers("/v1/health")

        def up() -> bool:
            return process.poll() is not None or (dashboard_up(web, output) and api_up(api, output))

        poll(up, STARTS_WITHIN_S * 2, "the demo is not up")
        assert process.poll() is None, output.read_text()
        started = family(process.pid)
        # itself, the broker, simulate, alerts, lapses, Streamlit, the API
        assert len(started) >= 7

        process.send_signal(signal.SIGTERM)

        # The children's grace, then the broker's own clean stop (it closes its logs).
        assert process.wait(timeout=STOPS_WITHIN_S + 40) == 0, output.read_text()
        poll(lambda: not any(alive(pid) for pid in started), STOPS_WITHIN_S, "children left")
        for port in (web, api, kafka, kafka + 1):
            poll(lambda port=port: port_free(port), STOPS_WITHIN_S, f"port {port} still taken")
    finally:
        for pid in started | family(process.pid):
            if pid != process.pid and alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
