"""What each worker keeps, and what drops it: one cache object and the change that clears it.

For what is read far more often than it changes: reference data (the catalogue, communities and their
buildings, an account's grids), parts of pages that are the same for everyone (the kiosk's
catalogue), and the queue's counts of finished tickets.  Values are plain immutable data (frozen
dataclasses, tuples, rendered markup), never ORM rows: a kept value is shared by every request of
the worker and must not carry one request's session into another.

- ``CACHE_SECONDS`` (0 turns keeping off): the longest a value is kept (``cachetools.TTLCache``,
  at most ``MAX_ENTRIES``, least recently used out first).
- Invalidation on change: a use case that changes kept data calls ``changed()`` inside its unit of
  work.  That bumps a version stamp in the database (``cache_versions``) in the same transaction,
  and once it commits this worker drops what it keeps.  Every other worker, on every server, reads
  the stamp at most once per ``CACHE_CHECK_SECONDS`` (1 s by default: one primary-key read a second,
  not one per request) and drops what it keeps when the stamp has moved.  An administrator's edit
  is thus on every kiosk within a second.
- The queue's finished counts are not invalidated by ticket changes (they only grow, and a tab's
  number may lag by CACHE_SECONDS); everything else kept is reference data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from cachetools import TTLCache
from flask import Flask, current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..models.cache import CacheVersion

T = TypeVar("T")

MAX_ENTRIES = 10_000  # keys include accounts and filters: never let the store grow without bound
REFERENCE = "reference"
_CHANGED = "cache_changed"  # session.info: this transaction changed kept data


class _Store:
    """One app's kept values and the stamp they were made under."""

    def __init__(self, seconds: int):
        # The clock is looked up on each call, so a test can move it.
        self.values: TTLCache = TTLCache(maxsize=MAX_ENTRIES, ttl=seconds, timer=lambda: time.monotonic())
        self.stamp: int | None = None
        self.checked_at = float("-inf")
        self.lock = threading.Lock()  # a TTLCache is not safe for threads on its own

    def clear(self) -> None:
        with self.lock:
            self.values.clear()


_stores: dict[int, _Store] = {}


def _store() -> _Store:
    app = current_app._get_current_object()
    store = _stores.get(id(app))
    if store is None:
        store = _stores[id(app)] = _Store(app.config["CACHE_SECONDS"])
    return store


def kept(key: tuple, make: Callable[[], T]) -> T:
    """``make()``'s value for ``key``, made at most once per CACHE_SECONDS in this worker, and again
    after a change anywhere (``changed``)."""
    if current_app.config.get("CACHE_SECONDS", 0) <= 0:
        return make()
    store = _store()
    _check_stamp(store)
    with store.lock:
        found = store.values.get(key, _MISSING)
    if found is not _MISSING:
        return found
    value = make()
    with store.lock:
        store.values[key] = value
    return value


_MISSING = object()


def _check_stamp(store: _Store) -> None:
    now = time.monotonic()
    if now - store.checked_at < current_app.config["CACHE_CHECK_SECONDS"]:
        return
    stamp = db.session.scalar(select(CacheVersion.stamp).where(CacheVersion.name == REFERENCE)) or 0
    store.checked_at = now
    if stamp != store.stamp:
        store.clear()
        store.stamp = stamp


def changed() -> None:
    """Kept data changes in this unit of work: every worker drops what it keeps once it commits."""
    session = db.session()
    if session.info.get(_CHANGED):
        return  # bumped once already: a transaction's changes need one new stamp, not one each
    bumped = session.execute(update(CacheVersion).where(CacheVersion.name == REFERENCE)
                             .values(stamp=CacheVersion.stamp + 1)).rowcount
    if not bumped:
        session.add(CacheVersion(name=REFERENCE, stamp=1))
    session.info[_CHANGED] = True


def forget() -> None:
    """Drop everything this worker keeps (tests; a change this worker made drops it by itself)."""
    _stores.clear()


def _ended(session: Session) -> None:
    """A transaction that changed kept data ended: committed, it is stale; rolled back, what was kept
    meanwhile may have been made from the change (a spreadsheet's dry run reads what it has just
    written).  Either way this worker drops what it keeps."""
    if session.info.pop(_CHANGED, False):
        for store in _stores.values():
            store.clear()
            store.checked_at = float("-inf")


def init_app(app: Flask) -> None:
    _stores.pop(id(app), None)  # a new app (a test's) never sees another's values
    if not event.contains(Session, "after_commit", _ended):
        event.listen(Session, "after_commit", _ended)
        event.listen(Session, "after_soft_rollback", lambda session, _previous: _ended(session))
