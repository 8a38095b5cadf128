"""Everyday use in real Chromium on the real dashboard server and broker: a sign-in that survives
reloads and new tabs, signing out everywhere, a disabled account refused at once, and an admin who
registers a facility that then appears on the board."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_staff_browser import WAIT_MS, browser, wait_for_http

from bedboard import broker as local_broker
from bedboard.admin import create_topics
from dashboard.accounts import UsersFile, new_password, users_path
from dashboard.launch import dashboard_argv
from dashboard.sessions import COOKIE
from producers.demo_city import DEMO_CITY
from producers.identity import Identity
from producers.publisher import Publisher
from producers.registry import read_registry_csv
from schemas.events import Actor
from tests.local_kafka import on_session_broker

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the Chromium fixture, shared with the staff tests

STAFF = Identity("staff.icho", "hospital_staff", ("HJ-0001",))
NURSE = Identity("nurse.kaede", "hospital_staff", ("HJ-0002",))  # the one who gets disabled
ADMIN = Identity("admin.mori", "admin")
SIGN_IN_HEADING = "Bedboard ログイン"


@dataclass(frozen=True)
class Stack:
    url: str
    passwords: dict[str, str]
    data_dir: Path


@pytest.fixture(scope="module")
def stack(
    broker: str, broker_credentials: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The demo city's registry on the session's broker, three accounts, and the dashboard."""
    data_dir = tmp_path_factory.mktemp("everyday")
    settings = on_session_broker(
        broker, broker_credentials, data_dir, topic_prefix=f"e{uuid.uuid4().hex[:8]}."
    )
    create_topics(settings)
    registry, problems = read_registry_csv(
        DEMO_CITY, Actor(org="city_hall", user="t"), datetime.now(UTC)
    )
    assert not problems
    with Publisher(settings) as publisher:
        assert publisher.publish(registry).status == "live"
    passwords = {}
    users = UsersFile(users_path(settings))
    for who in (STAFF, NURSE, ADMIN):
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
        yield Stack(url, passwords, data_dir)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        text = (data_dir / "dashboard.log").read_text()
        assert not any(password in text for password in passwords.values())


def new_context(browser: Browser) -> BrowserContext:
    """One browser profile: its tabs share cookies, as a person's tabs do."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
    context.set_default_timeout(WAIT_MS)
    return context


def sign_in(page: Page, stack: Stack, who: Identity) -> None:
    page.goto(stack.url)
    page.get_by_label("ユーザー名").fill(who.username)
    page.get_by_label("パスワード").fill(stack.passwords[who.username])
    page.get_by_role("button", name="ログイン").click()


def signed_in_as(page: Page, who: Identity) -> None:
    # A reload on a loaded machine waits for the replica: the page's own timeout, not 5 s.
    expect(page.get_by_role("button", name=who.username)).to_be_visible(timeout=WAIT_MS)


def signed_out(page: Page) -> None:
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible(timeout=WAIT_MS)


def poll(what: Callable[[], object], message: str, timeout: float = 15) -> object:
    """What `what` returns once it is truthy, polled under a deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := what():
            return found
        time.sleep(0.1)  # polling the browser's cookie jar, under the deadline above
    raise AssertionError(message)


def session_cookie(context: BrowserContext) -> dict:
    def find() -> dict | None:
        return next((c for c in context.cookies() if c["name"] == COOKIE), None)

    return poll(find, "the session cookie was never set")  # type: ignore[return-value]


def test_a_reload_and_a_new_tab_keep_the_sign_in_and_page_scripts_never_see_it(
    browser: Browser, stack: Stack
) -> None:
    context = new_context(browser)
    first = context.new_page()
    sign_in(first, stack, STAFF)
    signed_in_as(first, STAFF)
    cookie = session_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert COOKIE not in first.evaluate("document.cookie")  # no page script can read it
    assert cookie["value"] not in first.url

    first.reload()
    signed_in_as(first, STAFF)
    expect(first.get_by_role("heading", name="病床報告")).to_be_visible()
    second = context.new_page()
    second.goto(stack.url + "/board")
    signed_in_as(second, STAFF)

    # The server keeps only a hash of the id, in an owner-only file.
    store = stack.data_dir / "sessions.sqlite"
    assert cookie["value"].encode() not in store.read_bytes()
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    context.close()


