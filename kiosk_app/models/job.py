"""The periodic work's state (services/scheduler.py): one row per job, shared by every worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


class JobState(db.Model):
    """When a job is next due, who holds it while it runs, and how its last runs went.

    A worker takes a job by one conditional UPDATE (due, and not held by a live lease): two workers,
    on one server or two, never run the same job in the same interval."""

    __tablename__ = "job_states"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Held while it runs: another worker may take it again only once the lease has run out (a worker
    # killed mid-run holds nothing for long).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(String(80), default="")
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_summary: Mapped[str] = mapped_column(String(300), default="")
    last_error: Mapped[str] = mapped_column(String(300), default="")
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
