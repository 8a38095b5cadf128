"""The catch-up's first guard: a broker that is not started fails at once, with its address."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bedboard.settings import Settings
from consumers.replica import BrokerUnreachable, catch_up, listening


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_nothing_listening_is_unreachable_and_names_the_address() -> None:
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(BrokerUnreachable, match=address):
        listening(address)


def test_any_listening_address_will_do() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        listening(f"127.0.0.1:{free_port()},127.0.0.1:{port}")  # no error: the second answers


def test_a_catch_up_without_a_broker_fails_before_opening_the_replica(tmp_path: Path) -> None:
    settings = Settings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    with pytest.raises(BrokerUnreachable):
        catch_up(settings, tmp_path / "r.duckdb", lambda *a: None, lambda: None)
    assert not (tmp_path / "r.duckdb").exists()


def test_a_consumer_without_known_metadata_is_short_of_no_copies() -> None:
    from kafka import TopicPartition

    from consumers.rollup import short_of_copies

    assert short_of_copies(object(), [TopicPartition("p.capacity", 0)]) == 0  # type: ignore[arg-type]
