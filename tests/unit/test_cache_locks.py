"""Streamlit's per-key compute locks are pruned, except the ones a thread holds."""

from __future__ import annotations

import threading

import streamlit as st

from dashboard import cache_locks


@st.cache_resource(ttl=8, max_entries=8, show_spinner=False)
def _per_slot(slot: int) -> int:
    return slot * 2


def _locks() -> dict[str, threading.Lock]:
    (cache,) = [c for c in cache_locks._caches() if c.display_name.endswith("._per_slot")]
    return cache._value_locks  # type: ignore[no-any-return]


def test_the_locks_of_old_slots_are_dropped_and_held_ones_kept() -> None:
    for slot in range(200):  # 200 slots: 400 seconds of a refreshing dashboard
        assert _per_slot(slot) == slot * 2
    locks = _locks()
    assert len(locks) == 200  # what Streamlit keeps by itself: one per key, ever
    held = next(iter(locks.values()))
    with held:  # a session computing that value right now
        dropped = cache_locks.prune()
        assert dropped >= 199 and list(_locks().values()) == [held]
    assert _per_slot(199) == 398 and _per_slot(5) == 10  # the cache still answers
    assert cache_locks.prune() == 0  # below KEEP: nothing to do
