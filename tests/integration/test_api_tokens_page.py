"""A token an admin issues on the dashboard's tokens page is the real API's key: accepted until it
is revoked on the same page, then refused (the real broker, the API on loopback)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest
from test_api import bearer, report

from bedboard.settings import Settings
from dashboard import auth
from dashboard.accounts import UsersFile
from dashboard.data import NO_FEED_ENV
from producers.identity import Identity
from tests.api_server import serving

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "pages" / "tokens.py")
ADMIN = Identity("root", "admin")


def test_a_token_issued_on_the_page_is_accepted_by_the_api_until_revoked_there(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv(NO_FEED_ENV, "1")
    UsersFile(settings.data_dir / "users.json").add(ADMIN.username, ADMIN.role, None)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        ADMIN, datetime.now(UTC) + timedelta(hours=1), "password"
    )
    at.run()
    at.text_input[0].input("HJ-0001")
    at.button[0].click().run()
    (secret,) = [code.value for code in at.code]

    with serving(settings) as url:
        accepted = httpx.post(f"{url}/v1/capacity", json=report(), headers=bearer(secret))
        elsewhere = httpx.post(f"{url}/v1/capacity", json=report("HJ-0002"), headers=bearer(secret))

        at.selectbox(key="token_chosen").select_index(0)
        at.button[-1].click().run()
        assert not at.exception, [e.message for e in at.exception]

        # The API reads the tokens file again within RECHECK_S of a change: poll, no sleep.
        deadline = time.monotonic() + 10
        while (
            refused := httpx.post(f"{url}/v1/capacity", json=report(), headers=bearer(secret))
        ).status_code == 202 and time.monotonic() < deadline:
            threading.Event().wait(0.1)

    assert accepted.status_code == 202 and accepted.json()["status"] == "live"
    assert elsewhere.status_code == 403  # the facility the page gave it, and no other
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["rule"] == "unauthorized"
