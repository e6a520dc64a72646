"""The org tree and its buildings as a spreadsheet (district admins).

One building a row, with its grid, community and street; a row may leave the building empty to set up
a street, community or grid alone.  Whatever the sheet names that does not exist yet is created (a new
one needs its name); names that differ are changed; a building's grid and units follow the sheet.
Each row goes through the org tree's own use cases (``org``), so it is checked as the pages check it
and leaves the same audit events.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import Area, AreaLevel, Building, Grid, Staff
from ..errors import InvalidInput
from . import org
from .spreadsheets import Plan, RowPlan, Sheet, as_columns

COLUMNS = ("street_code", "street_name_zh", "community_code", "community_name_zh", "grid_code", "grid_name_zh",
           "building_code", "building_name_zh", "units")


def require(actor: Staff) -> None:
    org.require_district_admin(actor)


def _known(state: dict) -> None:
    """What exists, keyed by code, loaded once a run (rows add to it as they create)."""
    if not state:
        state["areas"] = {a.code: a for a in db.session.scalars(select(Area))}
        state["grids"] = {(g.community_id, g.code): g for g in db.session.scalars(select(Grid))}
        state["buildings"] = {(b.community_id, b.code): b for b in db.session.scalars(select(Building))}
        state["seen"] = {}  # (community id, building code): the line it was first on


def _area(actor: Staff, state: dict, row_plan: RowPlan, row: dict, kind: str, level: AreaLevel,
          parent_id: int) -> Area:
    """The row's street or community (``kind``): found, renamed or created."""
    code, name = row[f"{kind}_code"].upper(), row[f"{kind}_name_zh"]
    area = state["areas"].get(code)
    if area is not None:
        if area.level != level or area.parent_id != parent_id:
            raise InvalidInput({f"{kind}_code": str(_l("%(code)s is already another kind of area, or under "
                                                       "another one.", code=code))})
        if name and name != area.name_zh:
            with as_columns({"name_zh": f"{kind}_name_zh"}):
                org.save_area(actor, area.id, {"name_zh": name, "name_en": area.name_en})
            row_plan.changes.append(str(_l("rename %(code)s to %(name)s", code=code, name=name)))
        return area
    if not name:
        raise InvalidInput({f"{kind}_code": str(_l("%(code)s does not exist yet: give its name to create it.",
                                                   code=code or "—"))})
    with as_columns({"code": f"{kind}_code", "name_zh": f"{kind}_name_zh"}):
        area = state["areas"][code] = org.save_area(actor, None, {"code": code, "name_zh": name}, parent_id=parent_id)
    row_plan.changes.append(str(_l("create %(code)s %(name)s", code=code, name=name)))
    return area


def apply_row(actor: Staff, row: dict, row_plan: RowPlan, _plan: Plan, state: dict) -> None:
    _known(state)
    street = _area(actor, state, row_plan, row, "street", AreaLevel.STREET, actor.area_id)
    community = _area(actor, state, row_plan, row, "community", AreaLevel.COMMUNITY, street.id)
    if not row["grid_code"]:
        if row["building_code"]:
            raise InvalidInput({"grid_code": str(_l("A building needs its grid."))})
        return
    grid_code, grid_name = row["grid_code"].upper(), row["grid_name_zh"]
    grid = state["grids"].get((community.id, grid_code))
    with as_columns({"code": "grid_code", "name_zh": "grid_name_zh"}):
        if grid is None:
            if not grid_name:
                raise InvalidInput({"grid_code": str(_l("Grid %(code)s is unknown in %(community)s: give its name "
                                                        "to create it.", code=grid_code, community=community.code))})
            grid = state["grids"][(community.id, grid_code)] = org.save_grid(
                actor, community.id, None, {"code": grid_code, "name_zh": grid_name})
            row_plan.changes.append(str(_l("create grid %(code)s %(name)s", code=grid_code, name=grid_name)))
        elif grid_name and grid_name != grid.name_zh:
            org.save_grid(actor, community.id, grid.id, {"name_zh": grid_name, "name_en": grid.name_en})
            row_plan.changes.append(str(_l("rename %(code)s to %(name)s", code=grid_code, name=grid_name)))
    if row["building_code"]:
        with as_columns({"code": "building_code", "name_zh": "building_name_zh", "grid_id": "grid_code"}):
            _building(actor, state, row_plan, row, community, grid)


def _building(actor: Staff, state: dict, row_plan: RowPlan, row: dict, community: Area, grid: Grid) -> None:
    code = row["building_code"].upper()
    key = (community.id, code)
    if key in state["seen"]:
        raise InvalidInput({"code": str(_l("Building %(code)s of %(community)s is also on line %(line)d.",
                                           code=code, community=community.code, line=state["seen"][key]))})
    state["seen"][key] = row_plan.line
    units = row["units"] or "1"
    building = state["buildings"].get(key)
    if building is None:
        if not row["building_name_zh"]:
            raise InvalidInput({"name_zh": str(_l("Building %(code)s is new: give its name.", code=code))})
        state["buildings"][key] = org.save_building(actor, community.id, None, {
            "code": code, "name_zh": row["building_name_zh"], "grid_id": grid.id, "units": units,
            "position": row_plan.line})
        row_plan.changes.append(str(_l("create building %(code)s %(name)s", code=code, name=row["building_name_zh"])))
        return
    wanted = {"name_zh": row["building_name_zh"] or building.name_zh, "name_en": building.name_en,
              "grid_id": grid.id, "units": units, "position": building.position}
    if (wanted["name_zh"], grid.id, units) != (building.name_zh, building.grid_id, str(building.units)):
        org.save_building(actor, None, building.id, wanted)
        row_plan.changes.append(str(_l("change building %(code)s", code=code)))


def export_rows(actor: Staff) -> list[list[str]]:
    """The district's tree as rows of the import sheet: every building, and grids without one."""
    require(actor)
    rows = []
    streets = db.session.scalars(select(Area).where(Area.parent_id == actor.area_id,
                                                    Area.level == AreaLevel.STREET).order_by(Area.code))
    for street in streets:
        for community in street.children:
            grids = {g.id: g for g in db.session.scalars(select(Grid).where(Grid.community_id == community.id)
                                                         .order_by(Grid.code))}
            used = set()
            for b in community.buildings:
                grid = grids[b.grid_id]
                used.add(grid.id)
                rows.append([street.code, street.name_zh, community.code, community.name_zh, grid.code, grid.name_zh,
                             b.code, b.name_zh, str(b.units)])
            for grid in grids.values():
                if grid.id not in used:
                    rows.append([street.code, street.name_zh, community.code, community.name_zh, grid.code,
                                 grid.name_zh, "", "", ""])
    return rows


SHEET = Sheet(
    name="org", columns=COLUMNS, title=_l("Import the org tree"),
    lead=_l("One building a row, with its grid, community and street; what does not exist yet is created, names "
            "that differ are changed."),
    require=require, apply_row=apply_row, export_rows=export_rows, entity="area")
