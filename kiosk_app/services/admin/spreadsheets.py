"""The org tree and its buildings as a spreadsheet (XLSX, or CSV in UTF-8 with a BOM): exported,
and imported with a dry run first.

One sheet, one building a row, with its grid, community and street; a row may leave the building
empty to set up a street, community or grid alone.  Whatever the sheet names that does not exist yet
is created; names that differ are changed.  The dry run says for every row what would happen (or why
it is refused) and writes nothing; the import writes all rows in one transaction, and only when no
row is refused.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import Area, AreaLevel, Building, CommunityService, Grid, Role, Service, Staff
from .. import cache
from ..errors import Forbidden, InvalidInput
from ..uow import use_case
from .audit import AuditAction, record
from .org import CODE

COLUMNS = ("street_code", "street_name_zh", "community_code", "community_name_zh", "grid_code", "grid_name_zh",
           "building_code", "building_name_zh", "units")
MAX_ROWS = 20_000
MAX_BYTES = 4 * 1024 * 1024


def require_district_admin(actor: Staff) -> None:
    if actor.role != Role.DISTRICT_ADMIN:
        raise Forbidden(_l("Only district admins import and export the org tree."))


# ---------------------------------------------------------------- reading a file

def read_rows(filename: str, data: bytes) -> list[dict]:
    """The rows of an uploaded sheet, as dicts of the columns (a missing cell is "")."""
    if not data:
        raise InvalidInput({"file": str(_l("Choose a file to upload."))})
    if len(data) > MAX_BYTES:
        raise InvalidInput({"file": str(_l("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)))})
    if data[:2] == b"PK":
        table = _xlsx_rows(data)
    elif (filename or "").lower().endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise InvalidInput({"file": str(_l("This is not a spreadsheet: upload an .xlsx file, or a .csv file "
                                           "saved as UTF-8."))})
    if not table:
        raise InvalidInput({"file": str(_l("The sheet is empty."))})
    header = [str(cell or "").strip().lower() for cell in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput({"file": str(_l("Columns missing from the first row: %(columns)s. Download the "
                                           "template to see them all.", columns=", ".join(missing)))})
    rows = []
    for cells in table[1:]:
        values = {name: str(cells[header.index(name)] if header.index(name) < len(cells)
                            and cells[header.index(name)] is not None else "").strip() for name in COLUMNS}
        if any(values.values()):
            rows.append(values)
    if len(rows) > MAX_ROWS:
        raise InvalidInput({"file": str(_l("At most %(max)d rows at a time.", max=MAX_ROWS))})
    return rows


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
    except Exception:  # noqa: BLE001 - any damage to the file: said plainly, nothing read
        raise InvalidInput({"file": str(_l("This file could not be read as a spreadsheet."))}) from None


def _csv_rows(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030 unless told otherwise
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput({"file": str(_l("This file could not be read as a spreadsheet."))})
    return list(csv.reader(io.StringIO(text)))


# ---------------------------------------------------------------- the plan

@dataclass
class RowPlan:
    line: int  # as the spreadsheet numbers it (the header is line 1)
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)


@dataclass
class Plan:
    rows: list[RowPlan]

    @property
    def refused(self) -> list[RowPlan]:
        return [r for r in self.rows if r.refused]

    @property
    def changes(self) -> int:
        return sum(len(r.changes) for r in self.rows)


class _Tree:
    """What exists, and what the sheet adds, keyed by code (the plan and the import share it)."""

    def __init__(self):
        areas = list(db.session.scalars(select(Area)))
        self.area_codes = {a.code: a for a in areas}
        self.grids = {(g.community_id, g.code): g for g in db.session.scalars(select(Grid))}
        self.buildings = {(b.community_id, b.code): b for b in db.session.scalars(select(Building))}


def _new(model, write: bool, **values):
    """A row the sheet adds: written (and given its id) on import, a stand-in on a dry run."""
    if not write:
        return SimpleNamespace(id=None, **values)
    row = model(**values)
    db.session.add(row)
    db.session.flush()
    return row


def _area(tree: _Tree, plan: RowPlan, code: str, name: str, level: AreaLevel, parent, write: bool):
    if not CODE.match(code):
        plan.problems.append(str(_l("%(code)s is not a code (1 to 16 capital letters, digits or dashes).",
                                    code=code or "—")))
        return None
    area = tree.area_codes.get(code)
    if area is not None:
        if area.level != level or area.parent_id != parent.id:
            plan.problems.append(str(_l("%(code)s is already another kind of area, or under another one.", code=code)))
            return None
        if name and name != area.name_zh:
            plan.changes.append(str(_l("rename %(code)s to %(name)s", code=code, name=name)))
            if write:
                area.name_zh = name
        return area
    if not name:
        plan.problems.append(str(_l("%(code)s does not exist yet: give its name to create it.", code=code)))
        return None
    plan.changes.append(str(_l("create %(code)s %(name)s", code=code, name=name)))
    area = _new(Area, write, level=level, code=code, name_zh=name[:100], name_en="", parent_id=parent.id)
    tree.area_codes[code] = area
    if write:
        if level == AreaLevel.COMMUNITY:
            db.session.add_all(CommunityService(community_id=area.id, service_id=s, note_zh="", note_en="")
                               for s in db.session.scalars(select(Service.id).where(Service.active.is_(True))))
    return area


def _plan(actor: Staff, rows: list[dict], write: bool) -> Plan:
    require_district_admin(actor)
    district = db.session.get(Area, actor.area_id)
    tree = _Tree()
    plans, seen_buildings = [], {}
    for line, row in enumerate(rows, start=2):
        plan = RowPlan(line)
        plans.append(plan)
        street = _area(tree, plan, row["street_code"].upper(), row["street_name_zh"], AreaLevel.STREET, district,
                       write)
        community = street and _area(tree, plan, row["community_code"].upper(), row["community_name_zh"],
                                     AreaLevel.COMMUNITY, street, write)
        if not community or not row["grid_code"]:
            if community and row["building_code"]:
                plan.problems.append(str(_l("A building needs its grid.")))
            continue
        community_key = community.id if community.id is not None else community.code
        grid_code = row["grid_code"].upper()
        grid = tree.grids.get((community_key, grid_code))
        if grid is None:
            if not CODE.match(grid_code) or not row["grid_name_zh"]:
                plan.problems.append(str(_l("Grid %(code)s is unknown in %(community)s: give its name to create it.",
                                            code=grid_code, community=community.code)))
                continue
            plan.changes.append(str(_l("create grid %(code)s %(name)s", code=grid_code, name=row["grid_name_zh"])))
            grid = _new(Grid, write, community_id=community.id, code=grid_code, name_zh=row["grid_name_zh"][:100],
                        name_en="")
            tree.grids[(community_key, grid_code)] = grid
        if not row["building_code"]:
            continue
        code = row["building_code"].upper()
        if not CODE.match(code):
            plan.problems.append(str(_l("%(code)s is not a code (1 to 16 capital letters, digits or dashes).",
                                        code=code)))
            continue
        if (community.code, code) in seen_buildings:
            plan.problems.append(str(_l("Building %(code)s of %(community)s is also on line %(line)d.", code=code,
                                        community=community.code, line=seen_buildings[(community.code, code)])))
            continue
        seen_buildings[(community.code, code)] = line
        units = row["units"] or "1"
        if not units.isdigit() or not 1 <= int(units) <= 99:
            plan.problems.append(str(_l("Units: a number from 1 to 99.")))
            continue
        building = tree.buildings.get((community_key, code))
        name = row["building_name_zh"]
        if building is None:
            if not name:
                plan.problems.append(str(_l("Building %(code)s is new: give its name.", code=code)))
                continue
            plan.changes.append(str(_l("create building %(code)s %(name)s", code=code, name=name)))
            tree.buildings[(community_key, code)] = _new(
                Building, write, community_id=community.id, grid_id=grid.id, code=code, name_zh=name[:100], name_en="",
                units=int(units), position=line)
        elif (name and name != building.name_zh) or building.grid_id != grid.id or building.units != int(units):
            plan.changes.append(str(_l("change building %(code)s", code=code)))
            if write:
                building.name_zh, building.units = name or building.name_zh, int(units)
                building.grid_id = grid.id
    return Plan(plans)


def dry_run(actor: Staff, rows: list[dict]) -> Plan:
    """What importing these rows would do, row by row; nothing is written."""
    return _plan(actor, rows, write=False)


@use_case
def import_org(actor: Staff, rows: list[dict]) -> Plan:
    """Import every row in one transaction, or none: refused rows make it raise ``InvalidInput`` (and the
    unit of work takes back what the rows before them wrote)."""
    done = _plan(actor, rows, write=True)
    if done.refused:
        raise InvalidInput({"file": str(_l("%(count)d rows are refused; nothing was imported.",
                                           count=len(done.refused)))})
    record(actor, AuditAction.IMPORT, "area", actor.area_id, name="org tree", area_id=actor.area_id,
           after={"rows": len(rows), "changes": done.changes})
    cache.changed()
    return done


# ---------------------------------------------------------------- export and template

def export_rows(actor: Staff) -> list[list[str]]:
    """The district's tree as rows of the import sheet: every building, and grids without one."""
    require_district_admin(actor)
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


def as_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "org"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
