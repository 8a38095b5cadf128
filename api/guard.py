"""What every request passes first: its token, its rate, its content type and its size."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

from fastapi import Request

from api.errors import ApiError
from producers.tokens import Token, TokenStore
from schemas.problems import Problem
from schemas.records import MAX_RECORD_BYTES

MAX_BODY = MAX_RECORD_BYTES  # 64 KiB, the contract's limit for one record, for any body


class RateLimit:
    """A token bucket per API token: `rate` requests a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, max(burst, 1)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if the request may go ahead; otherwise the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            level, then = self._buckets.get(key, (float(self.burst), now))
            level = min(float(self.burst), level + (now - then) * self.rate)
            if level >= 1:
                self._buckets[key] = (level - 1, now)
                return 0.0
            self._buckets[key] = (level, now)
            return (1 - level) / self.rate


def authenticate(request: Request, tokens: TokenStore, *, submit: bool) -> Token:
    """The request's active token, or 401; a read-only token that tries to send gets 403."""
    scheme, _, text = (request.headers.get("authorization") or "").partition(" ")
    token = tokens.verify(text.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise ApiError(
            401, [Problem("Authorization", "unauthorized")], {"WWW-Authenticate": "Bearer"}
        )
    if submit and token.read_only:
        raise ApiError(403, [Problem("Authorization", "read_only_token")])
    return token


def throttle(limit: RateLimit, token: Token) -> None:
    wait = limit.take(token.id)
    if wait:
        seconds = max(1, math.ceil(wait))
        context = (("rate", f"{limit.rate:g}"), ("retry_after", seconds))
        raise ApiError(429, [Problem("", "rate_limited", context)], {"Retry-After": str(seconds)})


def content_type(request: Request, allowed: Sequence[str]) -> None:
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media not in allowed:
        context = (("expected", ", ".join(allowed)),)
        raise ApiError(415, [Problem("Content-Type", "unsupported_media_type", context)])


async def body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, read no further than the limit (a declared length is refused before reading)."""
    too_large = ApiError(413, [Problem("", "body_too_large", (("limit", limit),))])
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
