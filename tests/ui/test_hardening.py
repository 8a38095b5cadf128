"""Text from events shows exactly as written on every page, and exports render when asked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dashboard_city import APP, COORDINATOR, city_events, facility, notice, opened_by_the_app
from streamlit.testing.v1 import AppTest

from consumers.exports import FORMATS, Format
from dashboard import auth
from dashboard.accounts import UsersFile
from producers.identity import Identity
from schemas.events import parse_event
from tests.factories import body

NASTY = "**bold** <b>x</b> [link](javascript:alert(1))"
# The pattern lets these through; Markdown would read __…__ as bold.
USER = "x.__bold__"
PAGES = [
    "overview", "board", "facility", "map", "find", "placements", "notices", "export", "summary",
]  # fmt: skip


@pytest.fixture
def nasty_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    now = datetime.now(UTC).replace(microsecond=0)
    renamed = facility(now - timedelta(hours=1), "HJ-0001", NASTY, NASTY, NASTY[:50], 35.6, 139.3)
    report = parse_event(
        body("capacity.reported", now - timedelta(minutes=5), {"org": "hospital", "user": USER})
        | {"facility_id": "HJ-0001", "beds": [{"bed_type": "hcu", "usable": 5, "occupied": 1}],
           "note": NASTY}
    )  # fmt: skip
    posted = parse_event(
        notice(now - timedelta(minutes=3), NASTY, NASTY).model_dump(mode="json")
        | {"actor": {"org": "city_hall", "user": USER}}
    )
    events = [*city_events(now), renamed, report, posted]
    yield opened_by_the_app(tmp_path, monkeypatch, events)


def opened(page: str, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        Identity(COORDINATOR, "coordinator"), datetime.now(UTC) + timedelta(hours=1), "sso"
    )
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def markdown_of(at: AppTest) -> list[str]:
    """Every element whose text Streamlit renders as Markdown."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "subheader")
    return [str(e.value) for kind in kinds for e in at.get(kind)]


def unescaped(markdown: str) -> list[str]:
    # The event text's marks, not preceded by a backslash, would be rendered.
    return re.findall(r"(?<!\\)(?:\*bold|_bold|<b>|\]\(|\(javascript)", markdown)


@pytest.mark.parametrize("page", PAGES)
def test_event_text_is_never_rendered_as_markup(nasty_city: Path, page: str) -> None:
    at = opened(page, facility_id="HJ-0001")
    assert not at.get("html")
    for markdown in markdown_of(at):
        assert not unescaped(markdown), (page, markdown)


def test_the_facility_page_shows_names_notes_and_users_literally(nasty_city: Path) -> None:
    at = opened("facility", facility_id="HJ-0001")
    assert NASTY in [e.value for e in at.text]  # the note, as written
    shown = [re.sub(r"\\(.)", r"\1", m) for m in markdown_of(at)]
    assert any(NASTY in m for m in shown)  # the name, escaped and read back as written
    assert any(USER in m for m in shown)  # who sent the newest report


def test_the_export_page_renders_no_file_until_one_is_asked_for(
    nasty_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def refusing(name: str) -> Format:
        def render(_snapshot: object) -> bytes:
            asked.append(name)
            raise RuntimeError(f"{name} rendered before anyone asked")

        return Format(render, FORMATS[name].mime, FORMATS[name].suffix)

    for name in list(FORMATS):
        monkeypatch.setitem(FORMATS, name, refusing(name))
    at = opened("export")
    assert asked == []
    assert len([b for b in at.get("download_button") if b.proto.label]) >= len(FORMATS)


def test_the_map_escapes_names_and_districts_for_plotly(nasty_city: Path) -> None:
    at = opened("map")
    spec = at.get("plotly_chart")[0].proto.spec.replace("\\u002f", "/")
    assert "&lt;b&gt;x&lt;/b&gt;" in spec  # Plotly draws <b> and <a>; escaped, it shows them
    assert "<b>x</b>" not in spec


@pytest.mark.parametrize(("verified", "signed_in"), [(True, True), (False, False), (None, False)])
def test_single_sign_on_needs_an_e_mail_the_provider_verified(
    nasty_city: Path, tmp_path: Path, verified: bool | None, signed_in: bool
) -> None:
    email = "sato@example.jp"
    UsersFile(tmp_path / "users.json").add(email, "coordinator", None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": True, "email": email} | (
        {} if verified is None else {"email_verified": verified}
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    session = at.session_state.get(auth.SESSION_KEY)
    assert (session is not None) == signed_in
    if not signed_in:
        assert any("確認済みのメールアドレスではない" in w.value for w in at.warning)
