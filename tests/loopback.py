"""Real servers on loopback that notifications are sent to: a webhook receiver and an SMTP
server, each counting what it accepted (for the tests and the bench)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bedboard.broker import free_port_pair


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "it") -> None:
    """Poll until condition holds; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class Behaviour:
    """How a server answers: refuse the first `fail_first`; hold the `hold_at`-th until let go,
    then refuse it (the sender sees a failure, so it was not delivered)."""

    fail_first: int = 0
    hold_at: int | None = None
    released: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    tries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        """Whether to accept this try (blocks while a try is held)."""
        with self.lock:
            self.tries += 1
            number = self.tries
        if number <= self.fail_first:
            return False
        if self.hold_at is not None and number == self.hold_at:
            self.holding.set()
            self.released.wait()
            return False
        return True


@dataclass
class Received:
    """What a server accepted, with the monotonic time of each."""

    items: list[tuple[float, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Any) -> None:
        with self.lock:
            self.items.append((time.monotonic(), item))

    def __len__(self) -> int:
        with self.lock:
            return len(self.items)

    def all(self) -> list[Any]:
        with self.lock:
            return [item for _, item in self.items]


@dataclass
class Webhook:
    url: str
    received: Received
    behaviour: Behaviour


@contextmanager
def webhook_server(behaviour: Behaviour | None = None) -> Iterator[Webhook]:
    """A real HTTP server on loopback accepting JSON POSTs: (Idempotency-Key, body) each."""
    behaviour = behaviour or Behaviour()
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if behaviour.take():
                received.add((self.headers.get("Idempotency-Key"), body))
                self.send_response(200)
            else:
                self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Webhook(f"http://127.0.0.1:{server.server_address[1]}/hook", received, behaviour)
    finally:
        behaviour.released.set()
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    port: int
    received: Received
    behaviour: Behaviour

    def messages(self) -> list[EmailMessage]:
        return list(self.received.all())


class _Handler:
    def __init__(self, received: Received, behaviour: Behaviour) -> None:
        self.received, self.behaviour = received, behaviour

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        accepted = await asyncio.get_running_loop().run_in_executor(None, self.behaviour.take)
        if not accepted:
            return "451 try again later"
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else b""
        self.received.add(message_from_bytes(raw, policy=policy.default))
        return "250 OK"


@contextmanager
def smtp_server(behaviour: Behaviour | None = None) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it accepted."""
    behaviour = behaviour or Behaviour()
    received = Received()
    port = free_port_pair()
    controller = Controller(_Handler(received, behaviour), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Mailbox(port, received, behaviour)
    finally:
        behaviour.released.set()
        controller.stop()
