"""The sign-in throttle: slower per account, address and both, never a lockout, race-free."""

from __future__ import annotations

import threading

import pytest

from dashboard.throttle import ACCOUNT, ADDRESS, PAIR, LoginThrottle, client_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail_until_slowed(throttle: LoginThrottle, clock: Clock, account: str, address: str) -> float:
    """Fail (waiting out each delay) until a try is refused; the delay asked for."""
    for _ in range(100):
        wait = throttle.attempt(account, address)
        if wait:
            return wait
    raise AssertionError("never slowed down")


def test_one_address_guessing_one_account_waits_longer_and_longer_up_to_five_minutes() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    delays = []
    for _ in range(14):
        delays.append(fail_until_slowed(throttle, clock, "tanaka", "10.0.0.1"))
        clock.now += delays[-1]
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300, 300]
    assert PAIR.most == 300


def test_a_guesser_elsewhere_does_not_lock_the_account_for_its_owner() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(8):
        clock.now += fail_until_slowed(throttle, clock, "tanaka", "203.0.113.7")
    guesser = fail_until_slowed(throttle, clock, "Tanaka", "203.0.113.7")
    owner = throttle.attempt("tanaka", "10.0.0.1")
    assert guesser >= 128  # one place guessing waits minutes
    assert owner <= 4  # the owner at the hospital, seconds at most


def test_an_account_tried_from_everywhere_is_slowed_but_never_locked() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    waits = []
    for n in range(200):
        wait = throttle.attempt("tanaka", f"198.51.100.{n}")
        waits.append(wait)
        clock.now += wait
    assert max(waits) == ACCOUNT.most == 30


def test_a_spray_over_many_names_is_slowed_by_the_address_only() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for n in range(ADDRESS.free):
        assert throttle.attempt(f"guess{n}", "10.0.0.9") == 0
    assert throttle.attempt("someone-else", "10.0.0.9") == 1
    assert throttle.attempt("someone-else", "10.0.0.10") == 0


def test_success_clears_the_account_and_does_not_count_against_the_address() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(2):
        throttle.attempt("sato", "10.0.0.2")
    throttle.attempt("sato", "10.0.0.2")
    throttle.succeeded("sato", "10.0.0.2")
    for _ in range(PAIR.free):
        assert throttle.attempt("sato", "10.0.0.2") == 0


def test_failures_are_forgotten_after_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    assert fail_until_slowed(throttle, clock, "ito", "10.0.0.3") > 0
    clock.now += throttle.window
    assert throttle.attempt("ito", "10.0.0.3") == 0


def test_tries_sent_at_once_cannot_slip_past_the_count() -> None:
    throttle = LoginThrottle()
    start = threading.Barrier(40)
    allowed: list[bool] = []

    def one() -> None:
        start.wait()
        allowed.append(throttle.attempt("kato", "10.0.0.4") == 0)

    threads = [threading.Thread(target=one) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == PAIR.free  # the free tries, not one more


@pytest.mark.parametrize(
    ("header", "headers", "expected"),
    [
        (None, {"X-Forwarded-For": "1.2.3.4"}, "10.0.0.5"),  # not trusted unless configured
        ("X-Forwarded-For", {"X-Forwarded-For": "6.6.6.6, 1.2.3.4"}, "1.2.3.4"),
        ("X-Real-IP", {"X-Real-IP": "1.2.3.4"}, "1.2.3.4"),
        ("X-Forwarded-For", {}, None),  # behind the proxy, yet no header: unknown, shared
    ],
)
def test_the_client_address_comes_from_the_trusted_proxy_header_only_when_set(
    header: str | None, headers: dict[str, str], expected: str | None
) -> None:
    assert client_of(headers, "10.0.0.5", header) == expected
