"""The dashboard's tests: AppTest over a replica written in a temp dir (no Kafka)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dashboard_city import COORDINATOR, city_events, write_replica

from dashboard.accounts import UsersFile
from dashboard.data import NO_FEED_ENV


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def city(tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A replica of the small city, opened by the app without a feed."""
    path = write_replica(tmp_path / "dashboard.duckdb", city_events(now))
    # A coordinator's account (single sign-on only: no password to hash) for open_app's session.
    UsersFile(tmp_path / "users.json").add(COORDINATOR, "coordinator", None)
    monkeypatch.setenv("BEDBOARD_DB", str(path))
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(NO_FEED_ENV, "1")
    monkeypatch.delenv("BEDBOARD_LANG", raising=False)
    yield path
