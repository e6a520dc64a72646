"""Who sees which tickets.  Every query and action on tickets for staff goes through here.

Out of scope and non-existent look the same from outside (``NotFound``), so an id from another
community reveals nothing.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Area, AreaLevel, Building, Grid, Household, Role, Service, Staff, StaffBuilding, StaffGrid, Ticket
from .errors import Forbidden, NotFound


def community_ids_select(actor: Staff):
    """A SELECT of the ids of the communities an account works in."""
    if actor.role == Role.DISTRICT_ADMIN:
        street = aliased(Area)
        return (
            select(Area.id)
            .join(street, Area.parent_id == street.id)
            .where(Area.level == AreaLevel.COMMUNITY, street.parent_id == actor.area_id)
        )
    return select(Area.id).where(Area.id == actor.area_id, Area.level == AreaLevel.COMMUNITY)


def works_in(actor: Staff, community: Area) -> bool:
    """Whether ``community`` is one the account works in, as ``community_ids_select`` has it, from the
    rows the session holds (a spreadsheet's thousand rows ask it a thousand times)."""
    if community.level != AreaLevel.COMMUNITY:
        return False
    if actor.role == Role.DISTRICT_ADMIN:
        street = db.session.get(Area, community.parent_id)
        return street is not None and street.parent_id == actor.area_id
    return community.id == actor.area_id


def grid_ids_select(actor: Staff):
    """The grids whose tickets an account sees."""
    if actor.role == Role.GRID_WORKER:
        return select(StaffGrid.grid_id).where(StaffGrid.staff_id == actor.id)
    return select(Grid.id).where(Grid.community_id.in_(community_ids_select(actor)))


def grid_ids(actor: Staff) -> list[int]:
    """The ids of the grids whose tickets an account sees, read once a request."""
    return _ids(actor, "grids", grid_ids_select)


def building_ids_select(actor: Staff):
    """The buildings a grid worker holds a building post for (楼栋长), beside their grids."""
    return select(StaffBuilding.building_id).where(StaffBuilding.staff_id == actor.id)


def _ids(actor: Staff, kind: str, select_ids) -> list[int]:
    """The ids ``select_ids`` selects for ``actor``, read once a request (a handful of numbers)."""
    if not has_request_context():
        return list(db.session.scalars(select_ids(actor)))
    kept = g.setdefault("scope_ids", {})
    key = (kind, actor.id, actor.role, actor.area_id)
    if key not in kept:
        kept[key] = list(db.session.scalars(select_ids(actor)))
    return kept[key]


def ticket_filter(actor: Staff, on=Ticket) -> ColumnElement[bool]:
    """The tickets ``actor`` sees; ``on`` another entity with a ticket's community, grid and service
    columns (the kept counts, TicketCount), to select the same tickets' rows there.

    The grids or communities are named as numbers, not as a subquery: the database then knows which
    ones, and walks the queue's index in order for them (a grid worker's queue over a million tickets:
    0.05 ms instead of 190 ms, when it had to read every open ticket to find the worker's)."""
    if not actor.active:
        return false()
    if actor.role == Role.GRID_WORKER:
        return on.grid_id.in_(_ids(actor, "grids", grid_ids_select))
    in_community = on.community_id.in_(_ids(actor, "communities", community_ids_select))
    if actor.role == Role.VOLUNTEER:
        eligible = select(Service.id).where(Service.volunteer_eligible.is_(True))
        return and_(in_community, on.service_id.in_(eligible))
    return in_community


def household_filter(actor: Staff, on=Household) -> ColumnElement[bool]:
    """The households whose files (一户一档) an account opens: a grid worker those of their grids and
    buildings, community staff and admins their community's.  A district admin sees the archive's
    figures, never a file; a volunteer neither.  ``on``: anything with a household's community, grid
    and building columns (``ARCHIVE_OF_BUILDING``: the buildings whose archive the account keeps)."""
    if not actor.active or actor.role in (Role.DISTRICT_ADMIN, Role.VOLUNTEER):
        return false()
    if actor.role == Role.GRID_WORKER:  # (tickets stay a grid's: a building post opens the archive alone)
        in_grids = on.grid_id.in_(_ids(actor, "grids", grid_ids_select))
        buildings = _ids(actor, "buildings", building_ids_select)
        return or_(in_grids, on.building_id.in_(buildings)) if buildings else in_grids
    return on.community_id.in_(_ids(actor, "communities", community_ids_select))


ARCHIVE_OF_BUILDING = SimpleNamespace(community_id=Building.community_id, grid_id=Building.grid_id,
                                      building_id=Building.id)


def get_archive_building(actor: Staff, building_id) -> Building:
    """A building whose households' files the account keeps (to add a household, read its register)."""
    from .validation import record_id

    building_id = record_id(building_id)
    building = None if building_id is None else db.session.scalar(
        select(Building).where(Building.id == building_id, household_filter(actor, on=ARCHIVE_OF_BUILDING)))
    if building is None:
        raise NotFound(_l("We could not find this building."))
    return building


def get_household(actor: Staff, household_id) -> Household:
    from .validation import record_id

    household_id = record_id(household_id)
    household = None
    if household_id is not None:
        household = db.session.scalar(select(Household).where(Household.id == household_id,
                                                              household_filter(actor)))
    if household is None:
        raise NotFound(_l("We could not find this household."))
    return household


def may_see_sensitive(actor: Staff, grid_id: int | None = None) -> bool:
    """Sensitive personal information (health, 低保, minors: PIPL art. 28) is for those who serve the
    household in person: community staff and admins, and grid workers in the grids they are posted to
    (``grid_id``: the household's; none: any of theirs) — not through a building post alone."""
    if not actor.active:
        return False
    if actor.role in (Role.COMMUNITY_STAFF, Role.COMMUNITY_ADMIN):
        return True
    if actor.role != Role.GRID_WORKER:
        return False
    grids = grid_ids(actor)
    return grid_id in grids if grid_id is not None else bool(grids)


def get_ticket(actor: Staff, ticket_id) -> Ticket:
    from .validation import record_id

    ticket_id = record_id(ticket_id)
    ticket = None
    if ticket_id is not None:
        ticket = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id, ticket_filter(actor)))
    if ticket is None:
        raise NotFound(_l("We could not find this ticket."))
    return ticket


