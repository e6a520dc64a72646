"""The district's org tree in the browser: streets (街道) → communities (社区) → grids (网格), buildings
(楼栋) and the grid ladder.

- A district admin keeps the tree: streets, communities (their code is their tickets' prefix), grids,
  and the ladder's rungs; and every community's buildings.
- A community admin keeps their community's buildings (units, the grid each belongs to) and the posts
  of their grids.
Nothing with history is deleted: an area, grid or building is retired (off the pickers and the
resident's form; tickets keep it) and can be restored.  A new community offers the whole catalogue.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (Area, AreaLevel, Building, CommunityService, Grid, GridLevel, Household, Role, Service,
                       Staff, StaffGrid, Tag)
from .. import cache
from ..errors import Forbidden, InvalidInput, NotFound
from ..scope import community_ids_select, works_in
from ..uow import use_case
from ..validation import record_id
from .audit import AuditAction, record, retire_or_restore, snapshot
from .catalogue import CODE as LOWER_CODE
from .catalogue import CODE_RULE as LOWER_CODE_RULE
from .paging import Page, contains, paginate

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
NAMES = ("name_zh", "name_en")


def require_district_admin(actor: Staff) -> None:
    if actor.role != Role.DISTRICT_ADMIN:
        raise Forbidden(_l("Only district admins change the org tree."))


def require_admin(actor: Staff) -> None:
    if not actor.role.is_admin:
        raise Forbidden(_l("Your role may not use this page."))


def _names(form: dict, errors: dict) -> dict:
    zh, en = (form.get("name_zh") or "").strip(), (form.get("name_en") or "").strip()
    if not zh:
        errors["name_zh"] = str(_l("Please give the name in Chinese."))
    for name, value in (("name_zh", zh), ("name_en", en)):
        if len(value) > 100:
            errors[name] = str(_l("Please keep the name to %(max)d characters.", max=100))
    return {"name_zh": zh, "name_en": en}


def checked_code(form: dict, errors: dict, taken) -> str:
    """An area's, grid's or building's code from a form (upper-cased), with what is wrong in ``errors``."""
    code = (form.get("code") or "").strip().upper()
    if not CODE.match(code):
        errors["code"] = str(_l("A code of 1 to 16 capital letters, digits or dashes."))
    elif taken(code):
        errors["code"] = str(_l("This code is taken."))
    return code


# ---------------------------------------------------------------- reading

def tree(actor: Staff, *, q: str = "") -> list[tuple[Area, list[Area]]]:
    """The actor's streets, each with its communities (retired ones too, marked); with ``q``, the
    streets and communities whose code or name contains it."""
    require_admin(actor)
    communities = list(db.session.scalars(select(Area).where(Area.id.in_(community_ids_select(actor)))
                                          .order_by(Area.code)))
    street_ids = {c.parent_id for c in communities}
    if actor.role == Role.DISTRICT_ADMIN:
        streets = list(db.session.scalars(select(Area).where(Area.parent_id == actor.area_id,
                                                             Area.level == AreaLevel.STREET).order_by(Area.code)))
    else:
        streets = list(db.session.scalars(select(Area).where(Area.id.in_(street_ids)).order_by(Area.code)))
    found = [(s, [c for c in communities if c.parent_id == s.id]) for s in streets]
    wanted = (q or "").strip().lower()
    if not wanted:
        return found

    def matches(area: Area) -> bool:
        return any(wanted in (text or "").lower() for text in (area.code, area.name_zh, area.name_en))

    found = [(s, cs if matches(s) else [c for c in cs if matches(c)]) for s, cs in found]
    return [(s, cs) for s, cs in found if cs or matches(s)]


def get_area(actor: Staff, area_id) -> Area:
    """A street or community of the actor's (a community admin: their community only)."""
    require_admin(actor)
    area = db.session.get(Area, record_id(area_id) or 0)
    if area is None or area.level == AreaLevel.DISTRICT:
        raise NotFound(_l("No such area."))
    if area.level == AreaLevel.STREET and (actor.role != Role.DISTRICT_ADMIN or area.parent_id != actor.area_id):
        raise NotFound(_l("No such area."))
    if area.level == AreaLevel.COMMUNITY and not works_in(actor, area):
        raise NotFound(_l("No such area."))
    return area


