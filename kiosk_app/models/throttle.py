"""Counters of failed attempts (ticket look-ups, sign-ins and pickup codes) in a time window."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


class Throttle(db.Model):
    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last attempt counted: a counter that spaces attempts out (a growing wait after each wrong
    # pickup code) measures the wait from here.
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
