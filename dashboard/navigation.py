"""The dashboard's one table of pages: file, title, icon, address and who may open each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from producers.identity import MAY, ROLES

PAGES = Path(__file__).resolve().parent / "pages"
EVERYONE: tuple[str, ...] = ROLES


@dataclass(frozen=True)
class Entry:
    """One page: its file in dashboard/pages, title text key, icon, URL path and roles."""

    name: str  # the file's stem, which is also its URL path
    icon: str
    roles: tuple[str, ...]
    hospital: bool = False  # a hospital page: hospital staff see these first

    @property
    def path(self) -> Path:
        return PAGES / f"{self.name}.py"

    @property
    def title(self) -> str:
        return f"page.{self.name}"

    @property
    def url_path(self) -> str:
        return self.name


NAVIGATION: tuple[Entry, ...] = (
    Entry("overview", ":material/dashboard:", EVERYONE),
    Entry("board", ":material/table_view:", EVERYONE),
    Entry("facility", ":material/local_hospital:", EVERYONE),
    Entry("map", ":material/map:", EVERYONE),
    Entry("trends", ":material/show_chart:", EVERYONE),
    Entry("find", ":material/bed:", MAY["request"]),
    Entry("waiting", ":material/groups:", MAY["request"]),
    Entry("case", ":material/person_search:", MAY["request"]),
    Entry("report", ":material/edit_note:", MAY["report"], hospital=True),
    Entry("inbox", ":material/inbox:", MAY["respond"], hospital=True),
    Entry("upload", ":material/upload_file:", MAY["report"], hospital=True),
    Entry("placements", ":material/forum:", MAY["close"], hospital=True),
    Entry("notices", ":material/campaign:", MAY["notice"], hospital=True),
    Entry("export", ":material/download:", ("coordinator", "official", "admin"), hospital=True),
    Entry("summary", ":material/summarize:", ("coordinator", "official", "admin")),
    Entry("notifications", ":material/notifications:", EVERYONE),
    Entry("accounts", ":material/manage_accounts:", ("admin",)),
    Entry("registry", ":material/domain_add:", ("admin",)),
    Entry("tokens", ":material/key:", ("admin",)),
    Entry("audit", ":material/history:", ("official", "admin")),
)
BY_NAME = {entry.name: entry for entry in NAVIGATION}


def may_open(role: str | None, page: str) -> bool:
    """Whether someone with this role may open the page (None: nobody signed in)."""
    return role is not None and role in BY_NAME[page].roles


def pages_for(role: str) -> list[Entry]:
    """The pages this role may open, in the order they are listed; the first is their home."""
    mine = [entry for entry in NAVIGATION if role in entry.roles]
    if role == "hospital_staff":  # staff come to post counts and answer requests
        return [e for e in mine if e.hospital] + [e for e in mine if not e.hospital]
    return mine