def grids_of(community: Area) -> list[Grid]:
    return list(db.session.scalars(select(Grid).where(Grid.community_id == community.id).order_by(Grid.code)))


def buildings_of(community: Area, *, q: str = "", page=1) -> Page[Building]:
    """A community's buildings in their order, searched by code or name, 50 to a page."""
    stmt = (select(Building).where(Building.community_id == community.id).options(selectinload(Building.grid))
            .order_by(Building.position, Building.id))
    if pattern := contains(q):
        stmt = stmt.where(or_(Building.code.ilike(pattern, escape="\\"), Building.name_zh.ilike(pattern, escape="\\"),
                              Building.name_en.ilike(pattern, escape="\\")))
    return paginate(stmt, page)


def get_grid(actor: Staff, grid_id) -> Grid:
    grid = db.session.get(Grid, record_id(grid_id) or 0)
    if grid is None:
        raise NotFound(_l("We could not find this grid."))
    get_area(actor, grid.community_id)
    return grid


def get_building(actor: Staff, building_id) -> Building:
    building = db.session.get(Building, record_id(building_id) or 0)
    if building is None:
        raise NotFound(_l("No such building."))
    get_area(actor, building.community_id)
    return building


# ---------------------------------------------------------------- streets and communities

@use_case
def save_area(actor: Staff, area_id, form: dict, *, parent_id=None) -> Area:
    """A new street (under the district), a new community (under a street), or new names for one."""
    require_district_admin(actor)
    errors: dict = {}
    area = get_area(actor, area_id) if area_id else None
    names = _names(form, errors)
    if area is None:
        parent = db.session.get(Area, record_id(parent_id) or 0) if parent_id else db.session.get(Area, actor.area_id)
        if parent is None or not (parent.id == actor.area_id or (parent.level == AreaLevel.STREET
                                                                 and parent.parent_id == actor.area_id)):
            raise NotFound(_l("No such area."))
        code = checked_code(form, errors, lambda c: db.session.scalar(select(Area.id).filter_by(code=c)) is not None)
        if errors:
            raise InvalidInput(errors)
        level = AreaLevel.STREET if parent.level == AreaLevel.DISTRICT else AreaLevel.COMMUNITY
        area = Area(level=level, code=code, parent_id=parent.id, **names)
        db.session.add(area)
        db.session.flush()
        if level == AreaLevel.COMMUNITY:  # a new community offers the whole catalogue, until told otherwise
            db.session.add_all(CommunityService(community_id=area.id, service_id=s, note_zh="", note_en="")
                               for s in db.session.scalars(select(Service.id).where(Service.active.is_(True))))
        record(actor, AuditAction.CREATE, "area", area.id, name=area.code, area_id=area.id,
               after=snapshot(area, ("level", "code", "parent_id", *NAMES)))
    else:
        if errors:
            raise InvalidInput(errors)
        before = snapshot(area, NAMES)
        area.name_zh, area.name_en = names["name_zh"], names["name_en"]
        record(actor, AuditAction.UPDATE, "area", area.id, name=area.code, area_id=area.id, before=before,
               after=snapshot(area, NAMES))
    cache.changed()
    return area


@use_case
def set_area_active(actor: Staff, area_id, active: bool) -> Area:
    require_district_admin(actor)
    area = get_area(actor, area_id)
    return retire_or_restore(actor, area, "area", active, area_id=area.id)


# ---------------------------------------------------------------- grids

