"""The integration tests: everything here is marked `integration` (the broker fixtures are in
tests/conftest.py, shared with the UI tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bedboard import broker as local_broker
from bedboard.admin import create_topics
from bedboard.settings import Settings

HERE = Path(__file__).resolve().parent
JARS = HERE.parents[1] / ".bedboard" / "jars"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees every collected item, not only this folder's.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[tuple[Settings, Path, int]]:
    """A second broker that a test may stop and start (the session's is shared): its settings,
    data dir and port."""
    port = local_broker.free_port_pair()
    data_dir = tmp_path / "kafka"
    bootstrap = local_broker.start(port=port, data_dir=data_dir, jars_dir=JARS)
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix="own.", data_dir=tmp_path)
    create_topics(settings)
    try:
        yield settings, data_dir, port
    finally:
        local_broker.stop(data_dir)
