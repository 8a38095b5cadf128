"""The supervisor of child processes: a stop reaches what a child started, and a child that
ignores SIGTERM is killed at the deadline."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from bedboard import service

# A child that starts a grandchild, writes the grandchild's pid, and waits.
PARENT = """
import subprocess, sys, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN if sys.argv[2] == "stubborn" else signal.SIG_DFL)
grandchild = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])
open(sys.argv[1], "w").write(str(grandchild.pid))
signal.pause()
"""


def started(tmp_path: Path, mood: str) -> tuple[service.Child, int]:
    pid_file = tmp_path / "grandchild.pid"
    child = service.start_child([sys.executable, "-c", PARENT, str(pid_file), mood])
    deadline = time.monotonic() + 30
    tick = threading.Event()  # never set: a pause between looks
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the child did not start its grandchild"
        tick.wait(0.05)
    return child, int(pid_file.read_text())


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state == "Z"  # ended; only its parent (now init) has yet to reap it


def test_a_stop_reaches_the_grandchild_the_child_left_behind(tmp_path: Path) -> None:
    child, grandchild = started(tmp_path, "polite")

    service.stop_children([child], grace_s=20)

    assert child.returncode == -15
    assert gone(grandchild)


def test_a_child_that_ignores_sigterm_is_killed_at_the_deadline(tmp_path: Path) -> None:
    child, grandchild = started(tmp_path, "stubborn")
    began = time.monotonic()

    service.stop_children([child], grace_s=0.5)

    assert 0.5 <= time.monotonic() - began < 10
    assert child.returncode == -9
    assert gone(grandchild)
