"""Replay: `bedboard rollup --until-caught-up` into a fresh replica, against two baselines."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from bedboard.settings import Settings
from bench.core import Row, median, now_utc, python, run_peak, run_timed, timed
from bench.env import Context, child_env
from bench.reports import LINES_PER_REPORT, check_sample, encode, history, produce
from bench.stages import stage_costs
from consumers.store import connect

log = logging.getLogger("bench")
FACILITIES = 8_000
SPAN = timedelta(days=7)  # all in the past, so none is a future_timestamp
STAGE_REPORTS = 100_000  # two of the roll-up's catch-up batches
# The quixstreams peer reads at ~7,600 reports/s, steady after its first sink batch: a quarter
# of the topic measures its rate and saves the bench five minutes (its join, ~0.1 s, is in).
PEER_REPORTS = 250_000


def capacity_topic(ctx: Context) -> Settings:
    """One topic of N capacity reports per invocation, loaded once and reused by every run."""

    def load() -> Settings:
        settings = ctx.settings("replay")
        count = ctx.sizes.replay_reports
        facilities = min(FACILITIES, count)
        end = now_utc() - timedelta(minutes=1)
        check_sample(history(min(count, 2_000), facilities, end, SPAN), every=1)
        events = (encode(e) for e in history(count, facilities, end, SPAN))
        seconds, sent = timed(lambda: produce(settings, events, "capacity"))
        log.info("replay: produced %d reports in %.1f s (%.0f/s)", sent, seconds, sent / seconds)
        ctx.shared["produce_rate"] = sent / seconds
        return settings

    return ctx.once("replay_topic", load)


def _rollup_run(ctx: Context, settings: Settings, run: int) -> tuple[float, float]:
    """Reports a second, and the process's peak resident memory in MB."""
    db = ctx.work / "replay" / f"rollup-{run}.duckdb"
    seconds, _, peak = run_peak(
        python("-m", "bedboard", "rollup", "--until-caught-up", "--db", str(db)),
        child_env(settings),
    )
    con = connect(db, read_only=True)
    row = con.execute("SELECT applied FROM ingest_counts WHERE topic = 'capacity'").fetchone()
    con.close()
    db.unlink()
    applied = int(row[0]) if row else 0
    if applied != ctx.sizes.replay_reports:
        raise AssertionError(f"the roll-up applied {applied} of {ctx.sizes.replay_reports}")
    return applied / seconds, peak


def _loop_run(ctx: Context, settings: Settings, loop: str, limit: int, run: int) -> float:
    db = ctx.work / "replay" / f"{loop}-{run}.duckdb"
    module = ("bench.peers",) if loop == "quixstreams" else ("bench.loops", loop)
    _, out = run_timed(
        python("-m", *module, "--limit", str(limit), "--db", str(db)),
        child_env(settings),
    )
    db.unlink(missing_ok=True)
    result = json.loads(out.strip().splitlines()[-1])
    if result["read"] != limit:
        raise AssertionError(f"the {loop} loop read {result['read']} of {limit}")
    return float(result["read"] / result["seconds"])


