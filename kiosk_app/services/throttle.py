"""Failed-attempt counters in a time window, kept in the database so every worker sees them.

Counting is one atomic upsert, so attempts sent in parallel are all counted: callers count an
attempt *before* checking it, and refuse to check once the count is over the limit.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import Throttle
from ..models.base import utcnow


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
    count = db.session.execute(stmt).scalar_one()
    db.session.commit()
    return count


def is_blocked(key: str, limit: int, window_seconds: int) -> bool:
    row = db.session.get(Throttle, key)
    if row is None:
        return False
    if utcnow() - row.window_started_at > timedelta(seconds=window_seconds):
        return False
    return row.failures >= limit


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
    db.session.commit()
