"""The grid's plan (一院一图): its buildings where the admin placed them, each coloured by what the
grid worker chooses to see — open tickets, overdue tickets, households with a tag, visits due — and
each one opening its register.  Rendered on the server as SVG; an admin drags a building to its place
(static/js/plan.js; without script, the numbers are typed in).

Coordinates are 0–1000 across and down.  A building not placed yet stands in a row along the bottom.
The plan shows counts, not people: a district admin sees it too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Building, Grid, Household, Member, MemberTag, Role, SitePlan, Staff, Tag, Ticket, Visit
from ..models.base import utcnow
from ..models.ticket import IS_OPEN
from . import scope, workdays
from .admin.audit import AuditAction, record
from .errors import Forbidden, InvalidInput, NotFound
from .uow import use_case

SIZE = 1000
DEFAULT_TAG = "lives_alone"  # the round's default (services/rounds.py)
UNPLACED_Y = 920  # the row along the bottom for buildings not placed yet


class Layer(enum.StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    TAG = "tag"
    VISITS = "visits"

    @property
    def label(self) -> str:
        return str(LAYER_LABELS[self])


LAYER_LABELS = {Layer.OPEN: _l("Open requests"), Layer.OVERDUE: _l("Overdue requests"),
                Layer.TAG: _l("Households with the tag"), Layer.VISITS: _l("Visits due")}


@dataclass(frozen=True)
class PlanBuilding:
    building: Building
    x: int
    y: int
    count: int

    @property
    def heat(self) -> str:
        """The building's colour class: none, some (1–2), many (3 or more)."""
        return "none" if self.count == 0 else "some" if self.count < 3 else "many"


@dataclass(frozen=True)
class Plan:
    grid: Grid
    layer: Layer
    tag: Tag | None
    buildings: tuple[PlanBuilding, ...]
    may_place: bool
    site_plan: tuple[int, int, int] | None = None  # its width, height and version (services/site_plans.py)


def grid_of(actor: Staff, grid_id) -> Grid:
    """A grid whose plan the account sees: its own grids (a grid worker) or its communities' grids."""
    from .validation import record_id

    grid = db.session.get(Grid, record_id(grid_id) or 0)
    if grid is None or not actor.active or actor.role == Role.VOLUNTEER or grid.id not in scope.grid_ids(actor):
        raise NotFound(_l("We could not find this grid."))
    return grid


@use_case
def plan(actor: Staff, grid_id, layer: str | None = None, tag_code: str | None = None, days: int = 30, *,
         recorded: bool = True) -> Plan:
    """The grid's plan as ``actor`` may see it, coloured by ``layer`` (with ``tag`` and ``days`` for the
    households' layers).  (A use case: a plan coloured by a sensitive tag is recorded, unless the caller
    records its own view, as the round does.)"""
    grid = grid_of(actor, grid_id)
    layer = Layer(layer) if layer in set(Layer) else Layer.VISITS
    tag = None
    if layer in (Layer.TAG, Layer.VISITS):  # (visits due: follow-ups, and the tag's households not visited)
        tag = db.session.scalar(select(Tag).where(Tag.code == (tag_code or DEFAULT_TAG), Tag.active.is_(True)))
        if tag is None or (tag.sensitive and not scope.may_see_sensitive(actor, grid.id)):
            tag = db.session.scalar(select(Tag).where(Tag.code == DEFAULT_TAG))
    if recorded and tag is not None and tag.sensitive and layer in (Layer.TAG, Layer.VISITS):
        record(actor, AuditAction.VIEW_PERSONAL_DATA, "grid_plan", grid.id, name=grid.name_zh,
               area_id=grid.community_id, after={"tag": tag.code})
    buildings = list(db.session.scalars(select(Building).where(Building.grid_id == grid.id, Building.active.is_(True))
                                        .order_by(Building.position, Building.id)))
    counts = _counts(grid, layer, tag, days)
    unplaced = [b for b in buildings if b.plan_x is None or b.plan_y is None]
    step = SIZE // (len(unplaced) + 1)
    row = {building.id: (step * n, UNPLACED_Y) for n, building in enumerate(unplaced, start=1)}
    shown = [PlanBuilding(building, *row.get(building.id, (building.plan_x, building.plan_y)),
                          counts.get(building.id, 0)) for building in buildings]
    site = db.session.execute(select(SitePlan.width, SitePlan.height, SitePlan.uploaded_at)
                              .where(SitePlan.grid_id == grid.id)).first()
    return Plan(grid, layer, tag, tuple(shown), actor.role.is_admin,
                (site.width, site.height, int(site.uploaded_at.timestamp())) if site else None)


def _counts(grid: Grid, layer: Layer, tag: Tag | None, days: int) -> dict[int, int]:
    today = workdays.local_date(utcnow())
    if layer in (Layer.OPEN, Layer.OVERDUE):
        query = select(Ticket.building_id, func.count()).where(Ticket.grid_id == grid.id, IS_OPEN)
        if layer == Layer.OVERDUE:
            query = query.where(Ticket.due_date < today)
        return dict(db.session.execute(query.group_by(Ticket.building_id)).all())
    in_grid = (Household.grid_id == grid.id, Household.active.is_(True))
    due = exists().where(Visit.household_id == Household.id, Visit.follow_up_done_at.is_(None),
                         Visit.follow_up_due <= today)
    recent = exists().where(Visit.household_id == Household.id, Visit.visited_on >= today - timedelta(days=days))
    if tag is None:
        return dict(db.session.execute(select(Household.building_id, func.count()).where(*in_grid, due)
                                       .group_by(Household.building_id)).all()) if layer == Layer.VISITS else {}
    if not tag.sensitive:
        tagged = exists().where(Member.household_id == Household.id, Member.moved_out.is_(None),
                                MemberTag.member_id == Member.id, MemberTag.tag_id == tag.id)
        wanted = tagged if layer == Layer.TAG else due | (tagged & ~recent)
        return dict(db.session.execute(select(Household.building_id, func.count()).where(*in_grid, wanted)
                                       .group_by(Household.building_id)).all())
    found: dict[int, int] = {}  # a sealed tag: opened here, household by household (a grid's few hundred)
    for household, is_due, is_recent in db.session.execute(
            select(Household, due.label("due"), recent.label("recent")).where(*in_grid)
            .options(selectinload(Household.members))):
        tagged = any(tag.code in (m.sensitive_tags or "").split(",") for m in household.members if m.moved_out is None)
        if (tagged if layer == Layer.TAG else is_due or (tagged and not is_recent)):
            found[household.building_id] = found.get(household.building_id, 0) + 1
    return found


@use_case
def place(actor: Staff, building_id, x, y) -> Building:
    """An admin sets where a building stands on its grid's plan."""
    if not actor.role.is_admin:
        raise Forbidden(_l("Your role may not use this page."))
    from .validation import record_id

    building = db.session.get(Building, record_id(building_id) or 0)
    if building is None or building.grid_id not in scope.grid_ids(actor):
        raise NotFound(_l("We could not find this building."))
    try:
        x, y = int(float(x)), int(float(y))
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput({"x": _l("A place on the plan is two numbers from 0 to 1000.")}) from None
    if not (0 <= x <= SIZE and 0 <= y <= SIZE):
        raise InvalidInput({"x": _l("A place on the plan is two numbers from 0 to 1000.")})
    before = {"x": building.plan_x, "y": building.plan_y}
    building.plan_x, building.plan_y = x, y
    record(actor, AuditAction.UPDATE, "building", building.id, name=building.name_zh, area_id=building.community_id,
           before=before, after={"x": x, "y": y})
    return building
