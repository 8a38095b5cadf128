"""The audit log: one JSON line per sign-in, refused sign-in, sign-out and account change.

Append-only by construction (O_APPEND writes under a lock, never rewritten) and owner-only, so
that who did what to an account can be shown later by the audit page.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

# What an audit line says happened; the audit page names each in ja and en (texts "audit.*").
ACTIONS = (
    "signed_in",
    "sign_in_refused",
    "signed_out",
    "sessions_ended",
    "account_added",
    "account_changed",
    "password_reset",
    "account_disabled",
    "account_enabled",
    "token_issued",
    "token_revoked",
    "subscription_added",
    "subscription_removed",
)


@dataclass(frozen=True)
class Entry:
    """One audited action: when, who did it, what, to whom, and how or why."""

    at: str  # ISO 8601, UTC
    actor: str  # the signed-in username, or "?" for a sign-in under an unknown name
    action: str
    subject: str = ""  # the account concerned, if any
    detail: str = ""  # e.g. "sso", "role=coordinator", "wrong password"
    client: str = ""  # the client address as the server saw it
    source: str = "dashboard"  # the door it came through: "dashboard" or "cli"


class AuditLog:
    """The audit lines in a JSON Lines file, appended under an exclusive lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def record(
        self,
        actor: str,
        action: str,
        subject: str = "",
        detail: str = "",
        client: str = "",
        source: str = "dashboard",
    ) -> Entry:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        # As text, whatever was passed (a client address may be missing or not a string).
        address = client if isinstance(client, str) else ""
        entry = Entry(datetime.now(UTC).isoformat(timespec="seconds"), str(actor), action,
                      str(subject), str(detail), address, source)  # fmt: skip
        line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode())
        finally:
            os.close(fd)  # closing releases the lock
        return entry

    def entries(self) -> list[Entry]:
        """Every line, oldest first; a torn or foreign line is skipped, not fatal."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        found = []
        for line in lines:
            try:
                found.append(Entry(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return found
