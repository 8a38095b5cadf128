"""Data files are their owner's only: replicas, the outbox, the accounts, what the CLI creates."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bedboard import cli
from consumers.schema import connect
from dashboard.accounts import UsersFile
from producers.outbox import Outbox


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A umask that would make new files world-readable, as many servers have."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_a_new_outbox_and_its_wal_are_owner_only(tmp_path: Path, permissive_umask: None) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    try:
        assert len(outbox) == 0
        files = [tmp_path / "outbox.sqlite", *tmp_path.glob("outbox.sqlite-*")]
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        outbox.close()


def test_a_new_replica_is_owner_only(tmp_path: Path, permissive_umask: None) -> None:
    connect(tmp_path / "replica.duckdb").close()
    assert mode(tmp_path / "replica.duckdb") == 0o600


def test_the_users_file_is_owner_only(tmp_path: Path, permissive_umask: None) -> None:
    UsersFile(tmp_path / "users.json").add("sato", "coordinator", None)
    assert mode(tmp_path / "users.json") == 0o600


def test_the_cli_makes_everything_it_creates_owner_only(
    tmp_path: Path, permissive_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    cli.main(["users", "list"])
    assert os.umask(0o022) == 0o077  # what the command and its children (the dashboard) inherit
