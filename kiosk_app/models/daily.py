"""The figures' daily summaries, kept by the database (kept.py): a period's figures add up a row per
day and place instead of reading every ticket of the period (a year of a city: a million tickets).

- ``ticket_days``: tickets received per local day, community, grid, service, status and due date
  (due dates say which open ones are overdue on the day the figures are asked for);
- ``completion_days``: tickets completed per local day and grid, by how long they took in tenths of an
  hour, once in office time (``working``, kept on the ticket at completion) and once as time passed
  (``elapsed``): the medians come from these (to the tenth of an hour they are shown in);
- ``rating_days``: ratings per local day they were given, place and level.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from . import kept
from .kept import Kept, column, constant, local_day
from .rating import Rating
from .ticket import Ticket


class TicketDay(db.Model):
    __tablename__ = "ticket_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class CompletionDay(db.Model):
    __tablename__ = "completion_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "working" or "elapsed"
    tenths: Mapped[int] = mapped_column(Integer, primary_key=True)  # of an hour
    n: Mapped[int] = mapped_column(Integer, default=0)


class RatingDay(db.Model):
    __tablename__ = "rating_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


def _working_tenths(row: str, dialect: str) -> str:
    # 0 only when no office time passed at all (handled outside office hours), else at least 0.1
    most = "greatest" if dialect == "postgresql" else "max"
    tenths = f"CAST(round({row}.working_seconds / 360.0) AS INTEGER)"
    return f"CASE WHEN {row}.working_seconds = 0 THEN 0 ELSE {most}(1, {tenths}) END"


def _elapsed_tenths(row: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"CAST(round(extract(epoch FROM {row}.completed_at - {row}.created_at) / 360) AS INTEGER)"
    return f"CAST(round((julianday({row}.completed_at) - julianday({row}.created_at)) * 240) AS INTEGER)"


PLACE = (("community_id", column("community_id")), ("grid_id", column("grid_id")))

TICKETS = Kept(
    name="ticket_days", table="ticket_days", source="tickets",
    key=(("day", local_day("created_at")), *PLACE, ("service_id", column("service_id")),
         ("status", column("status")), ("due_date", column("due_date"))),
    when=lambda row: "true",
    watched=("created_at", "community_id", "grid_id", "service_id", "status", "due_date"),
)
COMPLETED = ("created_at", "completed_at", "community_id", "grid_id")
WORKING = Kept(
    name="completion_days_working", table="completion_days", source="tickets",
    key=(("day", local_day("completed_at")), *PLACE, ("kind", constant("working")), ("tenths", _working_tenths)),
    when=lambda row: f"({row}.completed_at IS NOT NULL AND {row}.working_seconds IS NOT NULL)",
    watched=(*COMPLETED, "working_seconds"),
)
ELAPSED = Kept(
    name="completion_days_elapsed", table="completion_days", source="tickets",
    key=(("day", local_day("completed_at")), *PLACE, ("kind", constant("elapsed")), ("tenths", _elapsed_tenths)),
    when=lambda row: f"({row}.completed_at IS NOT NULL)",
    watched=COMPLETED,
)
RATINGS = Kept(
    name="rating_days", table="rating_days", source="ratings",
    key=(("day", local_day("created_at")), *PLACE, ("service_id", column("service_id")), ("level", column("level"))),
    when=lambda row: f"({row}.grid_id IS NOT NULL)",
    watched=("created_at", "community_id", "grid_id", "service_id", "level"),
)
ON_TICKETS = [TICKETS, WORKING, ELAPSED]
ALL = [*ON_TICKETS, RATINGS]


def create_triggers(connection) -> None:
    kept.create_triggers(connection, ALL)


def recount(connection) -> None:
    kept.recount(connection, ALL)


@event.listens_for(Ticket.__table__, "after_create")
def _tickets_created(table, connection, **kw) -> None:
    # SQLite checks a trigger's tables when it runs; PostgreSQL's functions when they run: the summaries
    # need not exist yet.
    kept.create_triggers(connection, ON_TICKETS)


@event.listens_for(Rating.__table__, "after_create")
def _ratings_created(table, connection, **kw) -> None:
    kept.create_triggers(connection, [RATINGS])


__all__ = ["CompletionDay", "RatingDay", "TicketDay", "create_triggers", "recount"]
