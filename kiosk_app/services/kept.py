"""Values each worker keeps for ``CACHE_SECONDS`` (0 turns keeping off, as in the tests).

For what is read far more often than it changes: reference data (catalogue, communities,
buildings), parts of pages that are the same for everyone, the queue's counts of finished
tickets.  A change shows everywhere within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app

MAX_ENTRIES = 10_000  # keys include accounts and filters: never let the store grow without bound
_store: dict[tuple, tuple[float, object]] = {}


def kept(key: tuple, make: Callable[[], object]):
    """``make()``'s value for ``key``, made at most once per CACHE_SECONDS in this worker."""
    seconds = current_app.config.get("CACHE_SECONDS", 0)
    if seconds <= 0:
        return make()
    key = (id(current_app), *key)
    now = time.monotonic()
    entry = _store.get(key)
    if entry is None or entry[0] <= now:
        if len(_store) >= MAX_ENTRIES:
            _store.clear()
        entry = _store[key] = (now + seconds, make())
    return entry[1]


def forget() -> None:
    """After a change made in this process (other workers catch up within CACHE_SECONDS)."""
    _store.clear()
