"""Failed-attempt counters in a time window, kept in the database so every worker sees them.

Counting is one atomic upsert, so attempts sent in parallel are all counted: callers count an
attempt *before* checking it, and refuse to check once the count is over the limit.  A count is its
own transaction, committed before the caller's use case goes on: nothing that fails after the check
takes it back.  The other functions only write within the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import Throttle
from ..models.base import utcnow
from .uow import separate, use_case

COUNTED_FIRST = "an attempt is counted before it is checked"


def count_attempt(key: str, window_seconds: int) -> int:
    """Add one attempt to ``key``'s window (a new window once the old one is over); return the count."""
    now = utcnow()
    cutoff = now - timedelta(seconds=window_seconds)
    table = Throttle.__table__
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(key=key, failures=1, window_started_at=now)
    expired = table.c.window_started_at < cutoff
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((expired, 1), else_=table.c.failures + 1),
            "window_started_at": case((expired, now), else_=table.c.window_started_at),
        },
    ).returning(table.c.failures)
    with separate(COUNTED_FIRST):
        count = db.session.execute(stmt).scalar_one()
    return count


def count_spaced_attempt(key: str, window_seconds: int,
                         waits: Sequence[int]) -> tuple[int | None, datetime | None]:
    """Count an attempt unless ``key`` must still wait: ``(count, None)``, or ``(None, when it may try
    again)`` for an attempt refused and not counted.

    ``waits[n]`` is the pause in seconds after n counted attempts before the next one (the last entry
    for any more).  The check and the count are one atomic upsert, so of attempts sent in parallel
    each is counted and none passes while another is being counted.
    """
    now = utcnow()
    table = Throttle.__table__
    failures, last_at = table.c.failures, table.c.last_at
    expired = table.c.window_started_at < now - timedelta(seconds=window_seconds)
    longest = len(waits) - 1
    may_try = [expired, last_at.is_(None)]
    for counted, wait in enumerate(waits):
        this_many = failures == counted if counted < longest else failures >= counted
        may_try.append(and_(this_many, last_at <= now - timedelta(seconds=wait)) if wait else this_many)
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(key=key, failures=1, window_started_at=now, last_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((expired, 1), else_=failures + 1),
            "window_started_at": case((expired, now), else_=table.c.window_started_at),
            "last_at": now,
        },
        where=or_(*may_try),
    ).returning(failures)
    with separate(COUNTED_FIRST):
        count = db.session.execute(stmt).scalar_one_or_none()
    if count is not None:
        return count, None
    row = db.session.execute(select(failures, last_at).where(table.c.key == key)).one_or_none()
    if row is None:  # cleared meanwhile (a right code): the wait is over
        return None, now
    return None, row.last_at + timedelta(seconds=waits[min(row.failures, longest)])


def window_end(key: str, window_seconds: int, *, after: int = 0) -> datetime | None:
    """When ``key``'s current window ends: None when it has none, or (with ``after``) while fewer than
    ``after`` attempts have been counted in it."""
    table = Throttle.__table__
    row = db.session.execute(select(table.c.window_started_at, table.c.failures)
                             .where(table.c.key == key)).one_or_none()
    if row is None or row.failures < after:
        return None
    end = row.window_started_at + timedelta(seconds=window_seconds)
    return end if end > utcnow() else None


def open_windows(keys: Sequence[str], window_seconds: int, *, after: int = 0) -> set[str]:
    """Of ``keys``, those whose current window is open with at least ``after`` attempts (one query)."""
    if not keys:
        return set()
    table = Throttle.__table__
    cutoff = utcnow() - timedelta(seconds=window_seconds)
    return set(db.session.scalars(select(table.c.key).where(
        table.c.key.in_(list(keys)), table.c.failures >= after, table.c.window_started_at > cutoff)))


def drop_expired(prefix: str, window_seconds: int) -> None:
    """Forget the counters under ``prefix`` whose window is over (they would restart at zero anyway)."""
    table = Throttle.__table__
    cutoff = utcnow() - timedelta(seconds=window_seconds)
    db.session.execute(delete(table).where(table.c.key.startswith(prefix, autoescape=True),
                                           table.c.window_started_at < cutoff))


KEPT_DAYS = 2  # longer than any window a counter is kept for (the longest: a keypad's day)


@use_case
def purge() -> int:
    """Forget every counter whose window began more than KEPT_DAYS ago (the table would grow with each
    address, username and keypad that ever tried); returns how many."""
    table = Throttle.__table__
    return db.session.execute(delete(table).where(
        table.c.window_started_at < utcnow() - timedelta(days=KEPT_DAYS))).rowcount


def clear(key: str) -> None:
    row = db.session.get(Throttle, key)
    if row is not None:
        db.session.delete(row)


def forgive(key: str) -> None:
    """Take back one counted attempt that turned out to be right (atomically)."""
    from sqlalchemy import update

    table = Throttle.__table__
    db.session.execute(update(table).where(table.c.key == key, table.c.failures > 0)
                       .values(failures=table.c.failures - 1))
