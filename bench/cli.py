"""`python -m bench [--quick] [--only NAME]`: run the measures, print, keep and document them."""

from __future__ import annotations

import argparse
import importlib
import logging
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.core import FULL, QUICK, ROOT, Row, machine, now_utc
from bench.env import Context, local_broker
from bench.report import results_section, table, update_docs, write_json

log = logging.getLogger("bench")

# name -> module with `measure(ctx) -> list[Row]`; run in this order.
MEASURES = {
    "replay": "bench.replay",
    "startup": "bench.startup",
    "latency": "bench.latency",
    "screen": "bench.screen",
    "queries": "bench.national",
    "returns": "bench.returns",
    "dashboard": "bench.dashboard",
    "api": "bench.api",
    "notify": "bench.notify",
    "viewers": "bench.viewers",
}
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench" / "results"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny sizes: proves the scripts work")
    p.add_argument(
        "--only", action="append", choices=list(MEASURES), help="run only this measure (repeat)"
    )
    p.add_argument("--results-dir", type=Path, help=f"default {RESULTS} (none with --quick)")
    p.add_argument("--docs", type=Path, help=f"default {DOCS} (none with --quick)")
    p.add_argument("--work", type=Path, help="scratch folder (default: a fresh temporary one)")
    return p


BUDGET_MIN = 45  # a whole `make bench` on the 2-core machine (issue 14); docs/benchmarks.md


def run_measures(
    ctx: Context, names: list[str], took: dict[str, float] | None = None
) -> tuple[list[Row], list[str]]:
    """Every measure's rows; a measure that fails is reported and the others still run. `took`
    gets each measure's seconds."""
    rows: list[Row] = []
    failed: list[str] = []
    took = {} if took is None else took
    for name in names:
        log.info("bench: %s ...", name)
        measure: Callable[[Context], list[Row]] = importlib.import_module(MEASURES[name]).measure
        start = time.monotonic()
        try:
            rows += measure(ctx)
        except Exception as error:  # one broken measure must not hide the others' numbers
            log.error("bench: %s failed:\n%s", name, traceback.format_exc())
            rows.append(Row(name, "(failed)", None, "", note=f"failed: {error}"[:300]))
            failed.append(name)
        took[name] = time.monotonic() - start
        log.info("bench: %s took %.0f s", name, took[name])
    return rows, failed


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in ("bedboard", "consumers", "producers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # kafka-python warns whenever loading a topic flat out keeps its I/O loop busy >100 ms.
    logging.getLogger("kafka").setLevel(logging.ERROR)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    # Importing the dashboard's modules outside `streamlit run` warns about its caches.
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    args = parser().parse_args(argv)
    # `kill` as well as Ctrl-C must stop the bench's broker and remove its scratch folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = [n for n in MEASURES if not args.only or n in args.only]
    sizes = QUICK if args.quick else FULL
    started = now_utc()
    work = args.work or Path(tempfile.mkdtemp(prefix="bedboard-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    took: dict[str, float] = {}
    try:
        with local_broker(work) as bootstrap:
            ctx = Context(bootstrap, work, sizes, args.quick)
            rows, failed = run_measures(ctx, names, took)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    minutes = (now_utc() - started).total_seconds() / 60
    sys.stdout.write(table(rows) + "\n")
    payload = {
        "started_at": started.isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "minutes": minutes,
        "measure_minutes": {name: round(seconds / 60, 2) for name, seconds in took.items()},
        "measures": names,
        "sizes": sizes.__dict__,
        "machine": machine(),
        "rows": [row.as_dict() for row in rows],
    }
    results_dir = args.results_dir or (None if args.quick else RESULTS)
    docs = args.docs or (None if args.quick else DOCS)
    if results_dir is not None:
        path = write_json(results_dir, started, payload)
        sys.stdout.write(f"results: {path}\n")
        if docs is not None:
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            section = results_section(rows, payload, str(shown))
            update_docs(docs, section, TEMPLATE)
            sys.stdout.write(f"docs: {docs}\n")
    sys.stdout.write(total_line(payload) + "\n")
    return 1 if failed else 0


def total_line(payload: dict[str, Any]) -> str:
    """bench finished in 38.2 min (a whole `make bench`: under 45 min); replay 12.1, ... min."""
    each = ", ".join(f"{name} {m:.1f}" for name, m in payload["measure_minutes"].items())
    return (f"bench finished in {payload['minutes']:.1f} min (a whole `make bench`: under "
            f"{BUDGET_MIN} min); {each} min")  # fmt: skip


TEMPLATE = """# Benchmarks

Generated by `make bench`; see the text above the table for what each measure means.
"""
