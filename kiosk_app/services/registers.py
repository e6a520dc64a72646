"""The building register (一楼一册) and the archive's overview: what the archive holds, building by
building, for the households an account keeps (``scope.household_filter``).

A register lists every household of a building with its room, head (masked), number of members and
tags; it can be narrowed to a tag and an age (everyone over 80 who lives alone).  Narrowing to a
sensitive tag reads the members' sealed tags, so it is for readers who may see them, and recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Building, Grid, Household, Member, Role, Room, Staff, Tag
from ..models.base import utcnow
from . import scope, workdays
from .admin.audit import AuditAction, record
from .errors import Forbidden, NotFound
from .uow import use_case
from .validation import mask_name


@dataclass(frozen=True)
class RegisterLine:
    household_id: int
    room: str
    head: str
    head_age: int | None
    members: int
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Register:
    building: Building
    lines: tuple[RegisterLine, ...]
    tag: Tag | None
    min_age: int | None


@dataclass(frozen=True)
class BuildingCount:
    building: Building
    households: int
    people: int


def overview(actor: Staff) -> list[tuple[Grid, list[BuildingCount]]]:
    """The actor's buildings grid by grid, with how many households and people each holds.  A district
    admin gets these counts for the district (the files stay closed to them)."""
    if actor.role == Role.VOLUNTEER:
        raise Forbidden(_l("Your role may not use this page."))
    if actor.role == Role.DISTRICT_ADMIN:
        places = Building.community_id.in_(scope.community_ids_select(actor))
    else:
        places = scope.household_filter(actor, on=scope.ARCHIVE_OF_BUILDING)
    buildings = list(db.session.scalars(select(Building).where(places, Building.active.is_(True))
                                        .options(selectinload(Building.grid)).order_by(Building.position)))
    counts = dict(((building_id, (households, people)) for building_id, households, people in db.session.execute(
        select(Household.building_id, func.count(func.distinct(Household.id)), func.count(Member.id))
        .join(Member, (Member.household_id == Household.id) & Member.moved_out.is_(None), isouter=True)
        .where(Household.active.is_(True), Household.building_id.in_([b.id for b in buildings]))
        .group_by(Household.building_id))))
    grids: dict[int, tuple[Grid, list[BuildingCount]]] = {}
    for building in buildings:
        households, people = counts.get(building.id, (0, 0))
        grids.setdefault(building.grid_id, (building.grid, []))[1].append(BuildingCount(building, households, people))
    return list(grids.values())


def buildings(actor: Staff) -> list[Building]:
    """The buildings whose archive the account keeps (to move a household into one)."""
    return list(db.session.scalars(select(Building).where(scope.household_filter(actor, on=scope.ARCHIVE_OF_BUILDING),
                                                          Building.active.is_(True)).order_by(Building.position)))


@use_case
def register(actor: Staff, building_id, tag_code: str | None = None, min_age=None) -> Register:
    """A building's register, narrowed to a tag and an age if asked.  (A use case: narrowing to a
    sensitive tag is recorded.)"""
    building = scope.get_archive_building(actor, building_id)
    tag = db.session.scalar(select(Tag).where(Tag.code == tag_code)) if tag_code else None
    if tag_code and tag is None:
        raise NotFound(_l("There is no such tag."))
    if tag is not None and tag.sensitive:
        if not scope.may_see_sensitive(actor, building.grid_id):
            raise Forbidden(_l("Your role may not see sensitive personal information."))
        record(actor, AuditAction.VIEW_PERSONAL_DATA, "register", building.id, name=building.name_zh,
               area_id=building.community_id, after={"tag": tag.code})
    try:
        min_age = int(min_age) if min_age not in (None, "") else None
    except ValueError:
        min_age = None
    households = db.session.scalars(
        select(Household).outerjoin(Room, Room.id == Household.room_id)
        .where(Household.building_id == building.id, Household.active.is_(True), scope.household_filter(actor))
        .options(selectinload(Household.room), selectinload(Household.members).selectinload(Member.tags))
        .order_by(Room.unit, Room.number, Household.id))
    this_year = workdays.local_date(utcnow()).year
    lines = []
    for household in households:
        present = [m for m in household.members if m.moved_out is None]
        wanted = [m for m in present if _matches(m, tag) and (
            min_age is None or (m.birth_year is not None and this_year - m.birth_year >= min_age))]
        if (tag is not None or min_age is not None) and not wanted:
            continue
        head = present[0] if present else None
        lines.append(RegisterLine(
            household.id, household.room.label if household.room else "", mask_name(head.name) if head else "",
            this_year - head.birth_year if head and head.birth_year else None, len(present),
            tuple(dict.fromkeys(t.name for m in present for t in m.tags))))
    return Register(building, tuple(lines), tag, min_age)


def _matches(member: Member, tag: Tag | None) -> bool:
    if tag is None:
        return True
    if tag.sensitive:
        return tag.code in (member.sensitive_tags or "").split(",")
    return any(t.id == tag.id for t in member.tags)
