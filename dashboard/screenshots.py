"""`make screenshots`: every page in both languages at 1440x900 (and on a phone), headless.

python -m dashboard.screenshots --out docs/screenshots --url http://127.0.0.1:8501
    photographs a running dashboard (e.g. `bedboard demo`) as a coordinator;
python -m dashboard.screenshots --out docs/screenshots
    starts what it needs itself: a broker in a temp dir, the topics, the demo city with a
    month of simulated history and a morning's placement requests, a coordinator's and a
    hospital's account, and the dashboard; photographs each role's pages; stops them after.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
# Each role's pages, photographed in this order (the first is the role's home page).
PAGES = {
    "coordinator": ("overview", "board", "facility", "map", "trends", "find", "export",
                    "placements", "waiting", "case", "summary"),
    "hospital_staff": ("report", "inbox", "notifications"),
    "admin": ("accounts", "registry", "tokens", "audit"),
}  # fmt: skip
# Pages also photographed on a phone's screen (390 x 844), as `<page>_<lang>_phone.png`.
PHONE_PAGES = ("overview", "report", "inbox", "notifications", "accounts", "registry", "tokens",
               "audit", "waiting", "case")  # fmt: skip
# A phone as Chromium emulates it: its screen, a touch screen, and the mobile viewport rules.
PHONE: Any = {
    "viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
    "is_mobile": True, "has_touch": True,
}  # fmt: skip
# Pages read to their end (the meeting summary): photographed whole on a desktop screen too.
TALL_PAGES = ("summary",)
# What each page shows once it has drawn, so that the picture is never taken half-way: an
# element, or (for the demo's placements) text that is there once the replica has caught up.
READY = {
    "overview": '[data-testid="stMetric"]',
    "board": '[data-testid="stDataFrame"]',
    "facility": ".js-plotly-plot .main-svg",
    "map": ".js-plotly-plot .main-svg",
    "trends": ".js-plotly-plot .main-svg",
    "find": '[data-testid="stButton"]',
    "export": '[data-testid="stDataFrame"]',
    "placements": "text=ICU満床のため",
    "waiting": "text=HC-0423",
    "case": '[data-testid="stDataFrame"]',
    "summary": ".js-plotly-plot .main-svg",  # the waiting list's line, once counts are in
    "report": '[data-testid="stForm"]',
    "inbox": "text=SpO2 90%",
    "notifications": "text=hooks.slack.com",
    "accounts": '[data-testid="stDataFrame"]',
    "registry": '[data-testid="stForm"]',
    "tokens": '[data-testid="stForm"]',
    "audit": '[data-testid="stDataFrame"]',
}
# A part of a page worth its own picture, `<page>_<detail>_<lang>.png`: the element (a text
# key for a heading) brought to the top of the screen, and whether to click it open first.
DETAILS = {
    "board": ("secured", '[data-testid="stExpander"] summary', True),  # secured vs ready-now
    "export": ("survey", "export.survey", False),  # the weekly survey's heading
}
IDLE_MS = 180_000  # the export page builds a month's report: on a busy machine, a minute or more
CATCH_UP_S = 180  # a month of history takes the dashboard's replica a while to roll up
# A page's heading is its navigation title, except where it says more.
HEADINGS = {"overview": "overview.title", "trends": "trends.title", "summary": "summary.title"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT: Any = {"width": 1440, "height": 900}
# Each size: how the browser is set up, and what the file name ends with.
DEVICES: dict[str, tuple[dict[str, Any], str]] = {
    "desktop": ({"viewport": VIEWPORT}, ""), "phone": (PHONE, "_phone"),
}  # fmt: skip
SIZES = tuple(DEVICES)
DEMO_USERS = {
    "coordinator": ("coordinator.demo", ()),
    "hospital_staff": ("staff.hj0001", ("HJ-0001",)),
    "admin": ("admin.demo", ()),
}
HISTORY = timedelta(days=30)
DEMO_NOTICES = (
    ("発熱外来の受付時間を延長します", "本日から当面の間、21時まで受け付けます。", "info"),
    (
        "陰圧室の空きが少なくなっています",
        "隔離が必要な方の搬送は事前に保健所へご相談ください。",
        "warning",
    ),
)
REPORT_EVERY = timedelta(minutes=20)  # per facility, in the simulated history

log = logging.getLogger("dashboard.screenshots")


def idle(page: Page) -> None:
    """Wait until Streamlit has run the script and every lazily loaded element has drawn."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=IDLE_MS
    )
    page.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=IDLE_MS)


