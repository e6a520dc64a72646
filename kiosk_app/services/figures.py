"""Community figures for a period: what came in, what is open, done and overdue, and how long it took."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (Area, CompletionDay, ConsultationTask, FollowUp, FollowUpState, Grid, RatingDay, Service, Shift,
                      Staff, Status, Ticket, TicketDay)
from ..models.base import utcnow
from . import consultations, scope, workdays
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
class Satisfaction:
    ratings: int = 0
    satisfied: int = 0  # 非常满意 + 满意
    poor: int = 0  # 不满意 + 非常不满意

    def add(self, level: int, n: int) -> None:
        self.ratings += n
        if level >= 4:
            self.satisfied += n
        elif level <= 2:
            self.poor += n

    @property
    def share(self) -> float | None:
        return round(100 * self.satisfied / self.ratings, 1) if self.ratings else None


@dataclass
class Figures:
    start: date
    end: date
    total: Row = field(default_factory=Row)
    by_service: list[tuple[str, Row]] = field(default_factory=list)
    by_grid: list[tuple[str, Row]] = field(default_factory=list)
    median_hours: float | None = None
    median_elapsed_hours: float | None = None
    completed_count: int = 0
    outside_office_hours: int = 0
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    satisfaction_by_service: list[tuple[str, Satisfaction]] = field(default_factory=list)
    satisfaction_by_grid: list[tuple[str, Satisfaction]] = field(default_factory=list)
    satisfaction_by_community: list[tuple[str, Satisfaction]] = field(default_factory=list)
    follow_ups_closed: int = 0
    follow_ups_on_time: int = 0
    follow_ups_overdue: int = 0


def natural(text: str) -> tuple:
    """G2 before G10, 第二 after 第一: numbers in a code compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text or ""))


def _by_grid(values: dict[int, object]) -> list[tuple[str, object]]:
    """Rows per grid, named "community · grid", in the order of their codes (G1, G2, … G10), not of their
    names (第一, 第三, 第二 is the order of the characters, not of the numbers)."""
    rows = db.session.scalars(select(Grid).where(Grid.id.in_(values)).options(selectinload(Grid.community)))
    keyed = sorted((natural(g.community.code) + natural(g.code), f"{g.community.name} · {g.name}", g.id) for g in rows)
    return [(label, values[grid_id]) for _key, label, grid_id in keyed]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return workdays.local_midnight(start), workdays.local_midnight(end + timedelta(days=1))


EARLIEST = date(2000, 1, 1)
LONGEST = timedelta(days=366)  # the longest period, and how far ahead one may end


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period asked for, made sensible: this month so far unless given, between 2000 and a year
    from today, in order, and at most a year long."""
    latest = today + LONGEST
    start = min(max(start or today.replace(day=1), EARLIEST), latest)
    end = min(max(end or today, EARLIEST), latest)
    if end < start:
        start, end = end, start
    return start, min(end, start + LONGEST)


def figures_page(actor: Staff, start: date | None, end: date | None, today: date) -> Figures:
    """The figures page (for staff, not volunteers) over the ``period`` asked for."""
    scope.require_desk_role(actor)
    return community_figures(actor, *period(start, end, today), today)


def in_period(summary, start: date, end: date):
    """A summary's rows for the period: its whole months from the monthly rows, the days at its ends
    from the daily ones (a year: eleven or twelve months' rows and a month's worth of days)."""
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = (end + timedelta(days=1)).replace(day=1)  # the whole months are those in [first, after)
    if first >= after:
        return and_(summary.grain == "day", summary.day >= start, summary.day <= end)
    return or_(and_(summary.grain == "month", summary.day >= first, summary.day < after),
               and_(summary.grain == "day", or_(and_(summary.day >= start, summary.day < first),
                                                and_(summary.day >= after, summary.day <= end))))


def community_figures(actor: Staff, start: date, end: date, today: date) -> Figures:
    """From the summaries the database keeps (models/daily.py): rows per month or day and place, however
    many tickets came in, so a year costs a few months' rows, not a year of tickets."""
    result = Figures(start=start, end=end)
    overdue = TicketDay.due_date < today
    rows = db.session.execute(
        select(TicketDay.service_id, TicketDay.grid_id, TicketDay.status, overdue, func.sum(TicketDay.n))
        .where(scope.ticket_filter(actor, on=TicketDay), in_period(TicketDay, start, end))
        .group_by(TicketDay.service_id, TicketDay.grid_id, TicketDay.status, overdue)
        .having(func.sum(TicketDay.n) != 0))  # a count that went to 0 (the ticket moved on) leaves its row
    services: dict[int, Row] = {}
    grids: dict[int, Row] = {}
    for service_id, grid_id, status, is_overdue, n in rows:
        for bucket in (result.total, services.setdefault(service_id, Row()), grids.setdefault(grid_id, Row())):
            bucket.add(Status(status), bool(is_overdue), int(n))

    names = {s.id: s.name for s in db.session.scalars(select(Service).where(Service.id.in_(services)))}
    result.by_service = sorted(((names[k], v) for k, v in services.items()), key=lambda kv: -kv[1].received)
    result.by_grid = _by_grid(grids)

    took: dict[str, dict[int, int]] = {"working": {}, "elapsed": {}}
    for kind, tenths, n in db.session.execute(
            select(CompletionDay.kind, CompletionDay.tenths, func.sum(CompletionDay.n))
            .where(scope.ticket_filter(actor, on=CompletionDay), in_period(CompletionDay, start, end))
            .group_by(CompletionDay.kind, CompletionDay.tenths).having(func.sum(CompletionDay.n) != 0)):
        took[kind][tenths] = int(n)
    result.completed_count = sum(took["elapsed"].values())
    result.median_hours = median_tenths(took["working"])
    # Handled wholly outside office hours (an evening's drop-off completed that night) is 0 working
    # hours: said beside the median, with the median of the time that passed, so 0.0 is not a mystery.
    result.outside_office_hours = took["working"].get(0, 0)
    result.median_elapsed_hours = median_tenths(took["elapsed"])
    _satisfaction(result, actor, start, end, today)
    return result


