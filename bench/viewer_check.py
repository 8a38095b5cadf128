"""Does a protocol session cost the server what a browser's does? One of each, on the same board.

A headless Chromium signed in on the board, then `bench.streamlit_client` in its place: for each,
the server's CPU seconds over the same window divided by the fragment refreshes asked for in it
(the browser's counted from the `rerun_script` BackMsgs it sends, decoded from its WebSocket).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench import browser
from bench.streamlit_client import signed_in_tab
from bench.viewer_load import cpu_s

WARM_S = 12.0  # the first drawing and the first refreshes, before the window


def chromium(url: str, pid: int, user: str, expect: str, seconds: float) -> dict[str, Any]:
    """Server CPU per refresh with a real browser on the board."""
    from playwright.sync_api import sync_playwright
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from dashboard.screenshots import CHROMIUM, CHROMIUM_FLAGS, VIEWPORT
    from dashboard.screenshots import sign_in as fill_sign_in

    sent: list[tuple[float, Any]] = []
    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = chrome.new_context(viewport=VIEWPORT).new_page()
            page.on("websocket", lambda ws: ws.on(
                "framesent", lambda frame: sent.append((time.monotonic(), frame))))  # fmt: skip
            page.goto(url)
            fill_sign_in(page, user, browser.PASSWORD)
            page.click(f'[data-testid="stTopNavLink"][href="{url}/board"]')
            browser.wait_text(page, expect, 300)
            page.wait_for_timeout(WARM_S * 1000)  # the page's own timers keep ticking meanwhile
            start, cpu = time.monotonic(), cpu_s(pid)
            page.wait_for_timeout(seconds * 1000)
            used, end = cpu_s(pid) - cpu, time.monotonic()
        finally:
            chrome.close()
    asked = 0
    for at, frame in sent:
        if start <= at < end and isinstance(frame, bytes):
            message = BackMsg.FromString(frame)
            asked += (
                message.WhichOneof("type") == "rerun_script" and message.rerun_script.is_auto_rerun
            )
    return {"cpu_s": used, "refreshes": asked, "seconds": end - start}


async def _protocol(url: str, pid: int, user: str, seconds: float) -> dict[str, Any]:
    viewer = await signed_in_tab(url, user, browser.PASSWORD, "board")  # as Chromium does
    await asyncio.sleep(WARM_S)
    start, cpu = time.monotonic(), cpu_s(pid)
    await asyncio.sleep(seconds)
    used, end = cpu_s(pid) - cpu, time.monotonic()
    await viewer.close()
    asked = len(viewer.window(start, end, end))
    return {"cpu_s": used, "refreshes": asked, "seconds": end - start}


def protocol(url: str, pid: int, user: str, seconds: float) -> dict[str, Any]:
    """Server CPU per refresh with a protocol session on the board."""
    return asyncio.run(_protocol(url, pid, user, seconds))


def compare(
    url: str, pid: int, users: tuple[str, str], expect: str, seconds: float
) -> dict[str, Any]:
    """Both, one after the other, alone on the server."""
    seen = chromium(url, pid, users[0], expect, seconds)
    spoken = protocol(url, pid, users[1], seconds)
    per = {name: found["cpu_s"] / max(found["refreshes"], 1)
           for name, found in (("browser", seen), ("protocol", spoken))}  # fmt: skip
    return {"browser": seen, "protocol": spoken, "cpu_per_refresh_s": per}