def sign_in(page: Page, user: str, password: str) -> None:
    """Fill in the sign-in form, if the dashboard shows one."""
    form = page.locator('input[autocomplete="username"]')
    # The top bar is drawn only for someone signed in, on a desktop and on a phone alike (where
    # the navigation's links are folded away).
    signed_in = page.locator(".st-key-top_bar")
    form.or_(signed_in).first.wait_for(timeout=60_000)
    if form.count():
        form.fill(user)
        page.fill('input[type="password"]', password)
        page.click('[data-testid="stFormSubmitButton"] button')
        signed_in.wait_for(timeout=60_000)


def open_page(page: Page, url: str, name: str, lang: str, home: str) -> None:
    """Go to a page through the navigation, or by its address when the navigation has no room
    for its link (the session cookie keeps the sign-in), again until it shows what it is ready
    with (the replica may still be catching up)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from dashboard.texts import t

    href = f"{url.rstrip('/')}/" + ("" if name == home else name)
    heading = t(HEADINGS.get(name, f"page.{name}"), lang)
    deadline = time.monotonic() + CATCH_UP_S
    while True:
        link = page.locator(f'[data-testid="stTopNavLink"][href="{href}"]')
        try:
            link.first.click(timeout=5_000)
        except PlaywrightTimeout:  # folded away on a phone, or covered
            page.goto(f"{href}?lang={lang}")
        page.locator("h3", has_text=heading).first.wait_for(timeout=IDLE_MS)
        idle(page)
        if page.locator(READY[name]).count() or time.monotonic() > deadline:
            return
        page.wait_for_timeout(2000)  # the replica is catching up


def photograph(page: Page, path: Path, whole: bool) -> None:
    """Save what the screen shows, or (whole) the page from top to bottom: Streamlit scrolls
    its main pane, not the document, so the screen is made as tall as the pane for the picture."""
    if not whole:
        page.screenshot(path=str(path))
        return
    screen = page.viewport_size or PHONE["viewport"]
    tall = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": screen["width"], "height": max(tall, screen["height"])})
    idle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(screen)


def switch_language(page: Page, lang: str) -> None:
    from dashboard.texts import LANG_NAMES

    page.locator('[data-testid="stButtonGroup"] button', has_text=LANG_NAMES[lang]).first.click()


def capture(
    url: str,
    out: Path,
    accounts: dict[str, tuple[str, str]],
    langs: tuple[str, ...] = ("ja", "en"),
    sizes: tuple[str, ...] = SIZES,
) -> list[Path]:
    """Sign in as each role with an account, open its pages in each language, and save
    `<page>_<lang>.png` (and `<page>_<lang>_phone.png` for PHONE_PAGES, on an emulated phone)."""
    from playwright.sync_api import sync_playwright

    from dashboard.navigation import pages_for

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            for role, (user, password) in accounts.items():
                home = pages_for(role)[0].name
                for size in sizes:
                    device, suffix = DEVICES[size]
                    names = [n for n in PAGES[role] if not suffix or n in PHONE_PAGES]
                    if not names:
                        continue
                    context = browser.new_context(**device, locale="ja-JP")
                    page = context.new_page()
                    page.goto(url)
                    sign_in(page, user, password)
                    for lang in langs:
                        switch_language(page, lang)
                        for name in names:
                            open_page(page, url, name, lang, home=home)
                            path = out / f"{name}_{lang}{suffix}.png"
                            photograph(page, path, whole=bool(suffix) or name in TALL_PAGES)
                            written.append(path)
                            log.info("wrote %s", path)
                            if name in DETAILS and not suffix:
                                written.append(detail(page, name, lang, out))
                        if role == "coordinator" and not suffix:
                            written.append(dictionary(page, lang, out))
                    context.close()
        finally:
            browser.close()
    return written


def detail(page: Page, name: str, lang: str, out: Path) -> Path:
    """Bring a page's detail into view (open it or scroll to it) and photograph the screen."""
    from dashboard.texts import t

    what, selector, click = DETAILS[name]
    if selector.startswith("["):
        target = page.locator(selector).first
    else:
        target = page.locator("h5", has_text=t(selector, lang)).first
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 1300})  # room for the detail
    if click:
        target.click()
        idle(page)
    target.evaluate("e => e.scrollIntoView({block: 'start'})")
    path = out / f"{name}_{what}_{lang}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    log.info("wrote %s", path)
    return path