def communities(actor: Staff) -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.id.in_(community_ids_select(actor))).order_by(Area.code)))


def grids(actor: Staff) -> list[Grid]:
    from sqlalchemy.orm import selectinload

    stmt = (select(Grid).where(Grid.id.in_(grid_ids_select(actor))).options(selectinload(Grid.community))
            .order_by(Grid.community_id, Grid.code))
    return list(db.session.scalars(stmt))


def grid_choices(actor: Staff):
    """The account's grids for the back office's filters ("community · grid"), kept like reference data."""
    from .catalogue import Choice
    from .cache import kept

    return kept(("grid_choices", actor.id), lambda: tuple(
        Choice(g.id, f"{g.community.name_zh} · {g.name_zh}",
               f"{g.community.name_en or g.community.name_zh} · {g.name_en or g.name_zh}") for g in grids(actor)))


def check_grid(actor: Staff, grid_id: int) -> None:
    """A filter on a grid outside the account's scope is refused like an unknown one."""
    allowed = db.session.scalar(select(Grid.id).where(Grid.id == grid_id, Grid.id.in_(grid_ids_select(actor))))
    if allowed is None:
        raise NotFound(_l("We could not find this grid."))


TERMINAL_NOT_YOURS = _l("This terminal is not in your community.")


def require_terminal(actor: Staff, terminal) -> None:
    """Staff act at a terminal only in a community they work in; any other looks like no terminal."""
    allowed = actor.active and db.session.scalar(select(Area.id).where(
        Area.id == terminal.community_id, Area.id.in_(community_ids_select(actor))))
    if not allowed:
        raise NotFound(TERMINAL_NOT_YOURS)


def require_desk_role(actor: Staff) -> None:
    """Counter entry and figures are for staff, not for volunteers."""
    if actor.role == Role.VOLUNTEER:
        raise Forbidden(_l("Your role may not use this page."))


def counter_community(actor: Staff, wanted: int | None) -> tuple[Area, list[Area]]:
    """Counter entry (desk roles only): the community chosen (``wanted``, else the first of the
    actor's), and all the actor's communities to choose from."""
    require_desk_role(actor)
    choices = communities(actor)
    for community in choices:
        if wanted is None or community.id == wanted:
            return community, choices
    raise NotFound(_l("Choose one of your communities."))


def require_admin(actor: Staff) -> None:
    if not actor.role.is_admin:
        raise Forbidden(_l("Your role may not use this page."))


def may_see_personal_data(actor: Staff, ticket: Ticket) -> bool:
    """Names and mobiles unmasked: staff of the ticket's scope; a volunteer only once it is theirs."""
    if actor.role == Role.VOLUNTEER:
        return ticket.assignee_id == actor.id
    return True


def may_export_personal_data(actor: Staff) -> bool:
    """Bulk exports carry personal data only for admins; everyone else gets masked columns."""
    return actor.role.is_admin
