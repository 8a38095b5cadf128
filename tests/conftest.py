"""Fixtures shared by the integration and UI tests: one real, secured Kafka broker per session,
on free ports, and a fresh topic prefix per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bedboard import broker as local_broker
from bedboard.admin import create_topics
from bedboard.settings import Settings
from tests.local_kafka import on_session_broker

ROOT = Path(__file__).resolve().parents[1]
# Outside `streamlit run`, every cached function warns that there is no runtime: noise here.
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")


@pytest.fixture(scope="session")
def broker_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kafka")


@pytest.fixture(scope="session")
def broker(broker_data_dir: Path) -> Iterator[str]:
    """The bootstrap address of a broker started for this session; a failure to start fails."""
    jars = local_broker.fetch_jars(ROOT / ".bedboard" / "jars")
    port = local_broker.free_port_pair()
    bootstrap = local_broker.start(port=port, data_dir=broker_data_dir, jars_dir=jars)
    try:
        yield bootstrap
    finally:
        local_broker.stop(broker_data_dir)


@pytest.fixture(scope="session")
def broker_credentials(broker: str, broker_data_dir: Path) -> Path:
    """The session broker's credentials file, as `bedboard broker start` wrote it."""
    return local_broker.credentials_file(broker_data_dir)


@pytest.fixture
def settings(broker: str, broker_credentials: Path, tmp_path: Path) -> Settings:
    """Settings (as the operator, `admin`) on the session broker with this test's own, already
    created, topics and their ACLs."""
    made = on_session_broker(
        broker, broker_credentials, tmp_path, topic_prefix=f"t{uuid.uuid4().hex[:12]}."
    )
    create_topics(made)
    return made
