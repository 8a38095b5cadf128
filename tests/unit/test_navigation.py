"""The one navigation table: every page is in it once, and it says who may open what."""

from __future__ import annotations

from dashboard import navigation
from dashboard.navigation import NAVIGATION, may_open, pages_for
from dashboard.texts import TEXT
from producers.identity import ROLES


def test_every_page_file_is_in_the_table_once_with_its_title() -> None:
    files = sorted(path.stem for path in navigation.PAGES.glob("*.py") if path.stem != "__init__")

    assert sorted(entry.name for entry in NAVIGATION) == files
    assert all(entry.path.exists() and entry.title in TEXT for entry in NAVIGATION)


def test_urls_stay_as_they_were() -> None:
    assert [entry.url_path for entry in NAVIGATION] == [
        "overview", "board", "facility", "map", "trends", "find", "waiting", "case",
        "report", "inbox", "upload", "placements", "notices", "export", "summary",
        "notifications", "accounts", "registry", "tokens", "audit",
    ]  # fmt: skip


def test_each_role_sees_exactly_the_pages_it_may_open_and_lands_on_its_own() -> None:
    for role in ROLES:
        shown = {entry.name for entry in pages_for(role)}
        assert shown == {entry.name for entry in NAVIGATION if may_open(role, entry.name)}
    assert pages_for("hospital_staff")[0].name == "report"
    assert pages_for("coordinator")[0].name == "overview"


def test_who_may_open_what() -> None:
    assert may_open("hospital_staff", "report") and not may_open("hospital_staff", "export")
    assert may_open("coordinator", "find") and not may_open("official", "find")
    assert all(may_open(role, "summary") for role in ("coordinator", "official", "admin"))
    assert not may_open("hospital_staff", "summary")
    assert not may_open(None, "overview")
