"""Streamlit's caches keep one lock per key they ever computed; the slots' keys are new every 2 s.

`st.cache_resource` and `st.cache_data` hold a `threading.Lock` per value key (so that sessions
asking for the same missing value compute it once) and drop it only when the cache is cleared.
Every cached function keyed on the slot (dashboard.data, dashboard.views) makes a new key every
2 seconds: measured with `bench.soak --probe`, ~8 locks a second, ~700,000 a day, never freed.
prune() drops the locks nobody holds, once a slot; one that is dropped as a session is about to
take it costs at most a value computed twice.
"""

from __future__ import annotations

import logging
from typing import Any

from streamlit.runtime.caching import cache_data_api, cache_resource_api

log = logging.getLogger(__name__)
KEEP = 64  # a function's locks kept unpruned: more than its live keys (8 entries at most)


def prune() -> int:
    """Drop the compute locks that no thread holds from caches with more than KEEP; how many."""
    dropped = 0
    for cache in _caches():
        locks: dict[str, Any] | None = getattr(cache, "_value_locks", None)
        guard = getattr(cache, "_value_locks_lock", None)
        if locks is None or guard is None or len(locks) <= KEEP:
            continue  # another Streamlit's internals, or nothing to drop
        with guard:
            for key in [k for k, lock in locks.items() if not lock.locked()]:
                del locks[key]
                dropped += 1
    return dropped


def _caches() -> list[Any]:
    found = []
    for caches in (cache_resource_api._resource_caches, cache_data_api._data_caches):
        per_session = getattr(caches, "_function_caches", None)
        guard = getattr(caches, "_caches_lock", None)
        if per_session is None or guard is None:
            log.warning("Streamlit's caches have changed: their locks are not pruned")
            continue
        with guard:
            found += [cache for functions in per_session.values() for cache in functions.values()]
    return found
