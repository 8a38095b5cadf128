"""Staff and coordinators working together in real Chromium, on the real dashboard (`streamlit
run`) against a real broker: a report reaches the board, a placement is answered live, a bad CSV
is refused with every error listed."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bedboard import broker as local_broker  # free ports only: the broker is the session's
from bedboard.admin import create_topics
from bedboard.settings import Settings
from dashboard.accounts import UsersFile, new_password, users_path
from dashboard.launch import dashboard_argv
from producers import forms
from producers.demo_city import DEMO_CITY
from producers.identity import Identity
from producers.publisher import Publisher
from producers.registry import read_registry_csv
from schemas.events import Actor
from tests.local_kafka import on_session_broker

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WAIT_MS = 30_000
STAFF = Identity("staff.icho", "hospital_staff", ("HJ-0001",))
COORDINATOR = Identity("hc.sato", "coordinator")
SEED = {"medical_surgical": (220, 180), "adult_icu": (16, 9), "hcu": (21, 12)}


@dataclass(frozen=True)
class Stack:
    url: str
    passwords: dict[str, str]


@pytest.fixture(scope="module")
def stack(
    broker: str, broker_credentials: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """On the session's broker (tests/conftest.py): topics, the demo city's registry, one report
    from HJ-0001, two accounts, and the dashboard."""
    data_dir = tmp_path_factory.mktemp("bedboard")
    settings = on_session_broker(
        broker, broker_credentials, data_dir, topic_prefix=f"b{uuid.uuid4().hex[:8]}."
    )
    create_topics(settings)
    now = datetime.now(UTC)
    registry, problems = read_registry_csv(DEMO_CITY, Actor(org="city_hall", user="t"), now)
    assert not problems
    beds = [forms.BedInput(code, u, o) for code, (u, o) in SEED.items()]
    report = forms.capacity_report(STAFF, "HJ-0001", beds, now=now, accepting="open")
    with Publisher(settings) as publisher:
        assert publisher.publish([*registry, report]).status == "live"

    with serving(broker, settings, data_dir) as stack:
        yield stack


@contextlib.contextmanager
def serving(broker: str, settings: Settings, data_dir: Path) -> Iterator[Stack]:
    """The dashboard on these topics, with an account for STAFF and COORDINATOR each; its log
    must hold no password when it stops."""
    passwords = {}
    users = UsersFile(users_path(settings))
    for who in (STAFF, COORDINATOR):
        passwords[who.username] = new_password()
        users.add(who.username, who.role, passwords[who.username], who.facilities)

    port = local_broker.free_port_pair()
    env = os.environ | {
        "BEDBOARD_BOOTSTRAP_SERVERS": broker,
        "BEDBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "BEDBOARD_DATA_DIR": str(data_dir),
        "BEDBOARD_LANG": "ja",
    }
    env.pop("BEDBOARD_DB", None)
    log = (data_dir / "dashboard.log").open("w")
    server = subprocess.Popen(dashboard_argv(port), env=env, stdout=log, stderr=subprocess.STDOUT)
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
        log.close()
        # The log holds everything the server wrote: no password may be in it.
        text = (data_dir / "dashboard.log").read_text()
        assert not any(password in text for password in passwords.values())


def wait_for_http(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "the dashboard exited while starting"
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:  # refused, reset, or no answer yet within the second (URLError too)
            time.sleep(0.2)  # polling the server, under the deadline above
    raise AssertionError(f"the dashboard did not answer at {url}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def signed_in(browser: Browser, stack: Stack, who: Identity) -> Page:
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
    page.set_default_timeout(WAIT_MS)
    page.goto(stack.url)
    page.get_by_label("ユーザー名").fill(who.username)
    page.get_by_label("パスワード").fill(stack.passwords[who.username])
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name=who.username)).to_be_visible()
    return page


def grid_cell(page: Page, row_text: str, column: str) -> Locator:
    """A cell of a dataframe, read through the grid's accessible (off-screen) table."""
    header = page.locator('th[role="columnheader"]', has_text=column)
    grid = page.get_by_test_id("stDataFrame").filter(has=header)
    headers = grid.locator('th[role="columnheader"]')
    expect(headers).not_to_have_count(0)
    names = [name.strip() for name in headers.all_inner_texts()]
    index = names.index(column) + 1
    row = grid.locator('tr[role="row"]').filter(has_text=row_text)
    return row.locator(f'td[aria-colindex="{index}"]')


