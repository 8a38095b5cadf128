"""Live latency: reports at a steady rate, from send until queryable in a LiveReplica here."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bedboard.settings import Settings
from bench.core import ROOT, Row, StepFailed, percentile, python
from bench.env import Context, child_env
from bench.stages import rollup_gc
from consumers.replica import LiveReplica

log = logging.getLogger("bench")
POLL_S = 0.005  # how often the replica is asked; adds up to this much to each latency
GRACE_S = 60.0  # how long after the last send a report may still arrive


def wait_for(
    condition: Callable[[], object], timeout: float, what: str, step: float = 0.05
) -> None:
    """Poll until condition() holds; raise StepFailed naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() >= deadline:
            raise StepFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        pause.wait(step)


def fresh(path: Path) -> Path:
    """A replica path with nothing left from an earlier run in a reused --work folder."""
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    return path


def _start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen[bytes], timeout: float, out: Path) -> Any:
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise StepFailed(f"{process.args!r} did not finish in {timeout:.0f} s") from None
    if process.returncode != 0:
        raise StepFailed(f"{process.args!r} exited {process.returncode}: {err.decode()[-1500:]}")
    return json.loads(out.read_text())


def measure(ctx: Context) -> list[Row]:
    settings = ctx.settings("latency")
    # The GC settings the dashboard gives its process before it starts its replica.
    with rollup_gc():
        replica = LiveReplica(settings, fresh(settings.data_dir / "latency.duckdb")).start()
        return _measure(ctx, settings, replica)


def _measure(ctx: Context, settings: Settings, replica: LiveReplica) -> list[Row]:
    folder = settings.data_dir
    rate, seconds = ctx.sizes.latency_rate, ctx.sizes.latency_seconds
    count = int(rate * seconds)
    env = child_env(settings)
    children: list[subprocess.Popen[bytes]] = []
    try:
        wait_for(lambda: replica.health.connected, 60, "the replica's roll-up to connect")
        ready, watched_file, sent_file = (folder / n for n in ("ready", "watched", "sent"))
        watcher = _start(
            python("-m", "bench.sender", "watch", "--count", str(count),
                   "--seconds", str(seconds + GRACE_S), "--ready", str(ready),
                   "--out", str(watched_file)),
            env,
        )  # fmt: skip
        children.append(watcher)
        wait_for(ready.exists, 60, "the bare watcher to be ready")
        sender = _start(
            python("-m", "bench.sender", "send", "--rate", str(rate), "--seconds", str(seconds),
                   "--out", str(sent_file)),
            env,
        )  # fmt: skip
        children.append(sender)
        visible = _poll_replica(replica, sender, count, seconds + GRACE_S)
        sent: dict[str, int] = dict(_finish(sender, GRACE_S, sent_file))
        watched: dict[str, int] = _finish(watcher, seconds + GRACE_S, watched_file)
        lost = [e for e in sent if e not in visible]
        if lost:
            raise StepFailed(
                f"{len(lost)} of {len(sent)} reports never became queryable "
                f"(the replica's last error: {replica.health.error})"
            )
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
        replica.stop()
    to_replica = [(visible[e] - t) / 1e6 for e, t in sent.items()]
    to_consumer = [(watched[e] - t) / 1e6 for e, t in sent.items() if e in watched]
    achieved = len(sent) / seconds
    scale = (
        f"{len(sent):,} reports at {achieved:.0f}/s; replica polled every {POLL_S * 1000:.0f} ms"
    )
    p50, p99 = percentile(to_replica, 50), percentile(to_replica, 99)
    b50, b99 = percentile(to_consumer, 50), percentile(to_consumer, 99)
    return [
        Row("live latency", "send → queryable p50", p50, "ms", "≤ 100", "bare consumer",
            note=f"{p50 / b50:.1f}× the bare consumer's p50; {scale}"),
        Row("live latency", "send → queryable p99", p99, "ms", "≤ 500", "bare consumer",
            note=f"{p99 / b99:.1f}× the bare consumer's p99; max {max(to_replica):.0f} ms"),
        Row("live latency", "send → bare consumer p50", b50, "ms", baseline="baseline",
            note="a KafkaConsumer in its own process, roll-up's client settings"),
        Row("live latency", "send → bare consumer p99", b99, "ms", baseline="baseline"),
    ]  # fmt: skip


def _poll_replica(
    replica: LiveReplica, sender: subprocess.Popen[bytes], count: int, timeout: float
) -> dict[str, int]:
    """When each report first showed up in the replica, polling as a dashboard page would."""
    seen: dict[str, int] = {}
    last_offset = -1
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    cur = replica.cursor()
    try:
        while len(seen) < count and time.monotonic() < deadline:
            rows = cur.execute(
                "SELECT event_id, src_offset FROM capacity_reports WHERE src_offset > ?",
                [last_offset],
            ).fetchall()
            now = time.monotonic_ns()
            for event_id, offset in rows:
                seen[event_id] = now
                last_offset = max(last_offset, offset)
            if sender.poll() not in (None, 0):
                break  # the sender failed; _finish reports why
            pause.wait(POLL_S)
    finally:
        cur.close()
    return seen