@use_case
def save_grid(actor: Staff, community_id, grid_id, form: dict) -> Grid:
    require_district_admin(actor)
    errors: dict = {}
    names = _names(form, errors)
    if grid_id:
        grid = get_grid(actor, grid_id)
        if errors:
            raise InvalidInput(errors)
        before = snapshot(grid, NAMES)
        grid.name_zh, grid.name_en = names["name_zh"], names["name_en"]
        record(actor, AuditAction.UPDATE, "grid", grid.id, name=grid.code, area_id=grid.community_id, before=before,
               after=snapshot(grid, NAMES))
    else:
        community = get_area(actor, community_id)
        code = checked_code(form, errors, lambda c: db.session.scalar(
            select(Grid.id).filter_by(community_id=community.id, code=c)) is not None)
        if community.level != AreaLevel.COMMUNITY:
            raise NotFound(_l("No such area."))
        if errors:
            raise InvalidInput(errors)
        grid = Grid(community_id=community.id, code=code, **names)
        db.session.add(grid)
        db.session.flush()
        record(actor, AuditAction.CREATE, "grid", grid.id, name=grid.code, area_id=community.id,
               after=snapshot(grid, ("code", *NAMES)))
    cache.changed()
    return grid


@use_case
def set_grid_active(actor: Staff, grid_id, active: bool) -> Grid:
    require_district_admin(actor)
    grid = get_grid(actor, grid_id)
    if not active and db.session.scalar(select(Building.id).where(Building.grid_id == grid.id,
                                                                  Building.active.is_(True)).limit(1)):
        raise InvalidInput({"grid": str(_l("Move or retire this grid's buildings first: every building belongs "
                                           "to a grid."))})
    return retire_or_restore(actor, grid, "grid", active, area_id=grid.community_id)


def posts_of(grid: Grid) -> list[StaffGrid]:
    return list(db.session.scalars(select(StaffGrid).where(StaffGrid.grid_id == grid.id)
                                   .join(GridLevel).order_by(GridLevel.rank)))


def post_candidates(grid: Grid) -> list[Staff]:
    """Accounts of the grid's community that may hold one of its posts."""
    return list(db.session.scalars(select(Staff).where(Staff.area_id == grid.community_id, Staff.active.is_(True))
                                   .order_by(Staff.username)))


# ---------------------------------------------------------------- buildings

@use_case
def save_building(actor: Staff, community_id, building_id, form: dict) -> Building:
    """A community's building (楼栋): names, the grid it belongs to, its units and its place in lists."""
    require_admin(actor)
    errors: dict = {}
    building = get_building(actor, building_id) if building_id else None
    community = get_area(actor, building.community_id if building else community_id)
    if community.level != AreaLevel.COMMUNITY:
        raise NotFound(_l("No such area."))
    names = _names(form, errors)
    grid = db.session.get(Grid, record_id(form.get("grid_id")) or 0)
    if grid is None or grid.community_id != community.id or not grid.active:
        errors["grid_id"] = str(_l("Choose a grid of this community."))
    units = record_id(form.get("units"))
    if units is None or units > 99:
        errors["units"] = str(_l("A number of units from 1 to 99."))
    position = record_id(form.get("position")) or 0
    if building is None:
        code = checked_code(form, errors, lambda c: db.session.scalar(
            select(Building.id).filter_by(community_id=community.id, code=c)) is not None)
    if errors:
        raise InvalidInput(errors)
    fields = ("code", "grid_id", "units", "position", *NAMES)
    before = snapshot(building, fields) if building else {}
    if building is None:
        building = Building(community_id=community.id, code=code)
        db.session.add(building)
    building.name_zh, building.name_en = names["name_zh"], names["name_en"]
    building.grid_id, building.units, building.position = grid.id, units, position
    if before and before["grid_id"] != grid.id:  # its households' files go with it (their scope is its grid)
        db.session.execute(update(Household).where(Household.building_id == building.id).values(grid_id=grid.id))
    db.session.flush()
    record(actor, AuditAction.UPDATE if before else AuditAction.CREATE, "building", building.id,
           name=f"{community.code} {building.code}", area_id=community.id, before=before,
           after=snapshot(building, fields))
    cache.changed()
    return building