def test_staff_changes_two_numbers_and_the_coordinators_board_shows_them(
    browser: Browser, stack: Stack
) -> None:
    staff = signed_in(browser, stack, STAFF)
    expect(staff.get_by_role("heading", name="病床報告")).to_be_visible()
    occupied = staff.get_by_label("成人ICU 使用中")
    expect(occupied).to_have_value("9")  # prefilled from the last report
    occupied.fill("14")
    staff.get_by_label("高度治療室 (HCU) 即応病床数").fill("24")
    staff.get_by_role("button", name="送信").click()
    expect(staff.get_by_text("受け付けました。ボードに反映されています")).to_be_visible()

    coordinator = signed_in(browser, stack, COORDINATOR)
    coordinator.get_by_role("link", name="病床一覧").click()
    expect(grid_cell(coordinator, "八王子いちょう総合病院", "成人ICU")).to_have_text(
        re.compile(r"\s2$")
    )  # 16 usable - 14 occupied
    expect(grid_cell(coordinator, "八王子いちょう総合病院", "高度治療室 (HCU)")).to_have_text(
        re.compile(r"\s12$")
    )  # 24 usable - 12 occupied
    staff.close()
    coordinator.close()


def test_a_placement_request_is_answered_and_the_coordinator_sees_it_live(
    browser: Browser, stack: Stack
) -> None:
    staff = signed_in(browser, stack, STAFF)
    staff.get_by_role("link", name="受入依頼").click()
    expect(staff.get_by_text("回答待ちの依頼はありません。")).to_be_visible()

    coordinator = signed_in(browser, stack, COORDINATOR)
    coordinator.get_by_role("link", name="空床検索").click()
    row = coordinator.get_by_test_id("stHorizontalBlock").filter(has_text="八王子いちょう総合病院")
    row.last.get_by_role("button", name="依頼する").click()
    dialog = coordinator.get_by_role("dialog")
    expect(dialog.get_by_text("八王子いちょう総合病院 (HJ-0001)")).to_be_visible()
    dialog.get_by_label("補足（任意）").fill("酸素 2L <b>独歩可</b>")
    dialog.get_by_role("button", name="依頼を送信").click()
    expect(dialog.get_by_text("受け付けました")).to_be_visible()
    coordinator.keyboard.press("Escape")
    coordinator.get_by_role("link", name="入院調整").click()
    expect(coordinator.get_by_text("回答待ち")).to_be_visible()

    # The staff's inbox was open all along: the request arrives without a reload.
    expect(staff.get_by_text("酸素 2L <b>独歩可</b>")).to_be_visible()
    staff.get_by_role("button", name="受け入れる").click()
    expect(staff.get_by_text("受入承諾")).to_be_visible()

    # And the coordinator's list turns to "accepted" by itself, without a reload either.
    expect(coordinator.get_by_text("受入承諾", exact=True)).to_be_visible()
    expect(coordinator.get_by_text("回答待ち")).to_have_count(0)
    staff.close()
    coordinator.close()


def test_a_csv_with_errors_is_refused_with_every_error_listed(
    browser: Browser, stack: Stack, tmp_path: Path
) -> None:
    csv = tmp_path / "beds.csv"
    csv.write_text(
        "facility_id,bed_type,usable,occupied\n"
        "HJ-0001,adult_icu,16,10\n"
        "HJ-0002,hcu,8,5\n"
        "HJ-0001,icu,x,1\n",
        encoding="utf-8",
    )
    staff = signed_in(browser, stack, STAFF)
    staff.get_by_role("link", name="CSV一括報告").click()
    staff.locator('input[type="file"]').set_input_files(csv)

    expect(staff.get_by_text("3件の問題があるため、何も送信していません")).to_be_visible()
    expect(grid_cell(staff, "HJ-0002", "問題")).to_have_text(
        "この施設（HJ-0002）の担当ではないため送信できません"
    )
    problems = staff.get_by_test_id("stDataFrame").filter(has_text="facility_id")
    rows = problems.locator('tbody tr[role="row"]')
    expect(rows).to_have_count(3)  # one row per problem
    cells = [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]
    assert [c[:2] for c in cells] == [["3", "facility_id"], ["4", "bed_type"], ["4", "usable"]]
    assert cells[0][2] == "この施設（HJ-0002）の担当ではないため送信できません"
    assert cells[1][2].startswith("次のいずれかにしてください: 'adult_icu'")
    assert cells[2][2] == "整数にしてください"
    expect(staff.get_by_role("button", name="すべて送信")).to_have_count(0)
    staff.close()
