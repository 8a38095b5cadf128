"""The integration tests: everything here is marked `integration` (the broker fixtures are in
tests/conftest.py, shared with the UI tests)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bedboard import broker as local_broker
from bedboard import cluster
from bedboard.admin import create_topics
from bedboard.broker_setup import credentials_file
from bedboard.settings import Settings
from tests.local_kafka import on_session_broker

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


@pytest.fixture(scope="session")
def three_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.Layout]:
    """A local three-node cluster, as `bedboard broker start --nodes 3` makes it: started once
    for every test that loses nodes (starting three JVMs is the slow part)."""
    base = tmp_path_factory.mktemp("cluster") / "kafka"
    nodes = cluster.layout(base, nodes=3, port=local_broker.free_ports(6))
    cluster.start(nodes, JARS)
    try:
        yield nodes
    finally:
        cluster.stop(nodes)


@pytest.fixture
def on_cluster(three_nodes: cluster.Layout, tmp_path: Path) -> Iterator[Settings]:
    """Settings (as the operator) on the three-node cluster with this test's own topics; every
    node runs again afterwards, whatever the test stopped."""
    cluster.start(three_nodes, JARS)
    made = on_session_broker(
        three_nodes.bootstrap,
        credentials_file(three_nodes.base),
        tmp_path,
        topic_prefix=f"c{uuid.uuid4().hex[:12]}.",
    )
    create_topics(made)
    try:
        yield made
    finally:
        cluster.start(three_nodes, JARS)
