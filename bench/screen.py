"""To the screen: a report sent while headless Chromium shows the board; until its number shows."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bedboard.settings import Settings
from bench import browser
from bench.core import Row, StepFailed, median, now_utc
from bench.env import Context, child_env
from bench.latency import fresh, wait_for
from consumers.replica import LiveReplica

log = logging.getLogger("bench")
USER = "bench.screen"
WATCHED = "HJ-0001"  # a demo hospital whose medical/surgical line each run changes
USABLE = 480
# The other demo hospitals' (usable, occupied) medical/surgical beds.
OTHERS = {"HJ-0002": (360, 330), "HJ-0003": (220, 219), "HJ-0004": (240, 200),
          "HJ-0005": (300, 300), "HJ-0006": (10, 2), "HJ-0007": (30, 20),
          "HJ-0008": (20, 10)}  # fmt: skip
OTHERS_FREE = sum(max(u - o, 0) for u, o in OTHERS.values())
SHOWN_S = 120  # the board's first drawing, on a busy machine


def capacity(facility_id: str, usable: int, occupied: int) -> Any:
    from schemas.events import CapacityReported

    return CapacityReported.model_validate({
        "type": "capacity.reported", "version": 1, "event_id": str(uuid.uuid4()),
        "occurred_at": now_utc() - timedelta(seconds=1),
        "actor": {"org": "hospital", "user": f"bedmgr.{facility_id}"},
        "facility_id": facility_id, "accepting": "open", "ed_status": "normal",
        "beds": [{"bed_type": "medical_surgical", "usable": usable, "occupied": occupied}],
    })  # fmt: skip


def publish(settings: Settings, events: list[Any]) -> None:
    from producers.publisher import Publisher

    with Publisher(settings) as publisher:
        receipt = publisher.publish(events)
    if receipt.status != "live":
        raise StepFailed(f"the broker did not take the reports: {receipt}")


def free_text(free: int) -> str:
    """The board's caption for the total of free beds, as the page writes it in Japanese."""
    return f"空床 計{free:,}床"


class ReplicaClock:
    """The baseline: when a report is queryable in a LiveReplica of this process."""

    def __init__(self, settings: Settings, path: Path) -> None:
        self.replica = LiveReplica(settings, path).start()
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        cur = self.replica.cursor()
        while not self._stop.wait(0.005):
            for (event_id,) in cur.execute(
                "SELECT event_id FROM capacity_reports WHERE facility_id = ?", [WATCHED]
            ).fetchall():
                self.seen.setdefault(event_id, time.monotonic())
        cur.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.replica.stop()


def measure(ctx: Context) -> list[Row]:
    if why := browser.available():
        return [Row("to the screen", "send → on screen", None, "s", "≤ 5", note=why)]
    from dashboard.accounts import UsersFile, users_path
    from dashboard.widgets import REFRESH_S
    from producers.demo_city import demo_registry

    settings = ctx.settings("screen")
    runs = ctx.sizes.screen_runs
    occupied = 400
    publish(settings, [*demo_registry(now_utc() - timedelta(minutes=1)),
                       capacity(WATCHED, USABLE, occupied),
                       *(capacity(f, u, o) for f, (u, o) in OTHERS.items())])  # fmt: skip
    UsersFile(users_path(settings)).add(USER, "coordinator", browser.PASSWORD)
    clock = ReplicaClock(settings, fresh(settings.data_dir / "baseline.duckdb"))
    on_screen, queryable = [], []
    pause = threading.Event()  # never set: its wait() spreads the sends over the refresh cycle
    log_file = settings.data_dir / "dashboard.log"
    try:
        with (
            browser.dashboard_server(child_env(settings), log_file) as (url, _),
            browser.board_in_chromium(url, USER) as page,
        ):
            browser.wait_text(page, free_text(USABLE - occupied + OTHERS_FREE), SHOWN_S)
            for run in range(runs):
                # The board redraws every REFRESH_S; without this offset every send would land
                # at the same point of the cycle, just after the redraw that showed the last one.
                pause.wait(REFRESH_S * run / runs)
                occupied -= 7
                report = capacity(WATCHED, USABLE, occupied)
                sent = time.monotonic()
                publish(settings, [report])
                browser.wait_text(page, free_text(USABLE - occupied + OTHERS_FREE), 60)
                on_screen.append(time.monotonic() - sent)
                event_id = str(report.event_id)
                wait_for(partial(clock.seen.__contains__, event_id), 60, "the baseline replica")
                queryable.append(clock.seen[event_id] - sent)
                log.info("screen run %d: %.2f s on screen, %.3f s queryable", run, on_screen[-1],
                         queryable[-1])  # fmt: skip
    finally:
        clock.stop()
    shown, base = median(on_screen), median(queryable)
    return [
        Row("to the screen", "send → new number on screen", shown, "s", "≤ 5", "replica",
            on_screen, f"demo city board in Chromium, refreshed every {REFRESH_S} s; "
            f"{shown - base:.1f} s of it is the page's refresh and cache"),
        Row("to the screen", "send → queryable in a replica", base, "s", baseline="baseline",
            runs=queryable, note="a LiveReplica in the bench process, same topics"),
    ]  # fmt: skip
