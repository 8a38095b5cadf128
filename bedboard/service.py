"""Long-running commands as services: SIGTERM or Ctrl-C stops them and all they started, cleanly.

systemd and `docker stop` send SIGTERM and, after a grace period, SIGKILL. Every long-running
command therefore stops on SIGTERM as on Ctrl-C: it finishes what it is doing, passes the signal
on to the processes it started, waits for them within STOP_GRACE_S, and exits 0 (a stop that was
asked for is not a failure, so systemd needs no SuccessExitStatus=143).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence

log = logging.getLogger(__name__)
Child = subprocess.Popen[bytes]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Below docker's default 10 s and the compose file's stop_grace_period, so that a child that hangs
# is killed by us, with a line in the log, rather than by the container runtime.
STOP_GRACE_S = 8.0
KILLED_WITHIN_S = 5.0
POLL_S = 0.5  # how often a supervisor looks whether a child ended on its own


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """While inside, SIGTERM and Ctrl-C set `stop` instead of ending the process at once."""
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers belong to the main thread; a caller there owns them
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_child(argv: Sequence[str]) -> Child:
    """A child in a process group of its own, so that a stop reaches everything it starts too
    (a browser for exports, say) and a terminal's Ctrl-C reaches it once, through us."""
    return subprocess.Popen(list(argv), start_new_session=True)


def stop_children(children: Sequence[Child], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM to each child's process group, then SIGKILL to what is left at the deadline."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    _wait_for(children, grace_s)
    for child in children:
        if _running(child):
            log.warning("pid %d ignored SIGTERM for %.0f s; killing it", child.pid, grace_s)
            _signal_group(child, signal.SIGKILL)
    _wait_for(children, KILLED_WITHIN_S)  # SIGKILL is final, but not instantaneous
    for child in children:
        child.wait()


def _wait_for(children: Sequence[Child], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    tick = threading.Event()  # never set: a wait that sleeps between looks
    while any(_running(child) for child in children) and time.monotonic() < deadline:
        tick.wait(0.05)


def supervise(children: Sequence[Child], stop: threading.Event) -> bool:
    """Wait until `stop` is set or a child ends on its own; then stop them all. True if asked."""
    try:
        while not stop.wait(POLL_S):
            if any(child.poll() is not None for child in children):
                break
        return stop.is_set()
    finally:
        stop_children(children)


def run_child(argv: Sequence[str]) -> int:
    """Run one child until it ends or we are told to stop; 0 after a stop, else its exit code."""
    with stop_on_signals(threading.Event()) as stop:
        child = start_child(argv)
        asked = supervise([child], stop)
    return 0 if asked else child.returncode


def _running(child: Child) -> bool:
    """Whether the child or anything in its process group (what it started) still runs."""
    if child.poll() is None:
        return True
    # What it started is ours to reap where we are PID 1 (a container without an init).
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-child.pid, os.WNOHANG)[0]:
            pass
    return _group_alive(child.pid)


def _signal_group(child: Child, signum: int) -> None:
    # The group's id is the child's pid (start_new_session). Linux never gives a pid that is
    # still some group's id to a new process, so a group that is alive is still ours.
    if _running(child):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
