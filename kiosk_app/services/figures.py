"""Community figures for a period: what came in, what is open, done and overdue, and how long it took."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Grid, Service, Staff, Status, Ticket
from . import scope, workdays
from .workflow import OPEN

DONE = (Status.COMPLETED, Status.CLOSED)


@dataclass
class Row:
    received: int = 0
    open: int = 0
    done: int = 0
    rejected: int = 0
    overdue: int = 0

    def add(self, status: Status, overdue: bool, n: int) -> None:
        self.received += n
        if status in OPEN:
            self.open += n
            if overdue:
                self.overdue += n
        elif status in DONE:
            self.done += n
        elif status == Status.REJECTED:
            self.rejected += n


@dataclass
class Figures:
    start: date
    end: date
    total: Row = field(default_factory=Row)
    by_service: list[tuple[str, Row]] = field(default_factory=list)
    by_grid: list[tuple[str, Row]] = field(default_factory=list)
    median_hours: float | None = None
    completed_count: int = 0


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time.min, workdays.LOCAL_TZ)
    hi = datetime.combine(end + timedelta(days=1), time.min, workdays.LOCAL_TZ)
    return lo, hi


def community_figures(actor: Staff, start: date, end: date, office_hours: str, today: date) -> Figures:
    lo, hi = _bounds(start, end)
    in_scope = scope.ticket_filter(actor)
    result = Figures(start=start, end=end)
    overdue = Ticket.due_date < today
    stmt = (
        select(Ticket.service_id, Ticket.grid_id, Ticket.status, overdue, func.count())
        .where(in_scope, Ticket.created_at >= lo, Ticket.created_at < hi)
        .group_by(Ticket.service_id, Ticket.grid_id, Ticket.status, overdue)
    )
    services: dict[int, Row] = {}
    grids: dict[int, Row] = {}
    for service_id, grid_id, status, is_overdue, n in db.session.execute(stmt):
        for bucket in (result.total, services.setdefault(service_id, Row()), grids.setdefault(grid_id, Row())):
            bucket.add(status, bool(is_overdue), n)

    names = {s.id: s.name for s in db.session.scalars(select(Service).where(Service.id.in_(services)))}
    grid_rows = db.session.scalars(select(Grid).where(Grid.id.in_(grids)).options(selectinload(Grid.community)))
    grid_names = {g.id: f"{g.community.name} · {g.name}" for g in grid_rows}
    result.by_service = sorted(((names[k], v) for k, v in services.items()), key=lambda kv: -kv[1].received)
    result.by_grid = sorted(((grid_names[k], v) for k, v in grids.items()), key=lambda kv: kv[0])

    windows = workdays.parse_office_hours(office_hours)
    durations = [
        workdays.working_hours_between(created, completed, windows)
        for created, completed in db.session.execute(
            select(Ticket.created_at, Ticket.completed_at)
            .where(in_scope, Ticket.completed_at.is_not(None), Ticket.completed_at >= lo, Ticket.completed_at < hi)
        )
    ]
    result.completed_count = len(durations)
    result.median_hours = round(statistics.median(durations), 1) if durations else None
    return result
