"""The map in a real browser: a click on a facility's marker opens that facility's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from test_browser import BEDS, COORDINATOR, LIVE_S, PASSWORD, dashboard, go, page  # noqa: F401

from dashboard.screenshots import sign_in

pytestmark = pytest.mark.browser


def test_a_click_on_a_marker_opens_its_facility(dashboard: str, page: Page) -> None:  # noqa: F811
    page.goto(dashboard)
    sign_in(page, COORDINATOR, PASSWORD)
    go(page, dashboard, "map")
    # The last marker drawn is the last level's: HJ-0005, the only full ward in BEDS (not
    # HJ-0001, which the facility page would show anyway as its first choice).
    assert BEDS["HJ-0005"][0] == BEDS["HJ-0005"][1]
    marker = page.locator(".js-plotly-plot .scatterlayer .trace .points path.point").last
    expect(marker).to_be_visible(timeout=LIVE_S)
    expect(page.locator(".js-plotly-plot")).to_contain_text("八王子市")

    marker.click(force=True)  # the name beside it may overlap the marker's edge

    expect(page).to_have_url(re.compile(r"/facility$"), timeout=LIVE_S)
    # The facility page draws its picker after the heading: on a busy machine, seconds after.
    expect(page.get_by_role("heading", name="施設詳細")).to_be_visible(timeout=LIVE_S)
    expect(page.get_by_role("combobox", name="施設")).to_have_value(
        re.compile(r"\(HJ-0005\)$"), timeout=LIVE_S
    )
