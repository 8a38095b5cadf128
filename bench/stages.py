"""Where a replayed report's time goes: the roll-up's stages timed one by one, in this process."""

from __future__ import annotations

import gc
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.core import median, now_utc, timed
from bench.reports import encode, history
from consumers.rollup import MAX_BATCH
from consumers.rules import Accepted, Rejection, check
from consumers.store import Batch, Store, connect


def _checked(values: list[bytes], end: datetime, collect: bool) -> tuple[float, list[Any]]:
    """Seconds to check every value, keeping the events as the roll-up keeps a batch."""
    if not collect:
        gc.disable()
    try:
        return timed(lambda: [check(v, end) for v in values])
    finally:
        gc.enable()


def stage_costs(folder: Path, count: int) -> dict[str, float]:
    """Microseconds per report to check it (parse + validate) and to write it to a replica."""
    end = now_utc() - timedelta(minutes=1)
    values = [encode(e)[1] for e in history(count, min(count, 8_000), end, timedelta(days=7))]
    checking, without_gc = [], []
    for _ in range(3):
        seconds, events = _checked(values, end, collect=True)
        checking.append(seconds)
        without_gc.append(_checked(values, end, collect=False)[0])
    if any(isinstance(e, Rejection) for e in events):
        raise AssertionError("a generated report was rejected")
    records = [Accepted(e, end, 0, offset) for offset, e in enumerate(events)]
    path = folder / "stages.duckdb"
    path.unlink(missing_ok=True)
    con = connect(path)
    writing = 0.0
    try:
        store = Store(con)
        # Batches as big as the roll-up's when it replays a backlog.
        for start in range(0, len(records), MAX_BATCH):
            part = records[start : start + MAX_BATCH]
            batch = Batch(
                accepted={"capacity": part},
                read={"capacity": len(part)},
                next_offsets={("bench.capacity", 0): start + len(part)},
            )
            writing += timed(partial(store.write, batch))[0]
    finally:
        con.close()
        path.unlink(missing_ok=True)
    return {
        "check_us": median(checking) / count * 1e6,
        "check_no_gc_us": median(without_gc) / count * 1e6,
        "write_us": writing / count * 1e6,
    }
