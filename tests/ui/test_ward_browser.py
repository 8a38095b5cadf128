"""Bed managers on the ward, on the real dashboard and broker in Chromium: on a phone (mobile
emulation, 390 x 844, touch) the report form labels each box, every touch target is big enough,
nothing runs off the screen sideways, and a report is sent; and the staff of a facility whose
report is overdue land on the report form, whatever page they open, with a banner saying so."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_everyday_browser import session_cookie
from test_staff_browser import WAIT_MS, browser, wait_for_http

from bedboard import broker as local_broker
from bedboard.admin import create_topics
from dashboard.accounts import UsersFile, new_password, users_path
from dashboard.launch import dashboard_argv
from dashboard.screenshots import PHONE
from producers import forms
from producers.demo_city import DEMO_CITY
from producers.identity import Identity
from producers.publisher import Publisher
from producers.registry import read_registry_csv
from schemas.events import Actor
from schemas.events_v2 import FacilityRegisteredV2
from tests.local_kafka import on_session_broker

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the Chromium fixture, shared with the staff tests

STAFF = Identity("staff.icho", "hospital_staff", ("HJ-0001",))
LATE = Identity("staff.komorebi", "hospital_staff", ("HJ-0002",))  # due every 4 h; 5 h ago
SEED = {"adult_icu": (16, 9), "hcu": (21, 12)}
TOUCH_PX = 44  # the smallest target a thumb hits reliably (WCAG 2.5.5, Apple, Android)
# Every visible control a thumb presses, measured as the box it is pressed on: a select box's
# control (not the small text field inside it), any other input, text area and button.
TARGETS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const found = [...main.querySelectorAll('button, input, textarea, [data-baseweb="select"]')]
    .filter(e => !e.closest('[data-baseweb="select"]') || e.matches('[data-baseweb="select"]'))
    .filter(e => e.offsetParent !== null && e.type !== 'file');
  return found.map(e => {
    const box = e.getBoundingClientRect();
    const name = e.getAttribute('aria-label') || e.innerText || e.tagName;
    return [name.trim().slice(0, 40), Math.round(box.width), Math.round(box.height)];
  });
}"""


@dataclass(frozen=True)
class Stack:
    url: str
    passwords: dict[str, str]


@pytest.fixture(scope="module")
def stack(
    broker: str, broker_credentials: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The demo city's registry, a report from HJ-0001, a staff account, and the dashboard."""
    data_dir = tmp_path_factory.mktemp("phone")
    settings = on_session_broker(
        broker, broker_credentials, data_dir, topic_prefix=f"p{uuid.uuid4().hex[:8]}."
    )
    create_topics(settings)
    now = datetime.now(UTC)
    registry, problems = read_registry_csv(DEMO_CITY, Actor(org="city_hall", user="t"), now)
    assert not problems
    komorebi = next(e for e in registry if e.facility_id == "HJ-0002")
    every_four = FacilityRegisteredV2.model_validate(
        komorebi.model_dump()
        | {"version": 2, "event_id": uuid.uuid4(), "reporting": {"every_hours": 4}}
    )
    beds = [forms.BedInput(code, u, o) for code, (u, o) in SEED.items()]
    reports = [
        forms.capacity_report(STAFF, "HJ-0001", beds, now=now - timedelta(minutes=5)),
        forms.capacity_report(LATE, "HJ-0002", beds, now=now - timedelta(hours=5)),
    ]
    with Publisher(settings) as publisher:
        assert publisher.publish([*registry, every_four, *reports]).status == "live"
    passwords = {}
    for who in (STAFF, LATE):
        passwords[who.username] = new_password()
        UsersFile(users_path(settings)).add(
            who.username, who.role, passwords[who.username], who.facilities
        )
    port = local_broker.free_port_pair()
    env = os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": broker,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(data_dir),
        "BEDBOARD_LANG": "ja",
    }
    env.pop("BEDBOARD_DB", None)
    with (data_dir / "dashboard.log").open("w") as log:
        server = subprocess.Popen(
            dashboard_argv(port), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/_stcore/health", server)
            yield Stack(url, passwords)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def on_a_phone(browser: Browser, stack: Stack, who: Identity) -> Page:
    """Signed in on an emulated phone: its screen, touch, and the mobile viewport rules."""
    return signed_in(browser.new_context(**PHONE, locale="ja-JP").new_page(), stack, who)


def signed_in(page: Page, stack: Stack, who: Identity) -> Page:
    page.set_default_timeout(WAIT_MS)
    page.goto(stack.url)
    page.get_by_label("ユーザー名").fill(who.username)
    page.get_by_label("パスワード").fill(stack.passwords[who.username])
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name=who.username)).to_be_visible()
    return page


