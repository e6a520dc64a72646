"""The figures' summaries, kept by the database (kept.py): a period's figures add up a row per day or
month and place instead of reading every ticket of the period (a year of a city: a million tickets).

Each summary is kept twice, per local day and per local month (``grain``; ``day`` is then the
month's first day): a period reads its whole months from the monthly rows and only the days at its
ends from the daily ones, so a year costs a few months' worth of rows, not 365 days' worth.

- ``ticket_days``: tickets received per day, community, grid, service, status and, while open, due
  date (the day the figures are asked for says which are overdue; a finished ticket's is not kept);
- ``completion_days``: tickets completed per day and grid, by how long they took, once in office time
  (``working``, kept on the ticket at completion) and once as time passed (``elapsed``), rounded to a
  tenth of an hour below 10 hours, half an hour below 50, a whole hour beyond (what a median of
  handling times needs; finer would make a row of almost every ticket): the medians come from these;
- ``rating_days``: ratings per day they were given, place and level.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from . import kept
from .kept import Kept, column, constant, local_date
from .rating import Rating
from .ticket import OPEN_VALUES, Ticket

FINISHED_DUE = date(2000, 1, 1)  # the due date kept for a finished ticket (none is overdue)


class _Summary:
    """The start of every summary's key: per day or month (``grain``; ``day`` is the month's first day
    for a month), community and grid; and the count."""

    # first in the table and its key (the period's rows are a range of it), the count last
    grain: Mapped[str] = mapped_column(String(5), primary_key=True, sort_order=-4)  # "day" or "month"
    day: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=-3)
    community_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-2)
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    n: Mapped[int] = mapped_column(Integer, default=0, sort_order=1)


class TicketDay(_Summary, db.Model):
    __tablename__ = "ticket_days"

    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)


class CompletionDay(_Summary, db.Model):
    __tablename__ = "completion_days"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "working" or "elapsed"
    tenths: Mapped[int] = mapped_column(Integer, primary_key=True)  # of an hour


class RatingDay(_Summary, db.Model):
    __tablename__ = "rating_days"

    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)


def _rounded(tenths: str, dialect: str) -> str:
    """Tenths of an hour to the precision kept: 0.1 h below 10 h, 0.5 h below 50 h, 1 h beyond."""
    return (f"CASE WHEN {tenths} < 100 THEN {tenths} WHEN {tenths} < 500 THEN CAST(round({tenths} / 5.0) AS INTEGER) * 5 "
            f"ELSE CAST(round({tenths} / 10.0) AS INTEGER) * 10 END")


def _working_tenths(row: str, dialect: str) -> str:
    # 0 only when no office time passed at all (handled outside office hours), else at least 0.1
    most = "greatest" if dialect == "postgresql" else "max"
    tenths = f"{most}(1, CAST(round({row}.working_seconds / 360.0) AS INTEGER))"
    return f"CASE WHEN {row}.working_seconds = 0 THEN 0 ELSE {_rounded(tenths, dialect)} END"


def _elapsed_tenths(row: str, dialect: str) -> str:
    # whole seconds first: SQLite's julianday is a float (3 minutes come out as 0.0499… hours)
    if dialect == "postgresql":
        seconds = f"round(extract(epoch FROM {row}.completed_at - {row}.created_at))"
    else:
        seconds = f"round((julianday({row}.completed_at) - julianday({row}.created_at)) * 86400)"
    return _rounded(f"CAST(round({seconds} / 360.0) AS INTEGER)", dialect)


OPEN = ", ".join(f"'{value}'" for value in OPEN_VALUES)


def _due_while_open(row: str, dialect: str) -> str:
    return f"CASE WHEN {row}.status IN ({OPEN}) THEN {row}.due_date ELSE '{FINISHED_DUE}' END"


PLACE = (("community_id", column("community_id")), ("grid_id", column("grid_id")))
COMPLETED = ("created_at", "completed_at", "community_id", "grid_id")


def _summaries(grain: str) -> tuple[list[Kept], Kept]:
    """The summaries of tickets, and of ratings, at one grain."""
    def at(name: str):
        return local_date(name, grain)

    first = (("grain", constant(grain)),)
    on_tickets = [
        Kept(name=f"ticket_{grain}s", table="ticket_days", source="tickets",
             key=(*first, ("day", at("created_at")), *PLACE, ("service_id", column("service_id")),
                  ("status", column("status")), ("due_date", _due_while_open)),
             when=lambda row: "true",
             watched=("created_at", "community_id", "grid_id", "service_id", "status", "due_date")),
        Kept(name=f"completion_{grain}s_working", table="completion_days", source="tickets",
             key=(*first, ("day", at("completed_at")), *PLACE, ("kind", constant("working")),
                  ("tenths", _working_tenths)),
             when=lambda row: f"({row}.completed_at IS NOT NULL AND {row}.working_seconds IS NOT NULL)",
             watched=(*COMPLETED, "working_seconds")),
        Kept(name=f"completion_{grain}s_elapsed", table="completion_days", source="tickets",
             key=(*first, ("day", at("completed_at")), *PLACE, ("kind", constant("elapsed")),
                  ("tenths", _elapsed_tenths)),
             when=lambda row: f"({row}.completed_at IS NOT NULL)",
             watched=COMPLETED),
    ]
    ratings = Kept(name=f"rating_{grain}s", table="rating_days", source="ratings",
                   key=(*first, ("day", at("created_at")), *PLACE, ("service_id", column("service_id")),
                        ("level", column("level"))),
                   when=lambda row: f"({row}.grid_id IS NOT NULL)",
                   watched=("created_at", "community_id", "grid_id", "service_id", "level"))
    return on_tickets, ratings


ON_TICKETS = [*_summaries("day")[0], *_summaries("month")[0]]
RATINGS = [_summaries("day")[1], _summaries("month")[1]]
ALL = [*ON_TICKETS, *RATINGS]


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
    kept.create_triggers(connection, RATINGS)


__all__ = ["CompletionDay", "RatingDay", "TicketDay", "create_triggers", "recount"]
