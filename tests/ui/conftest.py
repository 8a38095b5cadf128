"""The dashboard's tests: AppTest over a replica written in a temp dir (no Kafka)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dashboard_city import city_events, opened_by_the_app


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def city(tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A replica of the small city, opened by the app without a feed."""
    yield opened_by_the_app(tmp_path, monkeypatch, city_events(now))
