"""The real dashboard (`streamlit run`) in a process of its own, and headless Chromium on it."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.core import ROOT

PASSWORD = "bench-password-42"


def available() -> str | None:
    """Why the browser measures cannot run here, or None when they can."""
    if not Path("/usr/bin/chromium").exists():
        return "no /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)"
    if not (ROOT / "dashboard" / "pages" / "board.py").exists():
        return "no dashboard board page"
    return None


@contextlib.contextmanager
def dashboard_server(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """The dashboard on a free port, with its environment; yields its URL and pid."""
    from dashboard.launch import dashboard_argv
    from dashboard.screenshots import free_port, wait_for_http

    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            dashboard_argv(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_http(url)
            yield url, server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextlib.contextmanager
def board_in_chromium(url: str, user: str) -> Iterator[Any]:
    """Headless Chromium signed in as `user`, on the board page."""
    from playwright.sync_api import sync_playwright

    from dashboard.screenshots import CHROMIUM, CHROMIUM_FLAGS, VIEWPORT, sign_in

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(url)
            sign_in(page, user, PASSWORD)
            page.click(f'[data-testid="stTopNavLink"][href="{url}/board"]')
            yield page
        finally:
            browser.close()


def wait_text(page: Any, text: str, timeout_s: float) -> None:
    """Until the text is in the page, checked at every animation frame."""
    page.wait_for_function(
        "text => document.body.innerText.includes(text)",
        arg=text,
        polling="raf",
        timeout=timeout_s * 1000,
    )


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory (VmHWM) of a running process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")
