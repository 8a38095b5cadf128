"""The real dashboard (`streamlit run`) on the real broker, driven in headless Chromium."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dashboard_city import COORDINATOR, ROOT
from playwright.sync_api import Page, expect, sync_playwright

from bedboard import broker as local_broker
from bedboard.admin import create_topics
from bedboard.settings import Settings
from dashboard.accounts import UsersFile, users_path
from dashboard.launch import dashboard_argv
from dashboard.screenshots import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    VIEWPORT,
    free_port,
    sign_in,
    wait_for_http,
)
from producers.demo_city import demo_registry
from producers.publisher import Publisher
from schemas.events import Event
from tests.factories import beds, capacity

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-42"
LIVE_S = 60_000  # ms: the roll-up catching up plus a 5 s refresh, on a slow machine
# Medical/surgical (usable, occupied) per demo facility: 8 facilities, 245 free beds in all.
BEDS = {"HJ-0001": (480, 400), "HJ-0002": (360, 330), "HJ-0003": (220, 219),
        "HJ-0004": (240, 200), "HJ-0005": (300, 300), "HJ-0006": (10, 2),
        "HJ-0007": (30, 20), "HJ-0008": (20, 10)}  # fmt: skip


def report(facility_id: str, usable: int, occupied: int, at: datetime) -> Event:
    """An open, normal general ward report by the facility's own bed manager."""
    actor = {"org": "hospital", "user": f"bedmgr.{facility_id}"}
    ward = beds(medical_surgical=(usable, occupied))
    return capacity(facility_id, at, actor=actor, accepting="open", ed_status="normal", beds=ward)


def publish(settings: Settings, events: list[Event]) -> None:
    """Publish and wait for the broker's acknowledgement (a busy machine may need a retry)."""
    with Publisher(settings) as publisher:
        publisher.publish(events)
        deadline = time.monotonic() + 60
        while publisher.queued and time.monotonic() < deadline:
            publisher.drain()
        assert publisher.queued == 0, "the broker did not take the test's events"


@contextlib.contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The demo city on these settings' topics, a coordinator's account, and the dashboard."""
    now = datetime.now(UTC) - timedelta(minutes=1)
    city: list[Event] = list(demo_registry(now))
    city += [report(fid, usable, occupied, now) for fid, (usable, occupied) in BEDS.items()]
    publish(settings, city)
    UsersFile(users_path(settings)).add(COORDINATOR, "coordinator", PASSWORD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEDBOARD_")}
    env |= {"BEDBOARD_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
            "BEDBOARD_DATA_DIR": str(settings.data_dir)}  # fmt: skip
    port = free_port()
    with (settings.data_dir / "dashboard.log").open("wb") as log:
        server = subprocess.Popen(dashboard_argv(port), cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_http(url)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture
def dashboard(settings: Settings) -> Iterator[str]:
    with serve(settings) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_context(viewport=VIEWPORT).new_page()
        finally:
            browser.close()


def go(page: Page, url: str, name: str) -> None:
    """Follow a link of the navigation: a reload would start a new, signed-out session."""
    page.click(f'[data-testid="stTopNavLink"][href="{url}/{name}"]')


def metric(page: Page, label: str):  # noqa: ANN201
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]')


def cell(page: Page, text: str):  # noqa: ANN201
    return page.locator('td[role="gridcell"]', has_text=text)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a selectbox or multiselect by its label."""
    widget = page.locator('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]')
    widget.filter(has_text=label).get_by_role("combobox").click()
    page.get_by_role("option").filter(has_text=option).first.click()
    page.keyboard.press("Escape")


def test_coordinator_reads_the_city_in_both_languages_and_narrows_the_board(
    dashboard: str, page: Page
) -> None:
    page.goto(dashboard)
    sign_in(page, COORDINATOR, PASSWORD)

    usable = sum(u for u, _ in BEDS.values())
    free = sum(max(u - o, 0) for u, o in BEDS.values())
    expect(metric(page, "即応病床数")).to_have_text(f"{usable:,}", timeout=LIVE_S)
    expect(metric(page, "空床")).to_have_text(f"{free:,}")
    header = page.locator('[data-testid="stMarkdownContainer"]', has_text="最終受信").first
    expect(header).to_contain_text("ライブ")

    page.locator('[data-testid="stButtonGroup"] button', has_text="English").click()
    expect(page.locator("h3", has_text="Beds across the city")).to_be_visible()
    expect(metric(page, "Usable beds")).to_have_text(f"{usable:,}")

    go(page, dashboard, "board")
    expect(page.get_by_text("8 of 8 facilities")).to_be_visible()
    choose(page, "District", "北野")
    expect(page.get_by_text("1 of 8 facilities")).to_be_visible()
    expect(page.get_by_text("1 free beds in all")).to_be_visible()  # 北野: 220 - 219

    go(page, dashboard, "facility")
    choose(page, "Facility", "HJ-0003")
    expect(page.locator("h3", has_text="Kitano Hanamizuki Hospital")).to_be_visible()
    # The grid draws on a canvas; its cells are also in the page for screen readers.
    expect(cell(page, "hospital:bedmgr.HJ-0003").first).to_be_attached()  # the reports log


def test_a_published_report_changes_the_open_board_without_a_reload(
    dashboard: str, page: Page, settings: Settings
) -> None:
    page.goto(dashboard)
    sign_in(page, COORDINATOR, PASSWORD)
    go(page, dashboard, "board")
    free = sum(max(u - o, 0) for u, o in BEDS.values())
    expect(page.get_by_text(f"空床 計{free:,}床")).to_be_visible(timeout=LIVE_S)
    expect(cell(page, "○ 80")).to_have_count(1)  # HJ-0001's medical/surgical beds
    page.evaluate("window.stillTheSamePage = true")  # a reload would forget this

    publish(settings, [report("HJ-0001", 480, 470, datetime.now(UTC))])  # 80 free -> 10

    expect(page.get_by_text(f"空床 計{free - 70:,}床")).to_be_visible(timeout=LIVE_S)
    expect(cell(page, "▲ 10")).to_have_count(1)  # now nearly full
    assert page.evaluate("window.stillTheSamePage") is True


def test_when_the_broker_goes_away_a_banner_says_so_and_the_numbers_stay(
    tmp_path: Path, page: Page
) -> None:
    # A broker of its own: this test stops it.
    kafka_dir = tmp_path / "kafka"
    bootstrap = local_broker.start(port=local_broker.free_port_pair(), data_dir=kafka_dir,
                                   jars_dir=ROOT / ".bedboard" / "jars")  # fmt: skip
    try:
        settings = Settings(bootstrap_servers=bootstrap, data_dir=tmp_path)
        create_topics(settings)
        with serve(settings) as url:
            page.goto(url)
            sign_in(page, COORDINATOR, PASSWORD)
            usable = f"{sum(u for u, _ in BEDS.values()):,}"
            expect(metric(page, "即応病床数")).to_have_text(usable, timeout=LIVE_S)

            local_broker.stop(kafka_dir)

            banner = page.locator('[data-testid="stAlertContentError"]')
            expect(banner).to_contain_text("ブローカーに接続できません", timeout=LIVE_S)
            expect(banner).to_contain_text("のものです")  # the age of what is still shown
            expect(metric(page, "即応病床数")).to_have_text(usable)
    finally:
        local_broker.stop(kafka_dir)
