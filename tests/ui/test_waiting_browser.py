"""The waiting list in real Chromium, on the real dashboard against a real broker: a case is placed
into the last free bed, the bed is held on a third screen, transport and admission follow, and a
lapsed request is flagged with the next bed offered."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from test_staff_browser import (
    COORDINATOR,
    STAFF,
    Stack,
    browser,  # noqa: F401  (the module's Chromium, a fixture)
    grid_cell,
    serving,
    signed_in,
)

from bedboard.admin import create_topics
from bedboard.settings import Settings
from consumers.lapses import LapseProcessor
from producers import case_forms, forms
from producers.demo_city import DEMO_CITY
from producers.publisher import Publisher
from producers.registry import read_registry_csv
from schemas.events import Actor
from tests.local_kafka import on_session_broker

pytestmark = pytest.mark.browser
# Live data reaches a page through the broker, the page's replica and a fragment's next redraw
# (every 3 s): longer than expect's default 5 s on a busy machine.
expect.set_options(timeout=30_000)
WARD = "一般 (内科・外科)"
ICHO = "八王子いちょう総合病院"


@pytest.fixture(scope="module")
def placing(
    broker: str, broker_credentials: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Settings]]:
    """The demo city; HJ-0001 with one general bed free, HJ-0002 with many; two accounts; the
    dashboard."""
    data_dir = tmp_path_factory.mktemp("waiting")
    settings = on_session_broker(
        broker, broker_credentials, data_dir, topic_prefix=f"w{uuid.uuid4().hex[:8]}."
    )
    create_topics(settings)
    now = datetime.now(UTC)
    registry, problems = read_registry_csv(DEMO_CITY, Actor(org="city_hall", user="t"), now)
    assert not problems
    reports = [
        forms.capacity_report(STAFF, "HJ-0001", [forms.BedInput("medical_surgical", 40, 39)],
                              now=now, accepting="open"),
    ]  # fmt: skip
    with Publisher(settings) as publisher:
        assert publisher.publish([*registry, *reports]).status == "live"
    with serving(broker, settings, data_dir) as stack:
        yield stack, settings


def go(page: Page, name: str) -> None:
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def status(page: Page, word: str, case_ref: str = "HC-0001") -> Locator:
    """The case's status in its heading (the history table below holds the same words, in cells
    the grid may keep hidden)."""
    return page.get_by_role("heading", name=re.compile(f"{case_ref} · .*({word})"))


def test_a_case_goes_into_the_last_free_bed_held_then_admitted(
    browser: Browser,  # noqa: F811
    placing: tuple[Stack, Settings],
) -> None:
    stack, settings = placing
    staff = signed_in(browser, stack, STAFF)
    go(staff, "受入依頼")
    board = signed_in(browser, stack, COORDINATOR)  # the third screen
    go(board, "病床一覧")
    expect(grid_cell(board, ICHO, WARD)).to_have_text(re.compile(r"\s1$"))

    coordinator = signed_in(browser, stack, COORDINATOR)
    go(coordinator, "入院待機者")
    coordinator.get_by_text("待機者を登録").click()
    coordinator.get_by_role("textbox", name="管理番号").fill("HC-0001")
    coordinator.get_by_role("button", name="待機者に登録").click()
    expect(coordinator.get_by_text("受け付けました")).to_be_visible()
    expect(coordinator.get_by_text("HC-0001")).to_be_visible()

    # Two interactions: the top suggested bed, then send.
    coordinator.get_by_role("button", name=re.compile(f"{ICHO} · {re.escape(WARD)}")).click()
    dialog = coordinator.get_by_role("dialog")
    dialog.get_by_role("button", name="依頼を送信").click()
    expect(dialog.get_by_text("受け付けました")).to_be_visible()
    coordinator.keyboard.press("Escape")

    # The hospital's inbox, open all along, shows it; the hospital accepts.
    staff.get_by_role("button", name="受け入れる").click()
    expect(staff.get_by_text("受入承諾", exact=True).first).to_be_visible()

    # The board on the third screen shows the bed held: none free, one held.
    expect(grid_cell(board, ICHO, WARD)).to_have_text(re.compile(r"\s0$"))
    expect(board.get_by_text("仮押さえ 1床")).to_be_visible()

    # The coordinator follows the case: transport, then admission.
    expect(coordinator.get_by_text("受入承諾", exact=True).first).to_be_visible()
    coordinator.get_by_role("button", name="詳細").first.click()
    expect(coordinator.get_by_role("heading", name="待機者の詳細")).to_be_visible()
    expect(coordinator.get_by_text("仮押さえ中")).to_be_visible()
    coordinator.get_by_role("button", name="搬送を手配した").click()
    expect(status(coordinator, "搬送手配済")).to_be_visible()
    coordinator.get_by_role("button", name="搬送を開始した").click()
    expect(status(coordinator, "搬送中")).to_be_visible()
    coordinator.get_by_role("button", name="入院した").click()
    expect(status(coordinator, "入院済み")).to_be_visible()

    # Admitted, not yet reported: the bed stays taken. The next report counts the patient as
    # occupied, and nothing is held any more.
    expect(grid_cell(board, ICHO, WARD)).to_have_text(re.compile(r"\s0$"))
    with Publisher(settings) as publisher:
        later = datetime.now(UTC) + timedelta(seconds=1)
        report = forms.capacity_report(STAFF, "HJ-0001", [forms.BedInput("medical_surgical",
                                       40, 40)], now=later)  # fmt: skip
        assert publisher.publish([report]).status == "live"
    expect(board.get_by_text("仮押さえ 1床")).to_have_count(0)
    expect(grid_cell(board, ICHO, WARD)).to_have_text(re.compile(r"\s0$"))
    for page in (staff, board, coordinator):
        page.close()


def test_a_request_unanswered_in_time_is_flagged_and_the_next_bed_offered(
    browser: Browser,  # noqa: F811
    placing: tuple[Stack, Settings],
) -> None:
    stack, settings = placing
    long_ago = datetime.now(UTC) - timedelta(minutes=45)
    case = case_forms.case_register(
        COORDINATOR, case_ref="HC-0002", age_band="40-49", severity="moderate", needs=[],
        district="南大沢", waiting_at="home", waiting_since=long_ago, now=long_ago,
    )  # fmt: skip
    request = forms.placement_request(
        COORDINATOR, "HJ-0002", "medical_surgical", age_band="40-49", severity="moderate",
        case_id=str(case.case_id), now=long_ago,
    )  # fmt: skip
    report = forms.capacity_report(STAFF, "HJ-0001", [forms.BedInput("medical_surgical", 40, 30)],
                                   now=datetime.now(UTC) + timedelta(seconds=2))  # fmt: skip
    with Publisher(settings) as publisher:
        assert publisher.publish([case, request, report]).status == "live"
        processor = LapseProcessor(settings, publisher.publish)
        assert processor.run(threading.Event(), until_caught_up=True) >= 1

    coordinator = signed_in(browser, stack, COORDINATOR)
    go(coordinator, "入院待機者")
    expect(
        coordinator.get_by_text("前の依頼は 回答期限切れ。次の候補から選べます。")
    ).to_be_visible()
    # The next bed: not the hospital that did not answer.
    offered = coordinator.get_by_role("button", name=re.compile(f"{ICHO} · {re.escape(WARD)}"))
    expect(offered).to_be_visible()

    # The case's own page offers the same bed, and its button opens the request, although the
    # case is drawn by a live fragment.
    coordinator.get_by_role("button", name="詳細").first.click()
    expect(status(coordinator, ".+", "HC-0002")).to_be_visible()
    offered.click()
    dialog = coordinator.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="依頼を送信")).to_be_visible()
    coordinator.close()
