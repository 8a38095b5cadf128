"""A new replica's time to its first board: replaying the whole log, or a checkpoint and the tail.

`python -m bench.startup --db FILE` (a subprocess, timed from outside, start-up included) is
what a new dashboard replica does: take the newest checkpoint if BEDBOARD_CHECKPOINT_DIR has
one, catch up to the end of the log, answer the board query.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.core import Row, median, now_utc, python, run_timed, timed
from bench.env import Context, child_env, settings_from_env
from bench.replay import capacity_topic
from bench.reports import encode, history, produce
from consumers import checkpoint
from consumers.queries import board
from consumers.replica import catch_up, seed
from consumers.schema import connect

TAIL = 10_000  # reports written after the checkpoint: over an hour of a country's reports


def measure(ctx: Context) -> list[Row]:
    settings = capacity_topic(ctx)
    work = ctx.work / "startup"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    full = work / "full.duckdb"
    replayed, out = run_timed(python("-m", "bench.startup", "--db", str(full)), child_env(settings))
    lines = json.loads(out.strip().splitlines()[-1])["lines"]
    # Two ways to copy a live replica, timed on this one: CHECKPOINT + a copy of the file under
    # the store's lock (what consumers.checkpoint does; the roll-up waits that long), and COPY
    # FROM DATABASE into an attached file (a snapshot: the roll-up would not wait at all).
    con = connect(full)
    folder = work / "checkpoints"
    copy_s, manifest = timed(lambda: checkpoint.write(con, folder, settings.topic_prefix))
    con.execute(f"ATTACH '{work / 'copied.duckdb'}' AS copied")
    attach_s, _ = timed(lambda: con.execute(f'COPY FROM DATABASE "{full.stem}" TO copied'))
    con.close()
    tail = min(TAIL, max(ctx.sizes.replay_reports // 100, 10))
    end = now_utc() - timedelta(seconds=30)
    produce(
        settings, (encode(e) for e in history(tail, 8_000, end, timedelta(hours=1))), "capacity"
    )
    seeded = []
    for run in range(ctx.sizes.replay_runs):
        db = work / f"seeded-{run}.duckdb"
        env = child_env(settings, BEDBOARD_CHECKPOINT_DIR=str(folder))
        seconds, out = run_timed(python("-m", "bench.startup", "--db", str(db)), env)
        got = json.loads(out.strip().splitlines()[-1])
        if not got["seeded"]:
            raise AssertionError("the replica did not start from the checkpoint")
        seeded.append(seconds)
        db.unlink()
    n = ctx.sizes.replay_reports
    size = f"{n:,} reports on the log ({lines:,} board lines)"
    return [
        Row("startup", "first board, replaying the log", replayed, "s", note=size),
        Row(
            "startup",
            "first board, from a checkpoint",
            median(seeded),
            "s",
            "≤ 10",
            runs=seeded,
            note=f"{size} + {tail:,} after the checkpoint; verify (sha256), copy, read the tail",
        ),
        Row(
            "startup",
            "checkpoint ÷ replay",
            median(seeded) / replayed,
            "×",
            note="time to the first board, same log, same run",
        ),
        Row(
            "startup",
            "writing a checkpoint (CHECKPOINT + file copy)",
            copy_s,
            "s",
            note=f"{manifest.bytes / 1e6:,.0f} MB and its sha256; the roll-up waits for the copy",
        ),
        Row(
            "startup",
            "COPY FROM DATABASE",
            attach_s,
            "s",
            baseline="baseline",
            note="the alternative: a snapshot into an attached file, the roll-up keeps writing",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.startup")
    p.add_argument("--db", type=Path, required=True)
    args = p.parse_args(argv)
    settings = settings_from_env()
    start = time.perf_counter()
    seeded = seed(settings, args.db) is not None
    con = catch_up(settings, args.db, lambda *_: None, lambda: None)
    lines = board(con.cursor()).num_rows
    con.close()
    out = {"seeded": seeded, "lines": lines, "seconds": time.perf_counter() - start}
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