def median_tenths(counts: dict[int, int]) -> float | None:
    """The median, in hours, of values counted per tenth of an hour (``{tenths: how many}``; kept at the
    precision models/daily.py says)."""
    total = sum(counts.values())
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # the one middle, or the two to average
    found, seen = [], 0
    for tenths in sorted(counts):
        seen += counts[tenths]
        while len(found) < 2 and seen > middle[len(found)]:
            found.append(tenths)
    return round(sum(found) / 20, 1)


def _satisfaction(result: Figures, actor: Staff, start: date, end: date, today: date) -> None:
    """Ratings given in the period, per service, grid and community; and the follow-ups of poor ones."""
    rows = db.session.execute(
        select(RatingDay.service_id, RatingDay.grid_id, RatingDay.community_id, RatingDay.level, func.sum(RatingDay.n))
        .where(scope.ticket_filter(actor, on=RatingDay), in_period(RatingDay, start, end))
        .group_by(RatingDay.service_id, RatingDay.grid_id, RatingDay.community_id, RatingDay.level)
        .having(func.sum(RatingDay.n) != 0)).all()
    by = {"service": {}, "grid": {}, "community": {}}
    for service_id, grid_id, community_id, level, n in rows:
        result.satisfaction.add(level, int(n))
        for key, ident in (("service", service_id), ("grid", grid_id), ("community", community_id)):
            by[key].setdefault(ident, Satisfaction()).add(level, int(n))
    names = {
        "service": {s.id: s.name for s in db.session.scalars(select(Service).where(Service.id.in_(by["service"])))},
        "community": {a.id: a.name for a in db.session.scalars(select(Area).where(Area.id.in_(by["community"])))},
    }
    result.satisfaction_by_service, result.satisfaction_by_community = (
        sorted(((names[key][k], v) for k, v in by[key].items()), key=lambda kv: kv[0])
        for key in ("service", "community"))
    result.satisfaction_by_grid = _by_grid(by["grid"])
    # Follow-ups closed in the period, and those open past their day: not every follow-up ever opened.
    lo, hi = _bounds(start, end)
    closed = and_(FollowUp.state == FollowUpState.CLOSED, FollowUp.closed_at >= lo, FollowUp.closed_at < hi)
    late = and_(FollowUp.state == FollowUpState.OPEN, FollowUp.due_date < today)
    # (a ticket's, in the account's queue; or a consultation's judgement, for those who run consultations)
    of_tickets = and_(FollowUp.ticket_id.is_not(None), scope.ticket_filter(actor))
    of_consultations = and_(FollowUp.ticket_id.is_(None), FollowUp.community_id.in_(scope.community_ids_select(actor)),
                            actor.role in consultations.RUNS)
    follow_ups = db.session.execute(select(FollowUp.state, FollowUp.closed_at, FollowUp.due_date)
                                    .outerjoin(Ticket, FollowUp.ticket_id == Ticket.id)
                                    .where(or_(of_tickets, of_consultations), or_(closed, late), FollowUp.created_at < hi))
    for state, closed_at, due_date in follow_ups:
        if state == FollowUpState.CLOSED:
            result.follow_ups_closed += 1
            result.follow_ups_on_time += workdays.local_date(closed_at) <= due_date
        else:
            result.follow_ups_overdue += 1


# -- volunteers (志愿云) ----------------------------------------------------------------------------------

def volunteer_hours(actor: Staff, months: int = 12) -> list[tuple[str, str, float]]:
    """Confirmed volunteer hours per community and month (of the check-in, or of the confirmation for
    minutes given without one), confirmed in the last ``months``."""
    since = utcnow() - timedelta(days=31 * months)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    names = {area.id: area.name for area in scope.communities(actor)}
    for community_id, checked_in_at, minutes in db.session.execute(
            select(ConsultationTask.community_id, func.coalesce(Shift.checked_in_at, Shift.confirmed_at), Shift.minutes_confirmed)
            .join(ConsultationTask, ConsultationTask.id == Shift.task_id)
            .where(ConsultationTask.community_id.in_(scope.community_ids_select(actor)), Shift.minutes_confirmed.is_not(None),
                   Shift.confirmed_at >= since)):
        month = workdays.local_date(checked_in_at).strftime("%Y-%m")
        totals[(names.get(community_id, ""), month)] += minutes
    return [(community, month, round(minutes / 60, 1)) for (community, month), minutes in sorted(totals.items())]
