"""Where a replayed report's time goes: the roll-up's stages timed one by one, in this process."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.core import median, now_utc, timed
from bench.reports import encode, history
from consumers.bulk import Raw, check_raw
from consumers.rollup import tune_gc
from consumers.store import Batch, Store, connect
from schemas.records import check


@contextmanager
def rollup_gc() -> Iterator[None]:
    """The roll-up processes' GC settings (consumers.rollup.tune_gc) for a block, then Python's."""
    saved = gc.get_threshold()
    tune_gc()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*saved)


def _checked(values: list[bytes], end: datetime, size: int) -> list[Any]:
    """Check every value in batches as the roll-up does, holding two batches at a time."""
    held: list[list[Any]] = []
    for start in range(0, len(values), size):
        # The batch being gathered and the one on the writer thread live; older ones are freed.
        held = [*held[-1:], [check(v, end) for v in values[start : start + size]]]
    return held[-1] if held else []


def _check_seconds(values: list[bytes], end: datetime, gc_mode: str, size: int) -> float:
    """Seconds to check every value with the roll-up's, Python's default, or no cyclic GC."""
    if gc_mode == "rollup":
        with rollup_gc():
            return timed(lambda: _checked(values, end, size))[0]
    if gc_mode == "off":
        gc.disable()
        try:
            return timed(lambda: _checked(values, end, size))[0]
        finally:
            gc.enable()
    return timed(lambda: _checked(values, end, size))[0]


def stage_costs(folder: Path, count: int, size: int) -> dict[str, float]:
    """Microseconds per report to check it (parse + validate) and to write it to a replica, in
    batches of `size` as the roll-up gathers them while it catches up."""
    end = now_utc() - timedelta(minutes=1)
    values = [encode(e)[1] for e in history(count, min(count, 8_000), end, timedelta(days=7))]
    checking, default_gc, without_gc = [], [], []
    for _ in range(3):
        checking.append(_check_seconds(values, end, "rollup", size))
        default_gc.append(_check_seconds(values, end, "default", size))
        without_gc.append(_check_seconds(values, end, "off", size))
    stamp = int(end.timestamp() * 1000)
    path = folder / "stages.duckdb"
    path.unlink(missing_ok=True)
    con = connect(path)
    writing = bulk = writing_cpu = bulk_cpu = 0.0
    try:
        store = Store(con)
        # Batches as big as the roll-up's when it replays a backlog, checked as it checks them.
        for start in range(0, len(values), size):
            part = values[start : start + size]
            raw = Raw(list(part), [stamp] * len(part), [0] * len(part))
            raw.offsets = list(range(start, start + len(part)))
            cpu = time.process_time()
            seconds, checked = timed(partial(check_raw, con, raw))
            bulk, bulk_cpu = bulk + seconds, bulk_cpu + time.process_time() - cpu
            if checked.models or checked.rejected:
                raise AssertionError("a generated report was left to the one-by-one check")
            batch = Batch(
                read={"capacity": len(part)},
                next_offsets={("bench.capacity", 0): start + len(part)},
                checked={"capacity": checked},
            )
            cpu = time.process_time()
            writing += timed(partial(store.write, batch))[0]
            writing_cpu += time.process_time() - cpu
    finally:
        con.close()
        path.unlink(missing_ok=True)
    return {
        "bulk_check_us": bulk / count * 1e6,
        # CPU of every thread of the process (DuckDB's too): what a loaded machine cannot
        # inflate by making the stage wait for a core.
        "bulk_check_cpu_us": bulk_cpu / count * 1e6,
        "write_cpu_us": writing_cpu / count * 1e6,
        "check_us": median(checking) / count * 1e6,
        "check_default_gc_us": median(default_gc) / count * 1e6,
        "check_no_gc_us": median(without_gc) / count * 1e6,
        "write_us": writing / count * 1e6,
    }
