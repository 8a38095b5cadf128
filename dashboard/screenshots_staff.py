"""Screenshots of the staff and coordination pages: the report form, the inbox, the placements.

python -m dashboard.screenshots_staff --out docs/screenshots
    starts a broker in a temp dir with the demo city's month of history (as
    dashboard.screenshots does), adds placement requests and two accounts, and writes
    report_<lang>.png, inbox_<lang>.png and placements_<lang>.png.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dashboard.screenshots import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    ROOT,
    VIEWPORT,
    demo_events,
    free_port,
    idle,
    sign_in,
    switch_language,
    wait_for_http,
)

log = logging.getLogger("dashboard.screenshots_staff")
PAGES = {"report": "hospital_staff", "inbox": "hospital_staff", "placements": "coordinator"}
# Text each page shows once the replica holds the demo: the facility's name, a request.
READY = {
    "report": {"ja": "八王子いちょう総合病院", "en": "Hachioji Icho General Hospital"},
    "inbox": {"ja": "SpO2 90%", "en": "SpO2 90%"},
    "placements": {"ja": "ICU満床のため", "en": "ICU満床のため"},
}


def placement_events(now: datetime) -> list:  # noqa: ANN201
    """Requests from the health centre, some answered: what a busy morning looks like."""
    from producers import forms
    from producers.identity import Identity

    coordinator = Identity("coordinator", "coordinator")
    staff = {f"HJ-000{n}": Identity(f"staff.hj000{n}", "hospital_staff", (f"HJ-000{n}",))
             for n in range(1, 9)}  # fmt: skip
    asks = [
        (50, "HJ-0003", "adult_icu", "80-89", "severe", ["oxygen"], None,
         ("declined", "ICU満床のため")),
        (42, "HJ-0002", "medical_surgical", "60-69", "moderate", [], "独歩可", ("accepted", None)),
        (30, "HJ-0001", "medical_surgical", "40-49", "moderate", ["wheelchair"], None,
         ("accepted", None)),
        (12, "HJ-0001", "adult_icu", "70-79", "severe", ["oxygen", "isolation"],
         "SpO2 90%、酸素3L投与中", None),
        (4, "HJ-0001", "negative_flow_isolation", "30-39", "moderate", ["isolation"], None, None),
        (2, "HJ-0005", "hcu", "50-59", "severe", ["dialysis"], "透析歴あり", None),
    ]  # fmt: skip
    events: list = []
    for minutes, facility, bed, age, severity, needs, note, answer in asks:
        at = now - timedelta(minutes=minutes)
        request = forms.placement_request(
            coordinator, facility, bed, age_band=age, severity=severity, needs=needs,
            note=note, now=at,
        )  # fmt: skip
        events.append(request)
        if answer:
            decision, reason = answer
            events.append(forms.placement_response(
                staff[facility], str(request.placement_id), facility, decision, reason=reason,
                now=at + timedelta(minutes=5),
            ))  # fmt: skip
    return events


def show(page: Any, url: str, name: str, heading: str, ready: str) -> None:
    """Open a page through the navigation until it shows `ready` (a month of history takes the
    dashboard's replica a moment to roll up after start)."""
    href = f"{url.rstrip('/')}/" + ("" if name == "report" else name)
    deadline = time.monotonic() + 180
    while True:
        page.click(f'[data-testid="stTopNavLink"][href="{href}"]')
        page.locator("h3", has_text=heading).first.wait_for(timeout=60_000)
        idle(page)
        if page.get_by_text(ready).count() or time.monotonic() > deadline:
            return
        page.wait_for_timeout(2000)  # the replica is still catching up: look again shortly


def capture(url: str, out: Path, accounts: dict[str, tuple[str, str]]) -> list[Path]:
    """Sign in as each role in turn and save `<page>_<lang>.png` for its pages."""
    from playwright.sync_api import sync_playwright

    from dashboard.texts import t

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            for role in ("hospital_staff", "coordinator"):
                page = browser.new_context(viewport=VIEWPORT, locale="ja-JP").new_page()
                page.goto(url)
                sign_in(page, *accounts[role])
                for lang in ("ja", "en"):
                    switch_language(page, lang)
                    for name in (n for n, r in PAGES.items() if r == role):
                        show(page, url, name, t(f"page.{name}", lang), READY[name][lang])
                        path = out / f"{name}_{lang}.png"
                        page.screenshot(path=str(path))
                        written.append(path)
                        log.info("wrote %s", path)
                page.context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.screenshots_staff")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    from bedboard import broker
    from bedboard.admin import create_topics
    from bedboard.settings import Settings
    from dashboard.accounts import UsersFile, new_password, users_path
    from dashboard.launch import dashboard_argv
    from producers.publisher import Publisher

    with tempfile.TemporaryDirectory(prefix="bedboard-shots-") as name:
        workdir = Path(name)
        bootstrap = broker.start(port=broker.free_port_pair(), data_dir=workdir / "kafka",
                                 jars_dir=ROOT / ".bedboard" / "jars")  # fmt: skip
        dashboard = None
        try:
            settings = Settings(bootstrap_servers=bootstrap, data_dir=workdir)
            create_topics(settings)
            now = datetime.now(UTC)
            events = [*demo_events(now), *placement_events(now)]
            with Publisher(settings) as publisher:
                for first in range(0, len(events), 2000):
                    if publisher.publish(events[first : first + 2000]).queued:
                        raise RuntimeError("the broker did not take the demo events")
            users = UsersFile(users_path(settings))
            accounts = {}
            for role, username, facilities in (
                ("hospital_staff", "staff.hj0001", ("HJ-0001",)),
                ("coordinator", "coordinator", ()),
            ):
                accounts[role] = (username, new_password())
                users.add(username, role, accounts[role][1], facilities)
            web = free_port()
            env = os.environ | {"BEDBOARD_BOOTSTRAP_SERVERS": bootstrap,
                                "BEDBOARD_DATA_DIR": str(workdir)}  # fmt: skip
            for variable in ("BEDBOARD_DB", "BEDBOARD_USERS_FILE", "BEDBOARD_DASHBOARD_NO_FEED"):
                env.pop(variable, None)
            quiet = subprocess.DEVNULL
            dashboard = subprocess.Popen(
                dashboard_argv(web), cwd=ROOT, env=env, stdout=quiet, stderr=quiet
            )
            url = f"http://127.0.0.1:{web}"
            wait_for_http(url)
            capture(url, args.out, accounts)
        finally:
            if dashboard is not None:
                dashboard.terminate()
                dashboard.wait(timeout=30)
            broker.stop(workdir / "kafka")
    return 0


if __name__ == "__main__":
    sys.exit(main())
