"""Slows failed sign-ins: growing delays per username and per client address, then a lockout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Failures:
    count: int = 0
    first: float = 0.0
    not_before: float = 0.0


@dataclass
class LoginThrottle:
    """Slows failed logins per key (username, client address): growing delays, then a lockout."""

    free_failures: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    lockout_after: int = 10
    window: float = 15 * 60.0  # failures older than this are forgotten; also the lockout length
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, keys: list[str]) -> float:
        """Seconds until any of these keys may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max([0.0, *(self._fresh(k, now).not_before - now for k in keys)])

    def failed(self, keys: list[str]) -> None:
        now = self.clock()
        with self._lock:
            if len(self._state) > 10_000:  # a spray of random names must not grow this forever
                self._state = {k: v for k, v in self._state.items() if now - v.first < self.window}
            for key in keys:
                entry = self._fresh(key, now)
                if entry.count == 0:
                    entry.first = now
                entry.count += 1
                if entry.count >= self.lockout_after:
                    delay = self.window
                elif entry.count >= self.free_failures:
                    delay = min(
                        self.base_delay * 2 ** (entry.count - self.free_failures), self.max_delay
                    )
                else:
                    delay = 0.0
                entry.not_before = now + delay
                self._state[key] = entry

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._state.pop(key, None)

    def _fresh(self, key: str, now: float) -> _Failures:
        entry = self._state.get(key)
        if entry is None or (now - entry.first >= self.window and now >= entry.not_before):
            return _Failures()
        return entry