def dictionary(page: Page, lang: str, out: Path) -> Path:
    """The open-data dictionary page as the API serves it at /open/dictionary.html."""
    from bedboard.settings import Settings
    from consumers.exports import opendata

    tab = page.context.new_page()  # beside the dashboard's, which goes on
    tab.set_content(opendata.dictionary_html(Settings(), lang))
    path = out / f"opendata_dictionary_{lang}.png"
    tab.screenshot(path=str(path), full_page=True)
    tab.close()
    log.info("wrote %s", path)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, timeout: float = 60) -> None:
    """Poll the dashboard's health endpoint until it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)  # polling an HTTP endpoint, bounded by the deadline above


def demo_events(now: datetime) -> list:  # noqa: ANN201
    """The demo city and a month of simulated reports ending now, plus two notices."""
    from producers.demo_city import demo_registry
    from producers.simulator import Simulator
    from schemas.events import NoticePosted

    start = now - HISTORY
    registry = demo_registry(start)
    # One wave over three weeks, so that today sits near its peak.
    simulator = Simulator(
        registry, seed=7, wave_minutes=21 * 24 * 60, start=start - timedelta(days=4)
    )
    events: list = list(registry)
    step = REPORT_EVERY / len(registry)
    moment = start
    while moment < now:
        report = simulator.next_report(moment)
        # The rehabilitation hospital stopped reporting this morning: it shows as stale. HJ-0007
        # last reported 5 hours ago: overdue under its 4-hour cadence, not yet stale.
        if not (report.facility_id == "HJ-0008" and moment > now - timedelta(hours=7)) and not (
            report.facility_id == "HJ-0007" and moment > now - timedelta(hours=5)
        ):
            events.append(report)
        moment += step
    events += v2_events(registry, events, now)
    for title, body, severity in DEMO_NOTICES:
        events.append(NoticePosted.model_validate({
            "type": "notice.posted", "version": 1, "event_id": _uuid(), "occurred_at": now,
            "actor": {"org": "health_centre", "user": "coordinator"}, "notice_id": _uuid(),
            "severity": severity, "title": title, "body": body,
        }))  # fmt: skip
    return events


def v2_events(registry: list, history: list, now: datetime) -> list:  # noqa: ANN201
    """Contract v2 in the demo: phase 3, secured beds and oxygen, one hotel, district counts."""
    from schemas.events import CapacityReported
    from schemas.events_v2 import parse_any

    def event(event_type: str, org: str, at: datetime, **fields: object) -> object:
        base = {"type": event_type, "version": 2, "event_id": _uuid(),
                "occurred_at": at.isoformat(), "actor": {"org": org, "user": "demo"}}  # fmt: skip
        return parse_any(base | fields)

    out = [event("phase.declared", "city_hall", now - timedelta(days=2), phase="3")]
    # Reporting cadences: HJ-0007 every 4 hours (and late), the others daily by 09:00.
    for facility in registry[:8]:
        cadence = {"every_hours": 4} if facility.facility_id == "HJ-0007" else {
            "daily_by": "09:00+09:00"}  # fmt: skip
        out.append(parse_any(facility.model_dump(mode="json") | {
            "version": 2, "event_id": _uuid(), "reporting": cadence}))  # fmt: skip
    newest: dict[str, CapacityReported] = {}
    for item in history:
        if isinstance(item, CapacityReported):
            newest[item.facility_id] = item
    for n, facility in enumerate(registry[:6]):
        last = newest.get(facility.facility_id)
        if last is None or facility.facility_id == "HJ-0008":  # HJ-0008 stays stale
            continue
        beds = [
            {"bed_type": line.bed_type, "usable": line.usable, "occupied": line.occupied,
             # Two hospitals have fewer ready beds than they secured: the gap to see.
             "secured": line.usable + (4 if n in (0, 2) else 0),
             "oxygen": line.usable // 2}
            for line in last.beds
        ]  # fmt: skip
        out.append(event("capacity.reported", "hospital", now - timedelta(minutes=20 + n),
                         facility_id=facility.facility_id, beds=beds))  # fmt: skip
    out.append(event("facility.registered", "city_hall", now - timedelta(days=20),
                     facility_id="AC-0001", name={"ja": "八王子駅前ホテル（宿泊療養）",
                           "en": "Hachioji Ekimae Hotel (recovery)"},
                     kind="accommodation", district="八王子駅周辺"))  # fmt: skip
    out.append(event("capacity.reported", "hospital", now - timedelta(minutes=30),
                     facility_id="AC-0001", beds=[{"bed_type": "accommodation_room",
                     "usable": 120, "occupied": 83, "secured": 150}]))  # fmt: skip
    # Counted twice a day over the last four days (the waiting list rose, then eased a little),
    # and this morning: what the meeting summary draws.
    for hours_ago, share in ((99, 0.5), (87, 0.6), (75, 0.8), (63, 1.1), (51, 1.4), (39, 1.5),
                             (27, 1.3), (15, 1.2), (3, 1.0)):  # fmt: skip
        for district, home, hotel, waiting in (
            ("八王子駅周辺", 412, 83, 21),
            ("南大沢", 198, 0, 9),
        ):
            out.append(event("district.counted", "health_centre", now - timedelta(hours=hours_ago),
                             district=district, at_home=home, in_accommodation=hotel,
                             awaiting_admission=round(waiting * share)))  # fmt: skip
    return out


def placement_events(now: datetime) -> list:  # noqa: ANN201
    """Requests from the health centre, some answered: what a busy morning looks like."""
    from producers import forms
    from producers.identity import Identity

    coordinator = Identity("coordinator", "coordinator")
    staff = {f"HJ-000{n}": Identity(f"staff.hj000{n}", "hospital_staff", (f"HJ-000{n}",))
             for n in range(1, 9)}  # fmt: skip
    asks = [
        # Days ago, since the last meeting: declined for want of a bed, or admitted.
        (3900, "HJ-0003", "adult_icu", "70-79", "severe", ["oxygen"], None,
         ("declined", "ICU満床のため")),
        (3100, "HJ-0005", "hcu", "60-69", "severe", ["dialysis"], None,
         ("declined", "透析に対応できないため")),
        (2500, "HJ-0002", "medical_surgical", "80-89", "moderate", [], None, ("accepted", None)),
        (1500, "HJ-0001", "adult_icu", "50-59", "severe", ["ventilator"], None,
         ("declined", "ICU満床のため")),
        (900, "HJ-0004", "medical_surgical", "70-79", "moderate", ["oxygen"], None,
         ("accepted", None)),
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
            if decision == "accepted" and minutes > 600:  # long since arrived
                events.append(forms.placement_close(
                    coordinator, str(request.placement_id), "admitted",
                    now=at + timedelta(hours=3),
                ))  # fmt: skip
    return events


def demo_subscriptions(settings: Any) -> None:
    """The demo hospital's Slack channel and ward address, as its staff would set them."""
    from consumers.notify_store import NotifyStore

    store = NotifyStore(settings.notify_path)
    username, facilities = DEMO_USERS["hospital_staff"]
    store.add(username, "webhook", "https://hooks.slack.com/services/T0DEMO/B0DEMO/demo",
              ["request", "lapse"], bound_to=facilities)  # fmt: skip
    store.add(username, "email", "ward5@hj0001.example.jp", ["request", "capacity", "stale"],
              bed_types=["adult_icu", "hcu"], bound_to=facilities, lang="en")  # fmt: skip


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


