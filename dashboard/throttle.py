"""Slows failed sign-ins per account, per address and per account at one address; never locks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Policy:
    """How many failures are free, then delays doubling from `base` up to `most` seconds."""

    free: int
    base: float
    most: float

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.base * 2 ** (failures - self.free), self.most)


# One place guessing one account slows down hard; an account tried from everywhere, or a
# hospital's shared address (often a whole NAT), slows down gently, so that nobody can lock a
# colleague out by typing their name wrong on purpose.
PAIR = Policy(free=3, base=1.0, most=300.0)
ACCOUNT = Policy(free=10, base=1.0, most=30.0)
ADDRESS = Policy(free=20, base=1.0, most=30.0)


def client_of(
    headers: Mapping[str, str], peer: str | None, trusted_header: str | None
) -> str | None:
    """The address a sign-in comes from: the trusted proxy's header when one is configured.

    Only the right-most entry counts: the proxy appends what it saw, a client can forge the rest.
    Without the setting the header is ignored, since anyone can send it.
    """
    if not trusted_header:
        return peer if isinstance(peer, str) else None  # bare mode hands over a stand-in
    forwarded = headers.get(trusted_header) or ""
    return forwarded.split(",")[-1].strip() or None


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class LoginThrottle:
    """Counts each try as a failure when it starts, so that concurrent tries cannot slip past."""

    window: float = 15 * 60.0  # failures this long after the last one are forgotten
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, account: str, address: str | None) -> float:
        """0 and a try reserved (a failure until `succeeded`), or the seconds to wait."""
        now = self.clock()
        keys = self._keys(account, address)
        with self._lock:
            wait = max(self._wait(key, policy, now) for key, policy in keys)
            if wait > 0:
                return wait
            if len(self._state) > 10_000:  # a spray of random names must not grow this forever
                self._state = {k: v for k, v in self._state.items() if now - v.last < self.window}
            for key, _ in keys:
                entry = self._fresh(key, now)
                entry.count += 1
                entry.last = now
                self._state[key] = entry
            return 0.0

    def succeeded(self, account: str, address: str | None) -> None:
        """The reserved try was right: the account is clear, the address owes nothing for it."""
        with self._lock:
            for key, _ in self._keys(account, address):
                entry = self._state.get(key)
                if entry is None:
                    continue
                if key.startswith("ip:"):
                    entry.count = max(0, entry.count - 1)
                else:
                    del self._state[key]

    def _keys(self, account: str, address: str | None) -> list[tuple[str, Policy]]:
        # No address known (bare mode, some proxies): all such tries share one, as behind a NAT.
        name, address = account.lower(), address or "?"
        return [(f"user:{name}", ACCOUNT), (f"ip:{address}", ADDRESS),
                (f"pair:{name}@{address}", PAIR)]  # fmt: skip

    def _wait(self, key: str, policy: Policy, now: float) -> float:
        entry = self._fresh(key, now)
        return max(0.0, entry.last + policy.delay(entry.count) - now)

    def _fresh(self, key: str, now: float) -> _Failures:
        entry = self._state.get(key)
        if entry is None or now - entry.last >= self.window:
            return _Failures()
        return entry
