"""The HTTP API served by uvicorn on loopback from a thread, for the tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from api.app import create_app
from bedboard import broker as local_broker
from bedboard.settings import Settings


@contextmanager
def serving(settings: Settings, within: float = 30) -> Iterator[str]:
    """The API's base URL while it serves, signed in to Kafka as `api` as `bedboard api` is; it
    stops (replica, publisher) on leaving."""
    port = local_broker.free_port_pair()
    config = uvicorn.Config(
        create_app(settings.as_principal("api")),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + within
    tick = threading.Event()
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the API did not start on port {port}")
        tick.wait(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