@use_case
def set_building_active(actor: Staff, building_id, active: bool) -> Building:
    require_admin(actor)
    building = get_building(actor, building_id)
    return retire_or_restore(actor, building, "building", active, area_id=building.community_id)


# ---------------------------------------------------------------- the grid ladder

def ladder(actor: Staff) -> list[GridLevel]:
    require_admin(actor)
    return list(db.session.scalars(select(GridLevel).order_by(GridLevel.rank)))


@use_case
def save_level(actor: Staff, level_id, form: dict) -> GridLevel:
    """A rung of the grid ladder: its names and rank (1 is the top); a new one has a code."""
    require_district_admin(actor)
    errors: dict = {}
    level = db.session.get(GridLevel, record_id(level_id) or 0) if level_id else None
    if level_id and level is None:
        raise NotFound(_l("No such post."))
    names = _names(form, errors)
    rank = record_id(form.get("rank"))
    if rank is None or rank > 99:
        errors["rank"] = str(_l("A rank from 1 (the top) to 99."))
    if level is None:
        code = (form.get("code") or "").strip().lower()
        if not LOWER_CODE.match(code):
            errors["code"] = str(LOWER_CODE_RULE)
        elif db.session.scalar(select(GridLevel.id).filter_by(code=code)) is not None:
            errors["code"] = str(_l("This code is taken."))
    if errors:
        raise InvalidInput(errors)
    before = snapshot(level, ("name_zh", "name_en", "rank")) if level else {}
    if level is None:
        level = GridLevel(code=code)
        db.session.add(level)
    level.name_zh, level.name_en, level.rank = names["name_zh"], names["name_en"], rank
    db.session.flush()
    record(actor, AuditAction.UPDATE if before else AuditAction.CREATE, "grid_level", level.id, name=level.code,
           before=before, after=snapshot(level, ("name_zh", "name_en", "rank")))
    cache.changed()
    return level


# ---------------------------------------------------------------- the archive's tags

def tag_list(actor: Staff) -> list[Tag]:
    require_admin(actor)
    return list(db.session.scalars(select(Tag).order_by(Tag.position, Tag.id)))


@use_case
def save_tag(actor: Staff, tag_id, form: dict) -> Tag:
    """A tag of the grid's archive (独居老人, 低保 …): its names, place in the list and whether it is in use.
    Whether it is sensitive is set when it is made and kept: members carry a sensitive tag sealed and
    the others as rows, so a tag changing kind would leave every member's carrying of it behind (a
    district that wants it otherwise retires the tag and makes a new one)."""
    require_district_admin(actor)
    errors: dict = {}
    tag = db.session.get(Tag, record_id(tag_id) or 0) if tag_id else None
    if tag_id and tag is None:
        raise NotFound(_l("No such tag."))
    names = _names(form, errors)
    position = 0 if (form.get("position") or "0").strip() == "0" else record_id(form.get("position"))
    if position is None or position > 999:
        errors["position"] = str(_l("A place in the list from 0 to 999."))
    if tag is None:
        code = (form.get("code") or "").strip().lower()
        if not LOWER_CODE.match(code):
            errors["code"] = str(LOWER_CODE_RULE)
        elif db.session.scalar(select(Tag.id).filter_by(code=code)) is not None:
            errors["code"] = str(_l("This code is taken."))
    if errors:
        raise InvalidInput(errors)
    fields = ("name_zh", "name_en", "position", "active")
    before = snapshot(tag, fields) if tag else {}
    if tag is None:
        tag = Tag(code=code, sensitive=form.get("sensitive") == "1")
        db.session.add(tag)
    tag.name_zh, tag.name_en, tag.position = names["name_zh"], names["name_en"], position
    tag.active = not before or form.get("active") == "1"  # (a row's box unticked: no longer offered)
    db.session.flush()
    record(actor, AuditAction.UPDATE if before else AuditAction.CREATE, "archive_tag", tag.id, name=tag.code,
           before=before, after={**snapshot(tag, fields), **({} if before else {"sensitive": tag.sensitive})})
    return tag
