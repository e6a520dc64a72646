"""Failed-attempt counters in a sliding window, kept in the database so every worker sees them."""

from __future__ import annotations

from datetime import timedelta

from ..extensions import db
from ..models import Throttle
from ..models.base import utcnow


def is_blocked(key: str, limit: int, window_seconds: int) -> bool:
    row = db.session.get(Throttle, key)
    if row is None:
        return False
    if utcnow() - row.window_started_at > timedelta(seconds=window_seconds):
        return False
    return row.failures >= limit


def record_failure(key: str, window_seconds: int) -> None:
    """Count one failure (committed by the caller's transaction)."""
    now = utcnow()
    row = db.session.get(Throttle, key)
    if row is None:
        db.session.add(Throttle(key=key, failures=1, window_started_at=now))
    elif now - row.window_started_at > timedelta(seconds=window_seconds):
        row.failures, row.window_started_at = 1, now
    else:
        row.failures += 1


def clear(key: str) -> None:
    row = db.session.get(Throttle, key)
    if row is not None:
        db.session.delete(row)