def fits_the_screen(page: Page) -> None:
    """Nothing runs off the screen sideways, and every touch target is at least 44 px tall."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the page is {width} px wide"
    targets = page.evaluate(TARGETS)
    assert targets, "no controls were measured"
    small = [t for t in targets if t[2] < TOUCH_PX]
    assert not small, f"touch targets under {TOUCH_PX} px tall: {small}"


def test_a_bed_manager_sends_a_report_from_a_phone(browser: Browser, stack: Stack) -> None:
    phone = on_a_phone(browser, stack, STAFF)
    expect(phone.get_by_role("heading", name="病床報告")).to_be_visible()
    # Each bed type's line says which box is ready-now and which is occupied, side by side.
    form = phone.get_by_test_id("stForm")
    for bed in ("成人ICU", "高度治療室 (HCU)"):
        line = form.get_by_test_id("stHorizontalBlock").filter(has_text=bed)
        ready = line.get_by_text("即応病床数", exact=True)
        occupied = line.get_by_text("使用中", exact=True)
        expect(ready).to_be_visible()
        expect(occupied).to_be_visible()
        ready_box, occupied_box = ready.bounding_box(), occupied.bounding_box()
        assert ready_box and occupied_box and ready_box["x"] < occupied_box["x"]
        assert abs(ready_box["y"] - occupied_box["y"]) < 2
    # The desktop's column headings are hidden: on a phone they would stack with nothing beside.
    expect(form.get_by_text("病床", exact=True)).to_be_hidden()
    fits_the_screen(phone)

    icu = phone.get_by_label("成人ICU 使用中")
    expect(icu).to_have_value("9")  # prefilled from the last report
    icu.tap()
    icu.fill("11")
    phone.get_by_role("button", name="送信").tap()
    expect(phone.get_by_text("受け付けました。ボードに反映されています")).to_be_visible()
    fits_the_screen(phone)
    phone.context.close()


def test_the_inbox_and_the_overview_fit_a_phone(browser: Browser, stack: Stack) -> None:
    phone = on_a_phone(browser, stack, STAFF)
    for name, heading in (("inbox", "受入依頼"), ("overview", "市内の病床状況")):
        phone.goto(f"{stack.url}/{name}")
        expect(phone.get_by_role("heading", name=heading)).to_be_visible()
        expect(phone.get_by_role("button", name=STAFF.username)).to_be_visible()
        fits_the_screen(phone)
    phone.context.close()


def test_an_overdue_facility_s_staff_land_on_the_report_form(
    browser: Browser, stack: Stack
) -> None:
    desk = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
    late = signed_in(desk.new_page(), stack, LATE)
    overdue = "南大沢こもれび医療センターの報告期限を過ぎています"
    expect(late.get_by_role("heading", name="病床報告")).to_be_visible()
    expect(late.get_by_text(overdue)).to_contain_text("4時間ごと")
    session_cookie(desk)
    # A new tab opened at the board (a bookmark, a link): its first page is the report form.
    tab = desk.new_page()
    tab.goto(f"{stack.url}/board")
    expect(tab.get_by_role("heading", name="病床報告")).to_be_visible(timeout=WAIT_MS)
    expect(tab.get_by_text(overdue)).to_be_visible()
    # Once: after that, the board is theirs to open.
    tab.get_by_role("link", name="病床一覧").click()
    expect(tab.get_by_role("heading", name="病床一覧")).to_be_visible()
    desk.close()

    # A facility that is on time: its staff open what they asked for.
    other = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
    signed_in(other.new_page(), stack, STAFF)
    session_cookie(other)
    on_time = other.new_page()
    on_time.goto(f"{stack.url}/board")
    expect(on_time.get_by_role("heading", name="病床一覧")).to_be_visible(timeout=WAIT_MS)
    expect(on_time.get_by_text("報告期限を過ぎています")).to_have_count(0)
    other.close()
