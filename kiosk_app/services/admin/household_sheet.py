"""The grid's archive as a spreadsheet (community admins): an existing Excel archive imported, with the
dry run and the per-row report every sheet has; and a building's register exported.

One member a row.  The rows of one room (building, unit, room) make one household, its first row the
head (户主); the rows after it are its members.  A room that already holds a household's file is
refused (importing the same sheet twice makes nothing twice).  Each row goes through the archive's
own steps (``archive.new_household``, ``archive.new_member``), so it is checked as the pages check it;
the import is one audit event (who, when, how many rows), not one per household.
Tags are written by code or by name, separated by 、 or commas; relation and lawful basis likewise.

The export is the register as the 楼栋长 reads it: names masked, no mobile or ID number, no sensitive
tag.  The files themselves stay in the archive.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Building, Household, Member, Role, Room, Staff
from .. import archive, scope
from ..errors import Forbidden, InvalidInput
from ..validation import mask_name
from .spreadsheets import Plan, RowPlan, Sheet

COLUMNS = ("building_code", "unit", "room", "relation", "name", "birth_date", "id_number", "mobile", "tags",
           "basis", "basis_on", "basis_detail", "moved_in")
RELATION_NAMES = {"户主": "head", "本人": "head", "配偶": "spouse", "妻子": "spouse", "丈夫": "spouse", "子女": "child",
                  "儿子": "child", "女儿": "child", "父母": "parent", "父亲": "parent", "母亲": "parent",
                  "孙辈": "grandchild", "孙子": "grandchild", "孙女": "grandchild", "兄弟姐妹": "sibling", "其他": "other"}
BASIS_NAMES = {"书面同意": "consent", "同意": "consent", "法定职责": "legal_duty"}
_SPLIT = re.compile(r"[,，、;；\s]+")


def require(actor: Staff) -> None:
    """Community admins, for their community (a district admin sees the archive's counts, not its files)."""
    if actor.role != Role.COMMUNITY_ADMIN:
        raise Forbidden(_l("Only a community's administrators import its archive."))


def _known(actor: Staff, state: dict) -> None:
    if not state:
        state["buildings"] = {b.code: b for b in db.session.scalars(select(Building).where(
            scope.household_filter(actor, on=scope.ARCHIVE_OF_BUILDING)))}
        state["tags"] = {tag.code: tag for tag in archive.tags()}
        state["tag_names"] = {tag.name_zh: tag.code for tag in state["tags"].values()}
        ids = [building.id for building in state["buildings"].values()]
        state["rooms"] = {(room.building_id, room.unit, room.number): room
                          for room in db.session.scalars(select(Room).where(Room.building_id.in_(ids)))}
        state["taken"] = {(room.building_id, room.unit, room.number) for room in db.session.scalars(
            select(Room).join(Household, Household.room_id == Room.id).where(Household.active.is_(True),
                                                                             Room.building_id.in_(ids)))}
        state["households"] = {}  # (building id, unit, room) -> the household this sheet made, or None if refused


def apply_row(actor: Staff, row: dict, row_plan: RowPlan, _plan: Plan, state: dict) -> None:
    _known(actor, state)
    building = state["buildings"].get(row["building_code"].upper())
    if building is None:
        raise InvalidInput({"building_code": str(_l("No building %(code)s in your community.",
                                                    code=row["building_code"] or "—"))})
    unit = row["unit"] or "1"
    place = (building.id, int(unit) if unit.isascii() and unit.isdigit() else unit, row["room"])
    relation = RELATION_NAMES.get(row["relation"], row["relation"].lower() or "head")
    form = {"unit": unit, "room": row["room"], "relation": relation, "name": row["name"],
            "birth_date": row["birth_date"], "id_number": row["id_number"], "mobile": row["mobile"],
            "tags": [state["tag_names"].get(name, name.lower()) for name in _SPLIT.split(row["tags"]) if name],
            "basis": BASIS_NAMES.get(row["basis"], row["basis"].lower()), "basis_on": row["basis_on"],
            "basis_detail": row["basis_detail"], "moved_in": row["moved_in"]}
    if place not in state["households"]:
        if relation != "head":
            raise InvalidInput({"relation": str(_l("A room's first row is the head of its household (户主)."))})
        if place in state["taken"]:
            state["households"][place] = None
            raise InvalidInput({"room": str(_l("This room already has a household's file."))})
        state["households"][place] = None
        household = archive.new_household(actor, building, form, state["tags"], rooms=state["rooms"], audit=False)
        state["households"][place] = household
        row_plan.changes.append(str(_l("new household in %(place)s, head %(name)s", place=f"{building.name_zh} "
                                       f"{household.room.label}", name=mask_name(household.members[0].name))))
        return
    household = state["households"][place]
    if household is None:
        raise InvalidInput({"room": str(_l("The first row of this room was refused."))})
    if relation == "head":
        raise InvalidInput({"relation": str(_l("This room's household has its head already."))})
    member = archive.new_member(actor, household, form, state["tags"], audit=False)
    row_plan.changes.append(str(_l("member %(name)s", name=mask_name(member.name))))


def export_rows(actor: Staff) -> list[list[str]]:
    require(actor)
    rows = []
    for household in db.session.scalars(
            select(Household).where(Household.active.is_(True), scope.household_filter(actor))
            .options(selectinload(Household.building), selectinload(Household.room),
                     selectinload(Household.members).selectinload(Member.tags))
            .order_by(Household.building_id, Household.id)):
        for member in household.members:
            if member.moved_out is not None:
                continue
            rows.append([household.building.code, str(household.room.unit) if household.room else "",
                         household.room.number if household.room else "", member.relation, mask_name(member.name),
                         str(member.birth_year or ""), "", "", "、".join(t.name_zh for t in member.tags),
                         household.basis.value if household.basis else "", "", "", ""])
    return rows


SHEET = Sheet(
    name="households", columns=COLUMNS, title=_l("Import the archive's households"),
    lead=_l("One member a row; the rows of one room make a household, its first row the head (户主). A room that "
            "already has a household's file is refused. The export is the register: names masked, no numbers."),
    require=require, apply_row=apply_row, export_rows=export_rows, entity="household")
