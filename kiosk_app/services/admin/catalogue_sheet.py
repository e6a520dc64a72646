"""The service catalogue as a spreadsheet (district admins).

One item a row, with its category; a row may leave the item empty to set up a category alone.  An
item or category code that does not exist yet is created (it needs its Chinese name); an existing one
is changed where the sheet differs, and an empty cell leaves it as it is.  ``communities`` lists the
codes of the communities that offer the item (``*``: all of the district, ``-``: none; empty: a new
item is offered everywhere, an existing one as before).  Each row goes through the catalogue's own
use cases, so it is checked as the form checks it and leaves the same audit events.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import Area, CommunityService, Service, ServiceCategory, Staff
from ..errors import InvalidInput
from ..scope import community_ids_select
from . import catalogue
from .spreadsheets import Plan, RowPlan, Sheet, as_columns, yes_no

CATEGORY_COLUMNS = ("category_code", "category_name_zh", "category_name_en")
TEXTS = ("name_zh", "name_en", "summary_zh", "summary_en", "materials_zh", "materials_en", "guidance_zh",
         "guidance_en", "icon")
CHOICES = ("kind", "deadline_days", "papers_size", "position")
COLUMNS = (*CATEGORY_COLUMNS, "code", "name_zh", "name_en", "kind", "deadline_days", *catalogue.SERVICE_FLAGS,
           "papers_size", "summary_zh", "summary_en", "materials_zh", "materials_en", "guidance_zh", "guidance_en",
           "icon", "position", "active", "communities")
_SEPARATORS = re.compile(r"[\s,;，；、]+")
ALL, NONE = ("*", "all", "全部"), ("-",)


def _known(actor: Staff, state: dict) -> None:
    if not state:
        state["communities"] = {a.code: a for a in db.session.scalars(
            select(Area).where(Area.id.in_(community_ids_select(actor))))}
        state["seen"] = {}


def apply_row(actor: Staff, row: dict, row_plan: RowPlan, _plan: Plan, state: dict) -> None:
    _known(actor, state)
    category = _category(actor, row, row_plan)
    code = row["code"].lower()
    if not code:
        return
    if code in state["seen"]:
        raise InvalidInput({"code": str(_l("%(code)s is also on line %(line)d.", code=code,
                                           line=state["seen"][code]))})
    state["seen"][code] = row_plan.line
    service = db.session.scalar(select(Service).filter_by(code=code))
    form = catalogue.service_form(service)
    current = dict(form)
    form.update({name: row[name] for name in (*TEXTS, *CHOICES) if row[name]})
    form.update({name: "1" if yes_no(row[name], name, default=bool(form.get(name))) else ""
                 for name in catalogue.SERVICE_FLAGS})
    form.update(code=code, category_id=category.id)
    communities = _communities(row["communities"], state)
    with as_columns({"category_id": "category_code"}):
        if service is None:
            form["communities"] = "all" if communities is None else "none"
            service = catalogue.save_service(actor, None, form)
            row_plan.changes.append(str(_l("create item %(code)s %(name)s", code=code, name=service.name_zh)))
        elif {k: str(v) for k, v in form.items()} != {k: str(v) for k, v in current.items()}:
            catalogue.save_service(actor, service.id, form)
            row_plan.changes.append(str(_l("change item %(code)s", code=code)))
    if communities is not None:
        _offer(actor, service, communities, row_plan)
    active = yes_no(row["active"], "active", default=service.active)
    if active != service.active:
        catalogue.set_service_active(actor, service.id, active)
        row_plan.changes.append(str(_l("restore %(code)s", code=code) if active else _l("retire %(code)s", code=code)))


def _category(actor: Staff, row: dict, row_plan: RowPlan) -> ServiceCategory:
    code = row["category_code"].lower()
    category = db.session.scalar(select(ServiceCategory).filter_by(code=code)) if code else None
    names = {"name_zh": row["category_name_zh"], "name_en": row["category_name_en"]}
    with as_columns({"code": "category_code", "name_zh": "category_name_zh", "name_en": "category_name_en"}):
        if category is None:
            if not code or not names["name_zh"]:
                raise InvalidInput({"category_code": str(_l("%(code)s is not a category yet: give its name to "
                                                            "create it.", code=code or "—"))})
            category = catalogue.save_category(actor, None, {"code": code, **names, "position": str(row_plan.line)})
            row_plan.changes.append(str(_l("create category %(code)s %(name)s", code=code, name=names["name_zh"])))
        elif any(value and value != getattr(category, name) for name, value in names.items()):
            catalogue.save_category(actor, category.id, {
                "name_zh": names["name_zh"] or category.name_zh, "name_en": names["name_en"] or category.name_en,
                "icon": category.icon, "position": str(category.position)})
            row_plan.changes.append(str(_l("change category %(code)s", code=code)))
    return category


def _communities(cell: str, state: dict) -> set[int] | None:
    """The communities a cell names (None: the cell is empty)."""
    cell = cell.strip()
    if not cell:
        return None
    if cell.lower() in ALL:
        return {c.id for c in state["communities"].values()}
    if cell in NONE:
        return set()
    wanted, unknown = set(), []
    for code in _SEPARATORS.split(cell):
        community = state["communities"].get(code.upper())
        if community is None:
            unknown.append(code)
        else:
            wanted.add(community.id)
    if unknown:
        raise InvalidInput({"communities": str(_l("Not communities of the district: %(codes)s.",
                                                  codes=", ".join(unknown)))})
    return wanted


def _offer(actor: Staff, service: Service, wanted: set[int], row_plan: RowPlan) -> None:
    offered = {row.community_id: row for row in db.session.scalars(
        select(CommunityService).where(CommunityService.service_id == service.id))}
    for community_id in wanted ^ offered.keys():
        row = offered.get(community_id)
        catalogue.set_offering(actor, community_id, service.id, offered=community_id in wanted,
                               note_zh=row.note_zh if row else "", note_en=row.note_en if row else "")
        community = db.session.get(Area, community_id)
        row_plan.changes.append(str(_l("offered in %(community)s", community=community.code)
                                    if community_id in wanted
                                    else _l("no longer offered in %(community)s", community=community.code)))


def export_rows(actor: Staff) -> list[list[str]]:
    """The whole catalogue, retired items too, each with the communities that offer it."""
    catalogue.require_catalogue_admin(actor)
    view = catalogue.catalogue_view(actor)
    everywhere = {c.id for c in view.communities}
    codes = {c.id: c.code for c in view.communities}
    offered: dict[int, set[int]] = {}
    for community_id, service_id in view.offered:
        offered.setdefault(service_id, set()).add(community_id)
    rows = []
    for category in view.categories:
        services = view.services.get(category.id, [])
        head = [category.code, category.name_zh, category.name_en]
        if not services:
            rows.append(head + [""] * (len(COLUMNS) - len(head)))
        for service in services:
            form = catalogue.service_form(service)
            where = offered.get(service.id, set())
            communities = "*" if where == everywhere and where else " ".join(sorted(codes[c] for c in where)) or "-"
            form.update({name: "1" if form[name] else "0" for name in catalogue.SERVICE_FLAGS})
            rows.append(head + [str(form[name]) for name in COLUMNS[3:-2]] + ["1" if service.active else "0", communities])
    return rows


SHEET = Sheet(
    name="catalogue", columns=COLUMNS, title=_l("Import the catalogue"),
    lead=_l("One item a row, with its category. A new code is a new item (or category); an existing one is changed "
            "where the sheet differs, and an empty cell leaves it as it is. Communities: their codes, * for all, "
            "- for none."),
    require=catalogue.require_catalogue_admin, apply_row=apply_row, export_rows=export_rows, entity="service")
