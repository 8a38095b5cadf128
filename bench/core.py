"""What every measure shares: sizes, result rows, medians, the machine, and timed subprocesses."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sizes:
    """How big each measure runs; FULL is the issue's, QUICK only proves the scripts still work."""

    replay_reports: int
    naive_reports: int
    replay_runs: int
    latency_rate: float
    latency_seconds: float
    national_facilities: int
    national_reports_per_year: int  # per facility, each with 8 bed lines
    query_runs: int
    dashboard_runs: int
    screen_runs: int
    api_submissions: int
    api_runs: int
    viewers_steps_city: tuple[int, ...]  # sessions on the dashboard processes, step by step
    viewers_steps_prefecture: tuple[int, ...]  # also ramped over two processes
    viewers_steps_country: tuple[int, ...]
    viewers_warm_s: float  # after each step's new sessions opened, before timing
    viewers_hold_s: float  # each step's timed window
    viewers_budget_s: float  # of stepping up, per ramp (four ramps)


# 8,000 facilities x 8 bed types x 156 reports a year (one every ~2.3 days) = 9.98M bed lines.
FULL = Sizes(
    replay_reports=1_000_000,
    naive_reports=500,  # at ~14 reports/s, 36 s a run: its rate, not its size, is the baseline
    replay_runs=3,
    latency_rate=200,
    latency_seconds=60,
    national_facilities=8_000,
    national_reports_per_year=156,
    query_runs=15,
    dashboard_runs=5,
    screen_runs=5,
    api_submissions=5_000,
    api_runs=3,
    # Steps of about 1.5x ("sessions within the bound" is only as fine as the steps), from
    # where a ramp is still far from saturating, so that it gets there within its budget.
    viewers_steps_city=(8, 32),
    viewers_steps_prefecture=(10, 20, 30, 45, 68, 100),
    viewers_steps_country=(4, 8, 12, 18, 27, 40),
    viewers_warm_s=5,
    viewers_hold_s=15,
    viewers_budget_s=100,  # twice that over two processes
)
QUICK = Sizes(
    replay_reports=2_000,
    naive_reports=100,
    replay_runs=2,
    latency_rate=50,
    latency_seconds=2,
    national_facilities=40,
    national_reports_per_year=12,
    query_runs=2,
    dashboard_runs=1,
    screen_runs=1,
    api_submissions=200,
    api_runs=1,
    viewers_steps_city=(1, 2),
    viewers_steps_prefecture=(1, 2),
    viewers_steps_country=(1, 2),
    viewers_warm_s=1,
    viewers_hold_s=6,
    viewers_budget_s=30,
)


@dataclass
class Row:
    """One line of the results table: a median, its target, and the baseline it is set against."""

    measure: str
    metric: str
    value: float | None
    unit: str
    target: str = ""  # e.g. "≥ 0.8", "≤ 100"; empty for a baseline or an informative number
    baseline: str = ""
    runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "missing"
        if not self.target:
            return ""
        op, _, bound = self.target.partition(" ")
        limit = float(bound)
        ok = self.value >= limit if op == "≥" else self.value <= limit
        return "pass" if ok else "MISS"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"verdict": self.verdict}


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds fn took, and what it returned."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


class StepFailed(RuntimeError):
    """A subprocess of a measure failed; the message carries the end of its output."""


def run_timed(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, str]:
    """Run a command to completion; its wall time (start-up included) and its stdout."""
    seconds, out, _ = run_peak(argv, env, cwd)
    return seconds, out


def run_peak(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, str, float]:
    """Like run_timed, and the command's own peak resident memory in MB (from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = "\n".join((stdout + stderr).strip().splitlines()[-15:])
        raise StepFailed(f"{' '.join(argv)} exited {code}:\n{tail}")
    return seconds, stdout, usage.ru_maxrss / 1024  # Linux gives kB


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """What the numbers were measured on: without it, absolute times mean nothing."""
    from bedboard.broker import KAFKA_VERSION

    try:
        import crc32c  # noqa: F401

        crc = "C (crc32c package)"
    except ImportError:
        crc = "pure Python (kafka-python's fallback)"
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "kafka_broker": KAFKA_VERSION,
        "kafka_python": _version("kafka-python"),
        "kafka_crc32c": crc,
        "duckdb": _version("duckdb"),
        "pyarrow": _version("pyarrow"),
        "pydantic": _version("pydantic"),
        "streamlit": _version("streamlit"),
        # Other work on the machine skews every absolute time: say how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def now_utc() -> datetime:
    return datetime.now(UTC)