def test_signing_out_in_one_tab_signs_out_the_other(browser: Browser, stack: Stack) -> None:
    context = new_context(browser)
    first = context.new_page()
    sign_in(first, stack, STAFF)
    signed_in_as(first, STAFF)
    session_cookie(context)
    second = context.new_page()
    second.goto(stack.url)
    signed_in_as(second, STAFF)

    first.get_by_role("button", name=STAFF.username).click()
    first.get_by_role("button", name="ログアウト").click()
    signed_out(first)
    # The other tab is out at its next step, and a reload does not bring the session back.
    second.get_by_role("link", name="病床一覧").click()
    signed_out(second)
    second.reload()
    signed_out(second)
    poll(lambda: not any(c["name"] == COOKIE for c in context.cookies()), "cookie not cleared")
    context.close()


def test_a_disabled_account_is_refused_at_once(browser: Browser, stack: Stack) -> None:
    nurse_context, admin_context = new_context(browser), new_context(browser)
    nurse = nurse_context.new_page()
    sign_in(nurse, stack, NURSE)
    signed_in_as(nurse, NURSE)

    admin = admin_context.new_page()
    sign_in(admin, stack, ADMIN)
    signed_in_as(admin, ADMIN)
    admin.goto(f"{stack.url}/accounts")  # a new page load: the session cookie carries it
    admin.get_by_label("変更するアカウント").click()
    admin.get_by_role("option", name=NURSE.username).click()
    admin.get_by_role("button", name="無効にする").click()
    expect(admin.get_by_role("button", name="有効に戻す")).to_be_visible()

    nurse.get_by_role("link", name="病床一覧").click()  # the nurse's very next step
    signed_out(nurse)
    sign_in(nurse, stack, NURSE)
    expect(nurse.get_by_text("ユーザー名またはパスワードが違います。")).to_be_visible()

    lines = [json.loads(x) for x in (stack.data_dir / "audit.jsonl").read_text().splitlines()]
    done = {(x["actor"], x["action"], x["subject"], x["detail"]) for x in lines}
    assert (ADMIN.username, "account_disabled", NURSE.username, "") in done
    assert (NURSE.username, "sign_in_refused", NURSE.username, "disabled") in done
    nurse_context.close()
    admin_context.close()


def test_an_admin_registers_a_facility_and_it_appears_on_the_board(
    browser: Browser, stack: Stack
) -> None:
    context = new_context(browser)
    admin = context.new_page()
    sign_in(admin, stack, ADMIN)
    signed_in_as(admin, ADMIN)
    admin.goto(f"{stack.url}/registry")
    admin.get_by_label("施設ID", exact=True).fill("HJ-0099")
    admin.get_by_label("施設名（日本語）").fill("高尾けやき臨時医療センター")
    admin.get_by_label("地区", exact=True).fill("高尾")
    admin.get_by_role("button", name="登録する").click()
    expect(admin.get_by_text("受け付けました")).to_be_visible()

    # It is in the registry table once the replica has applied the event (the board lists a
    # facility once it reports beds); each look is a reload, which the session cookie survives.
    def shown() -> bool:
        admin.goto(f"{stack.url}/registry")
        signed_in_as(admin, ADMIN)
        grid = admin.get_by_test_id("stDataFrame")
        row = grid.locator('tr[role="row"]').filter(has_text="HJ-0099")
        try:
            grid.locator('tr[role="row"]').first.wait_for(state="attached", timeout=10_000)
        except PlaywrightTimeout:
            return False
        return row.count() > 0 and "高尾けやき臨時医療センター" in row.first.inner_text()

    poll(shown, "the new facility never appeared", timeout=30)
    context.close()
