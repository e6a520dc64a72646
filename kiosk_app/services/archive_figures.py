"""The archive's figures: households and people per grid and tag, visits done and follow-ups overdue per
member of staff, and what the households with a tag ask for (requests per service).

Counts, never people.  A district admin sees them for the district (the files stay closed to them);
others for the households they keep.  Sensitive tags are counted only for readers who may see them,
and only by opening the members' sealed lists (a community's few thousand) — in the database no row
names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Grid, Household, Member, MemberTag, Role, Service, Staff, Tag, Ticket, TicketLink, Visit
from ..models.base import in_reader_language, utcnow
from . import scope, workdays
from .errors import Forbidden


@dataclass(frozen=True)
class GridLine:
    grid: Grid
    households: int
    people: int
    by_tag: dict[int, int]  # tag id -> people carrying it


@dataclass(frozen=True)
class WorkerLine:
    name: str
    visits: int
    overdue: int


@dataclass(frozen=True)
class ArchiveFigures:
    start: date
    end: date
    tags: tuple[Tag, ...]
    grids: tuple[GridLine, ...]
    workers: tuple[WorkerLine, ...]
    asked: tuple[tuple[str, str, int], ...]  # (tag name, service name, requests)


def _households(actor: Staff):
    """Whose figures: a district admin's district, anyone else's own households."""
    if actor.role == Role.VOLUNTEER or not actor.active:
        raise Forbidden(_l("Your role may not use this page."))
    if actor.role == Role.DISTRICT_ADMIN:
        return Household.community_id.in_(scope.community_ids_select(actor))
    return scope.household_filter(actor)


def figures(actor: Staff, start: date | None = None, end: date | None = None) -> ArchiveFigures:
    """This month's figures unless a period is given (visits and requests are counted in it)."""
    from .figures import period

    today = workdays.local_date(utcnow())
    start, end = period(start, end, today)
    mine = _households(actor)
    sensitive_too = actor.role != Role.DISTRICT_ADMIN and scope.may_see_sensitive(actor)
    tags = tuple(t for t in db.session.scalars(select(Tag).where(Tag.active.is_(True)).order_by(Tag.position, Tag.id))
                 if sensitive_too or not t.sensitive)
    present = and_(Member.household_id == Household.id, Member.moved_out.is_(None))
    counts = {grid_id: (households, people) for grid_id, households, people in db.session.execute(
        select(Household.grid_id, func.count(func.distinct(Household.id)), func.count(Member.id))
        .outerjoin(Member, present).where(mine, Household.active.is_(True)).group_by(Household.grid_id))}
    by_tag: dict[int, dict[int, int]] = {}
    for grid_id, tag_id, people in db.session.execute(
            select(Household.grid_id, MemberTag.tag_id, func.count()).join(Member, present)
            .join(MemberTag, MemberTag.member_id == Member.id).where(mine, Household.active.is_(True))
            .group_by(Household.grid_id, MemberTag.tag_id)):
        by_tag.setdefault(grid_id, {})[tag_id] = people
    sealed = {t.code: t.id for t in tags if t.sensitive}
    allowed: dict[int, bool] = {}
    if sealed:
        for grid_id, carried in db.session.execute(select(Household.grid_id, Member.sensitive_tags).join(Member, present)
                                                   .where(mine, Household.active.is_(True), Member.sensitive_tags != "")):
            if grid_id not in allowed:  # (a grid worker: only the grids of their posts)
                allowed[grid_id] = scope.may_see_sensitive(actor, grid_id)
            for code in (carried or "").split(",") if allowed[grid_id] else ():
                if code in sealed:
                    line = by_tag.setdefault(grid_id, {})
                    line[sealed[code]] = line.get(sealed[code], 0) + 1
    grids = {g.id: g for g in db.session.scalars(select(Grid).where(Grid.id.in_(list(counts))))}
    grid_lines = tuple(GridLine(grids[grid_id], households, people, by_tag.get(grid_id, {}))
                       for grid_id, (households, people) in sorted(counts.items(), key=lambda kv: (
                           grids[kv[0]].community_id, grids[kv[0]].code)))
    return ArchiveFigures(start, end, tags, grid_lines, _workers(mine, start, end, today), _asked(mine, tags, start, end))


def _workers(mine, start: date, end: date, today: date) -> tuple[WorkerLine, ...]:
    done = func.sum(case(((Visit.visited_on >= start) & (Visit.visited_on <= end), 1), else_=0))
    late = func.sum(case(((Visit.follow_up_due < today) & Visit.follow_up_done_at.is_(None), 1), else_=0))
    rows = db.session.execute(
        select(Staff.display_name, done, late).join(Visit, Visit.staff_id == Staff.id)
        .join(Household, Household.id == Visit.household_id).where(mine)
        .group_by(Staff.id, Staff.display_name).order_by(Staff.display_name))
    return tuple(WorkerLine(name, int(visits or 0), int(overdue or 0)) for name, visits, overdue in rows
                 if visits or overdue)


def _asked(mine, tags: tuple[Tag, ...], start: date, end: date) -> tuple[tuple[str, str, int], ...]:
    """Requests received in the period that belong to a household with a tag (not sensitive), by service.
    A request belongs to a household as its file has it (``archive.linked_tickets``): one of its members'
    mobile or ID number, unless staff unlinked it, or linked by hand; the tag is any present member's."""
    plain = [t for t in tags if not t.sensitive]
    if not plain:
        return ()
    first, last = workdays.local_midnight(start), workdays.local_midnight(end + timedelta(days=1))
    names = {t.id: t.name for t in plain}
    holder = aliased(Member)  # (any member: not the tagged one the query joins)
    by_member = exists().where(holder.household_id == Household.id, or_(
        holder.mobile_lookup == Ticket.mobile_lookup, holder.id_number_lookup == Ticket.id_number_lookup))
    by_hand = select(TicketLink.linked).where(TicketLink.household_id == Household.id,
                                              TicketLink.ticket_id == Ticket.id).scalar_subquery()
    belongs = or_(and_(by_member, func.coalesce(by_hand, True)), by_hand.is_(True))
    tagged = and_(Member.household_id == Household.id, Member.moved_out.is_(None))
    count = func.count(func.distinct(Ticket.id))
    rows = db.session.execute(
        select(MemberTag.tag_id, Service.name_zh, Service.name_en, count)
        .select_from(Ticket).join(Household, belongs).join(Member, tagged)
        .join(MemberTag, MemberTag.member_id == Member.id).join(Service, Service.id == Ticket.service_id)
        .where(mine, Household.active.is_(True), MemberTag.tag_id.in_(list(names)), Ticket.created_at >= first,
               Ticket.created_at < last)
        .group_by(MemberTag.tag_id, Service.id, Service.name_zh, Service.name_en)
        .order_by(MemberTag.tag_id, count.desc()))
    return tuple((names[tag_id], in_reader_language(zh, en), n) for tag_id, zh, en, n in rows)
