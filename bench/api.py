"""The HTTP API: submissions a second and latency to 202 at 50 concurrent clients, against the
same events through `bedboard publish` in the same run."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bedboard import broker
from bedboard.admin import end_offsets
from bedboard.settings import Settings
from bench.core import Row, StepFailed, median, now_utc, percentile, python, run_timed
from bench.env import Context, child_env
from bench.reports import report
from producers.tokens import TokenStore

log = logging.getLogger("bench")
CLIENTS = 50
# No token may be throttled here: the measure is the door's throughput, not its rate limit.
UNLIMITED = {"BEDBOARD_API_RATE": "1000000", "BEDBOARD_API_BURST": "1000000"}


def events(count: int, run: int) -> list[dict[str, Any]]:
    """`count` contract-valid reports from CLIENTS facilities, fresh ids each run."""
    occurred = now_utc() - timedelta(minutes=2)
    return [report(run * count + n, n % CLIENTS, occurred) for n in range(count)]


def _publish_rate(settings: Settings, work: Path, batch: list[dict[str, Any]]) -> float:
    path = work / "publish.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in batch))
    seconds, _ = run_timed(python("-m", "bedboard", "publish", str(path)), child_env(settings))
    return len(batch) / seconds


def _tokens(settings: Settings) -> list[str]:
    store = TokenStore(settings.tokens_path)
    return [store.add((f"BN-{n:05d}",), name=f"bench.{n}")[1] for n in range(CLIENTS)]


def _serve(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server on a free port (its argv ends with the port) and wait until it answers."""
    port = broker.free_port_pair()
    process = subprocess.Popen(
        [*argv, str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    tick = threading.Event()
    while True:
        try:
            httpx.get(f"{url}/v1/health", timeout=2)  # any answer: it serves
            return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise StepFailed("the API did not start")
        tick.wait(0.1)


async def _client(url: str, token: str, mine: list[dict[str, Any]]) -> list[float]:
    """One hospital system posting its reports one after another: each one's time to 202."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [json.dumps({k: v for k, v in e.items() if k != "actor"}).encode() for e in mine]
    took = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for body in bodies:
            start = time.perf_counter()
            answer = await client.post("/v1/capacity", content=body)
            took.append(time.perf_counter() - start)
            if answer.status_code != 202 or answer.json()["status"] != "live":
                raise StepFailed(f"the API answered {answer.status_code}: {answer.text[:300]}")
    return took


async def _load(url: str, tokens: list[str], batch: list[dict[str, Any]]) -> list[float]:
    per_client = [batch[n::CLIENTS] for n in range(CLIENTS)]
    done = await asyncio.gather(
        *(_client(url, tokens[n], mine) for n, mine in enumerate(per_client))
    )
    return [seconds for took in done for seconds in took]


def _api_run(url: str, tokens: list[str], batch: list[dict[str, Any]]) -> tuple[float, list[float]]:
    start = time.perf_counter()
    latencies = asyncio.run(_load(url, tokens, batch))
    return len(batch) / (time.perf_counter() - start), latencies


def measure(ctx: Context) -> list[Row]:
    count = ctx.sizes.api_submissions
    runs = ctx.sizes.api_runs
    through_api, through_publish = ctx.settings("api"), ctx.settings("api-publish")
    tokens = _tokens(through_api)
    api, url = _serve(
        python("-m", "bedboard", "api", "--port"), child_env(through_api, **UNLIMITED)
    )
    echo, echo_url = _serve(python("-m", "bench.echo_api"), child_env(through_api))
    api_rates: list[float] = []
    publish_rates: list[float] = []
    echo_rates: list[float] = []
    latencies: list[float] = []
    echo_latencies: list[float] = []
    try:
        asyncio.run(_load(url, tokens, events(CLIENTS, runs + 1)))  # warm-up: connections, JIT
        for run in range(runs):
            # Alternated, so that all see the same machine (the other work on it varies).
            publish_rates.append(_publish_rate(through_publish, ctx.work, events(count, run)))
            rate, took = _api_run(url, tokens, events(count, run))
            api_rates.append(rate)
            latencies += took
            rate, took = _api_run(echo_url, tokens, events(count, run))
            echo_rates.append(rate)
            echo_latencies += took
            log.info("api: run %d: API %.0f/s, publish %.0f/s, echo %.0f/s",
                     run, api_rates[-1], publish_rates[-1], rate)  # fmt: skip
    finally:
        for process in (api, echo):
            process.terminate()
            process.wait(timeout=30)
    on_topic = sum(end_offsets(through_api, [through_api.topic("capacity")]).values())
    expected = count * runs + CLIENTS
    if on_topic != expected:
        raise StepFailed(f"{on_topic} records on the API's topic, expected {expected}")
    ratios = [a / p for a, p in zip(api_rates, publish_rates, strict=True)]
    of_echo = [a / e for a, e in zip(api_rates, echo_rates, strict=True)]
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    echo_p99 = percentile(echo_latencies, 99) * 1000
    size = f"{count:,} reports × {runs} runs, {CLIENTS} clients (httpx async, in the bench process)"
    return [
        Row("api", "API submissions/s", median(api_rates), "events/s", runs=api_rates, note=size),
        Row(
            "api",
            "bedboard publish events/s",
            median(publish_rates),
            "events/s",
            runs=publish_rates,
            note="baseline; the same number of reports as one JSON-lines file, start-up included",
        ),
        Row("api", "API ÷ publish", median(ratios), "×", "≥ 0.5", "publish", ratios),
        Row(
            "api",
            "do-nothing server, same clients, /s",
            median(echo_rates),
            "events/s",
            runs=echo_rates,
            note="baseline; uvicorn + Starlette answering 202 at once: the clients' and HTTP's own "
            "ceiling on this machine",
        ),
        Row("api", "API ÷ do-nothing server", median(of_echo), "×", "", "do-nothing", of_echo),
        Row("api", "time to 202 p50", p50, "ms", note="every request of every run"),
        Row(
            "api", "time to 202 p99", p99, "ms", "≤ 250", note=f"max {max(latencies) * 1000:.0f} ms"
        ),
        Row("api", "do-nothing server p99", echo_p99, "ms", note="baseline; the same clients"),
    ]
