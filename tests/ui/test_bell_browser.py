"""The live bell in real Chromium: a request sent on one page puts a count on the hospital's
inbox entry, a toast and a chime on whatever page it has open; the answer comes back as a toast
on the coordinator's page; all without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from test_staff_browser import COORDINATOR, STAFF, Stack, browser, signed_in, stack

pytestmark = pytest.mark.browser
__all__ = ["browser", "stack"]  # the fixtures, shared with the staff's browser tests

HOSPITAL = "八王子いちょう総合病院"


def inbox_badge(page: Page) -> str:
    """The count drawn after the inbox's navigation entry ('none' when there is none)."""
    return str(
        page.locator("a[href$='/inbox']").first.evaluate(
            "a => getComputedStyle(a, '::after').content"
        )
    )


def test_a_request_rings_on_another_page_and_the_answer_comes_back(
    browser: object, stack: Stack
) -> None:
    staff = signed_in(browser, stack, STAFF)  # type: ignore[arg-type]
    expect(staff.get_by_role("heading", name="病床報告")).to_be_visible()  # not the inbox
    assert inbox_badge(staff) == "none"

    coordinator = signed_in(browser, stack, COORDINATOR)  # type: ignore[arg-type]
    coordinator.get_by_role("link", name="空床検索").click()
    row = coordinator.get_by_test_id("stHorizontalBlock").filter(has_text=HOSPITAL)
    row.last.get_by_role("button", name="依頼する").click()
    dialog = coordinator.get_by_role("dialog")
    dialog.get_by_role("button", name="依頼を送信").click()
    expect(dialog.get_by_text("受け付けました")).to_be_visible()
    coordinator.keyboard.press("Escape")
    coordinator.get_by_role("link", name="病床一覧").click()

    # On the report page, with no reload: the count, the toast and the chime.
    expect(staff.get_by_text("回答待ち 1件")).to_be_visible()
    expect(staff.get_by_test_id("stToast").filter(has_text="新しい受入依頼")).to_contain_text(
        HOSPITAL
    )
    assert inbox_badge(staff) == '"1"'
    chime = staff.locator(".st-key-bell_chime_1 audio")
    expect(chime).to_have_count(1)
    assert chime.get_attribute("autoplay") is not None
    # Signing in was an interaction with this tab, so the browser let it play.
    staff.wait_for_function(
        "() => { const a = document.querySelector('.st-key-bell_chime_1 audio');"
        " return a && (a.ended || a.currentTime > 0); }"
    )
    staff.locator("a[href$='/inbox']").first.click()
    staff.get_by_role("button", name="受け入れる").click()
    expect(staff.get_by_text("回答待ち 1件")).to_have_count(0)
    assert inbox_badge(staff) == "none"

    # The coordinator, on the board, hears the answer.
    answered = coordinator.get_by_test_id("stToast").filter(has_text="受入依頼に回答あり")
    expect(answered).to_contain_text("受入承諾")
    expect(coordinator.get_by_role("heading", name="病床一覧")).to_be_visible()
    staff.close()
    coordinator.close()