@contextlib.contextmanager
def own_demo(workdir: Path) -> Iterator[tuple[str, dict[str, tuple[str, str]]]]:
    """A broker, the topics, the demo history, an account and a dashboard, all under workdir;
    yields the dashboard's URL and each role's account (name, password)."""
    from bedboard import broker
    from bedboard.admin import create_topics
    from bedboard.settings import Settings
    from dashboard.accounts import UsersFile, new_password, users_path
    from dashboard.launch import dashboard_argv
    from producers.demo_cases import case_events
    from producers.publisher import Publisher
    from producers.tokens import TokenStore

    port = broker.free_port_pair()
    bootstrap = broker.start(port=port, data_dir=workdir / "kafka",
                             jars_dir=ROOT / ".bedboard" / "jars")  # fmt: skip
    dashboard = None
    try:
        settings = Settings(bootstrap_servers=bootstrap, data_dir=workdir)
        users, accounts = UsersFile(users_path(settings)), {}
        for role, (username, facilities) in DEMO_USERS.items():
            accounts[role] = (username, new_password())
            users.add(username, role, accounts[role][1], facilities)
        tokens = TokenStore(settings.tokens_path)  # the tokens page lists some, one revoked
        tokens.add(("HJ-0001", "HJ-0003"), name="his.icho")
        tokens.revoke(tokens.add(("HJ-0002",), name="his.komorebi")[0].id)
        tokens.add((), name="prefecture", read_only=True)
        create_topics(settings)
        demo_subscriptions(settings)
        now = datetime.now(UTC)
        events = [*demo_events(now), *placement_events(now), *case_events(now)]
        with Publisher(settings) as publisher:
            for first in range(0, len(events), 2000):
                receipt = publisher.publish(events[first : first + 2000], source="simulator")
                if receipt.queued:
                    raise RuntimeError(f"the broker did not take {receipt.queued} demo events")
        web = free_port()
        env = os.environ | {"BEDBOARD_BOOTSTRAP_SERVERS": bootstrap,
                            "BEDBOARD_DATA_DIR": str(workdir)}  # fmt: skip
        for name in ("BEDBOARD_DB", "BEDBOARD_USERS_FILE", "BEDBOARD_DASHBOARD_NO_FEED"):
            env.pop(name, None)
        dashboard = subprocess.Popen(
            dashboard_argv(web),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{web}"
        wait_for_http(url)
        yield url, accounts
    finally:
        if dashboard is not None:
            dashboard.terminate()
            dashboard.wait(timeout=30)
        broker.stop(workdir / "kafka")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--url", help="a running dashboard; without it, start a demo here")
    parser.add_argument(
        "--user",
        default=os.environ.get("BEDBOARD_SCREENSHOT_USER"),
        help="a coordinator's account on the running dashboard (with --url)",
    )
    parser.add_argument(
        "--password",
        default=os.environ.get("BEDBOARD_SCREENSHOT_PASSWORD"),
        help="its password (better given as BEDBOARD_SCREENSHOT_PASSWORD)",
    )
    parser.add_argument(
        "--roles", nargs="+", choices=tuple(PAGES), default=tuple(PAGES),
        help="whose pages to photograph (all by default)",
    )  # fmt: skip
    parser.add_argument(
        "--sizes", nargs="+", choices=SIZES, default=SIZES,
        help="desktop (1440x900) and/or phone (390x844, touch; PHONE_PAGES only)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.url:
        if not (args.user and args.password):
            parser.error("--url needs --user and --password (a coordinator's account)")
        capture(args.url, args.out, {"coordinator": (args.user, args.password)},
                sizes=tuple(args.sizes))  # fmt: skip
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="bedboard-shots-") as workdir,
        own_demo(Path(workdir)) as (url, accounts),
    ):
        capture(url, args.out, {role: accounts[role] for role in args.roles},
                sizes=tuple(args.sizes))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