def measure(ctx: Context) -> list[Row]:
    settings = capacity_topic(ctx)
    batch = settings.rollup_batch
    (ctx.work / "replay").mkdir(exist_ok=True)
    n, naive_n = ctx.sizes.replay_reports, ctx.sizes.naive_reports
    rollup, bare, naive, peer, memory = [], [], [], [], []
    # Interleaved, so that a noisy minute hurts all alike; ratios are taken per run.
    for run in range(ctx.sizes.replay_runs):
        bare.append(_loop_run(ctx, settings, "bare", n, run))
        rate, peak = _rollup_run(ctx, settings, run)
        rollup.append(rate)
        memory.append(peak)
        peer.append(_loop_run(ctx, settings, "quixstreams", min(n, PEER_REPORTS), run))
        naive.append(_loop_run(ctx, settings, "naive", naive_n, run))
        log.info(
            "replay run %d: rollup %.0f/s, bare %.0f/s, quixstreams %.0f/s, naive %.0f/s",
            run,
            rollup[-1],
            bare[-1],
            peer[-1],
            naive[-1],
        )
    costs = stage_costs(ctx.work / "replay", min(n, STAGE_REPORTS), batch)
    consume_us = 1e6 / median(bare)
    vs_bare = [r / b for r, b in zip(rollup, bare, strict=True)]
    vs_naive = [r / v for r, v in zip(rollup, naive, strict=True)]
    vs_peer = [r / q for r, q in zip(rollup, peer, strict=True)]
    size = f"{n:,} reports × {LINES_PER_REPORT} lines"
    return [
        Row("replay", "rollup events/s", median(rollup), "events/s", runs=rollup, note=size),
        Row(
            "replay",
            "rollup peak RSS",
            median(memory),
            "MB",
            runs=memory,
            note=f"the roll-up process (VmHWM), catch-up batches of {batch:,}",
        ),
        Row(
            "replay",
            "bare consume loop events/s",
            median(bare),
            "events/s",
            baseline="baseline",
            runs=bare,
            note="roll-up's client settings, nothing per record, start-up excluded",
        ),
        Row(
            "replay",
            "naive per-row insert events/s",
            median(naive),
            "events/s",
            baseline="baseline",
            runs=naive,
            note=f"first {naive_n:,} reports, same checks, one INSERT per row, start-up excluded",
        ),
        Row(
            "replay",
            "quixstreams peer events/s",
            median(peer),
            "events/s",
            baseline="baseline",
            runs=peer,
            note="bench/peers.py: the same check per record and Store.write per sink batch of "
            f"{batch:,}, through quixstreams' BatchingSink; the first {min(n, PEER_REPORTS):,} "
            "reports, group join included",
        ),
        Row("replay", "rollup ÷ bare loop", median(vs_bare), "×", "≥ 0.5", "bare loop", vs_bare),
        Row("replay", "rollup ÷ quixstreams peer", median(vs_peer), "×", "≥ 2", "peer", vs_peer),
        Row("replay", "rollup ÷ naive", median(vs_naive), "×", "≥ 30", "naive insert", vs_naive),
        Row(
            "replay",
            "per report: consume (bare loop)",
            consume_us,
            "µs",
            note="1 / the bare loop's rate",
        ),
        Row(
            "replay",
            "per report: bulk check (DuckDB)",
            costs["bulk_check_us"],
            "µs",
            note="consumers.bulk.check_raw on the writer thread, batches of "
            f"{batch:,}; DuckDB runs it outside the GIL",
        ),
        Row(
            "replay",
            "per report: bulk check CPU",
            costs["bulk_check_cpu_us"],
            "µs",
            note="the same, in CPU time of all the process's threads (DuckDB's too)",
        ),
        Row(
            "replay",
            "per report: check (parse + validate)",
            costs["check_us"],
            "µs",
            note="schemas.records.check (what the peer does per record, and the roll-up only for "
            "records SQL doubts), the events kept as in a batch, the roll-up's GC settings",
        ),
        Row(
            "replay",
            "per report: check, Python's default GC",
            costs["check_default_gc_us"],
            "µs",
            note="the same loop with Python's default GC thresholds (the roll-up before tune_gc)",
        ),
        Row(
            "replay",
            "per report: check, cyclic GC off",
            costs["check_no_gc_us"],
            "µs",
            note="the same loop with gc.disable(): the floor for any GC setting",
        ),
        Row(
            "replay",
            "per report: replica write",
            costs["write_us"],
            "µs",
            note=f"Store.write of bulk-checked batches of {batch:,}, on the writer thread",
        ),
        Row(
            "replay",
            "per report: replica write CPU",
            costs["write_cpu_us"],
            "µs",
            note="the same, in CPU time of all the process's threads (DuckDB's too)",
        ),
        Row(
            "replay",
            "producing the topic",
            ctx.shared.get("produce_rate"),
            "events/s",
            note="raw KafkaProducer, acks=1, 1 MiB batches (set-up, not a target)",
        ),
    ]
