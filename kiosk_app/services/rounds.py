"""The grid worker's round ("my grid", on a phone): the follow-ups of visits that are due, the
households with a tag (by default 独居老人) that nobody has visited for a while, and the grid's open
tickets, each one tap from a visit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Household, Member, MemberTag, Role, Room, Staff, Tag, Ticket, Visit
from ..models.base import utcnow
from ..models.ticket import IS_OPEN
from . import plans, scope, workdays
from .admin.audit import AuditAction, record
from .uow import use_case
from .validation import mask_name

DEFAULT_DAYS, MOST = 30, 50


@dataclass(frozen=True)
class RoundLine:
    household_id: int
    place: str
    head: str
    last_visit: date | None
    follow_up_due: date | None = None
    visit_id: int | None = None


@dataclass(frozen=True)
class Round:
    due: tuple[RoundLine, ...]
    not_visited: tuple[RoundLine, ...]
    tickets: tuple[Ticket, ...]
    tag: Tag | None
    days: int
    today: date
    plans: tuple = ()  # the worker's grids' plans, coloured by visits due (services/plans.py)


@use_case
def my_round(actor: Staff, tag_code: str | None = None, days=None) -> Round:
    """(A use case: a round narrowed to a sensitive tag lists who carries it, and is recorded.)"""
    today = workdays.local_date(utcnow())
    try:
        days = max(1, min(int(days), 3650)) if days not in (None, "") else DEFAULT_DAYS
    except ValueError:
        days = DEFAULT_DAYS
    tag = db.session.scalar(select(Tag).where(Tag.code == (tag_code or plans.DEFAULT_TAG), Tag.active.is_(True)))
    if tag is not None and tag.sensitive and not scope.may_see_sensitive(actor):
        tag = None
    last = (select(Visit.household_id, func.max(Visit.visited_on).label("on"))
            .group_by(Visit.household_id).subquery())
    households = (select(Household, last.c.on).outerjoin(last, last.c.household_id == Household.id)
                  .outerjoin(Room, Room.id == Household.room_id)
                  .where(Household.active.is_(True), scope.household_filter(actor))
                  .options(selectinload(Household.members), selectinload(Household.building),
                           selectinload(Household.room)))
    due = [_line(household, on, visit) for visit, household, on in db.session.execute(
        select(Visit, Household, last.c.on).join(Household, Household.id == Visit.household_id)
        .outerjoin(last, last.c.household_id == Household.id)
        .where(scope.household_filter(actor), Visit.follow_up_done_at.is_(None), Visit.follow_up_due <= today)
        .options(selectinload(Household.members), selectinload(Household.building), selectinload(Household.room))
        .order_by(Visit.follow_up_due).limit(MOST))]
    not_visited = []
    if tag is not None:
        cutoff = today - timedelta(days=days)
        stale = households.where((last.c.on < cutoff) | last.c.on.is_(None)).order_by(last.c.on.nullsfirst(),
                                                                                     Household.id)
        if tag.sensitive and actor.role == Role.GRID_WORKER:  # sealed tags: the grids of their posts alone
            stale = stale.where(Household.grid_id.in_(scope.grid_ids(actor)))
        if not tag.sensitive:
            stale = stale.where(exists().where(Member.household_id == Household.id, Member.moved_out.is_(None),
                                               MemberTag.member_id == Member.id, MemberTag.tag_id == tag.id))
        for household, on in db.session.execute(stale):
            if tag.sensitive and not any(tag.code in (m.sensitive_tags or "").split(",")
                                         for m in household.members if m.moved_out is None):
                continue
            not_visited.append(_line(household, on))
            if len(not_visited) >= MOST:
                break
    tickets = db.session.scalars(select(Ticket).where(scope.ticket_filter(actor), IS_OPEN)
                                 .order_by(Ticket.due_date, Ticket.id).limit(MOST))
    grid_plans = tuple(plans.plan(actor, grid_id, plans.Layer.VISITS, tag.code if tag else None, days, recorded=False)
                       for grid_id in scope.grid_ids(actor)) if actor.role == Role.GRID_WORKER else ()
    if tag is not None and tag.sensitive:
        record(actor, AuditAction.VIEW_PERSONAL_DATA, "round", actor.id, name=actor.display_name,
               after={"tag": tag.code, "households": [line.household_id for line in not_visited]})
    return Round(tuple(due), tuple(not_visited), tuple(tickets), tag, days, today, grid_plans)


def _line(household: Household, last_visit: date | None, visit: Visit | None = None) -> RoundLine:
    present = [m for m in household.members if m.moved_out is None]
    place = f"{household.building.name} {household.room.label}" if household.room else household.building.name
    return RoundLine(household.id, place, mask_name(present[0].name) if present else "", last_visit,
                     visit.follow_up_due if visit else None, visit.id if visit else None)
