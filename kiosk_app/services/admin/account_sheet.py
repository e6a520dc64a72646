"""Staff accounts as a spreadsheet: district admins (every account of the district) and community
admins (their community's staff, volunteer and grid accounts).

One account a row.  A username that does not exist yet is a new account, with a one-time password
shown once after the import; an existing one in the admin's reach is changed where the sheet differs
(an empty cell leaves it as it is).  A username out of reach is refused as taken.  ``grid_posts``
lists the account's posts as ``GRID:RUNG`` pairs (the rung by its code or its Chinese name), and is
then the account's whole set of posts; ``-`` removes them all.  Each row goes through the accounts'
own use cases, so it is checked as the form checks it and leaves the same audit events.
"""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...extensions import db
from ...models import Grid, GridLevel, Role, Staff
from ..errors import InvalidInput, NotFound
from ..workdays import LOCAL_TZ
from . import accounts
from .spreadsheets import Plan, RowPlan, Sheet, as_columns, yes_no

COLUMNS = ("username", "display_name", "role", "area_code", "grid_posts", "active")
_SEPARATORS = re.compile(r"[\s,;，；、]+")
TO_COLUMNS = {"area_id": "area_code", "grid_id": "grid_posts", "level_id": "grid_posts"}


def _known(actor: Staff, state: dict) -> None:
    if not state:
        state["areas"] = {area.code: area for area in accounts.areas_for(actor)}
        state["levels"] = {key: level for level in db.session.scalars(select(GridLevel))
                           for key in (level.code, level.name_zh)}
        state["seen"] = {}


def _role(value: str) -> str:
    """A role cell: the role's code (``community_staff``) or its name in Chinese or English."""
    for role in Role:
        names = {role.value}
        for locale in current_app.config["LANGUAGES"]:
            with force_locale(locale):
                names.add(role.label.lower())
        if value.lower() in names:
            return role.value
    raise InvalidInput({"role": str(_l("Not a role: use one of %(roles)s.", roles=", ".join(r.value for r in Role)))})


def apply_row(actor: Staff, row: dict, row_plan: RowPlan, plan: Plan, state: dict) -> None:
    _known(actor, state)
    username = row["username"]
    if not username:
        raise InvalidInput({"username": str(_l("Every row needs a username."))})
    if username.lower() in state["seen"]:
        raise InvalidInput({"username": str(_l("%(username)s is also on line %(line)d.", username=username,
                                               line=state["seen"][username.lower()]))})
    state["seen"][username.lower()] = row_plan.line
    area = state["areas"].get(row["area_code"].upper()) if row["area_code"] else None
    if row["area_code"] and area is None:
        raise InvalidInput({"area_code": str(_l("%(code)s is not an area whose accounts you manage.",
                                                code=row["area_code"]))})
    role = _role(row["role"]) if row["role"] else None
    staff = db.session.scalar(select(Staff).where(func.lower(Staff.username) == username.lower()))
    with as_columns(TO_COLUMNS):
        if staff is None:
            staff = _create(actor, row, row_plan, plan, role, area)
        else:
            _change(actor, row, row_plan, staff, role, area)
        if row["grid_posts"]:
            _posts(actor, row["grid_posts"], row_plan, staff, state)


def _create(actor: Staff, row: dict, row_plan: RowPlan, plan: Plan, role: str | None, area) -> Staff:
    missing = {column: str(_l("A new account needs this.")) for column, value in
               (("display_name", row["display_name"]), ("role", role), ("area_code", area)) if not value}
    if missing:
        raise InvalidInput(missing)
    staff, password = accounts.create_account(actor, {"username": row["username"], "display_name": row["display_name"],
                                                      "role": role, "area_id": area.id})
    plan.passwords.append((staff.username, staff.display_name, password))
    row_plan.changes.append(str(_l("create account %(username)s (%(role)s, %(area)s)", username=staff.username,
                                   role=staff.role.label, area=area.code)))
    if not yes_no(row["active"], "active", default=True):
        accounts.set_active(actor, staff.id, False)
        row_plan.changes.append(str(_l("disable %(username)s", username=staff.username)))
    return staff


def _change(actor: Staff, row: dict, row_plan: RowPlan, staff: Staff, role: str | None, area) -> None:
    try:
        accounts.get_account(actor, staff.id)
    except NotFound:
        raise InvalidInput({"username": str(_l("This username is taken."))}) from None
    current = {"display_name": staff.display_name, "role": staff.role.value, "area_id": staff.area_id}
    wanted = {"display_name": row["display_name"] or staff.display_name, "role": role or staff.role.value,
              "area_id": area.id if area else staff.area_id}
    if wanted != current:
        accounts.update_account(actor, staff.id, wanted)
        row_plan.changes.append(str(_l("change account %(username)s: %(fields)s", username=staff.username,
                                       fields=", ".join(k for k in wanted if wanted[k] != current[k]))))
    active = yes_no(row["active"], "active", default=staff.active)
    if active != staff.active:
        accounts.set_active(actor, staff.id, active)
        row_plan.changes.append(str(_l("enable %(username)s", username=staff.username) if active
                                    else _l("disable %(username)s", username=staff.username)))


def _posts(actor: Staff, cell: str, row_plan: RowPlan, staff: Staff, state: dict) -> None:
    """Make the account's posts those the cell lists (``-``: none)."""
    grids = {g.code: g for g in db.session.scalars(select(Grid).where(Grid.community_id == staff.area_id))}
    wanted = {}
    for pair in [] if cell.strip() == "-" else _SEPARATORS.split(cell.strip()):
        grid_code, _, level_name = pair.partition(":")
        grid, level = grids.get(grid_code.upper()), state["levels"].get(level_name) or state["levels"].get(
            level_name.lower())
        if grid is None or level is None:
            raise InvalidInput({"grid_posts": str(_l("%(post)s: give a grid of the account's community and a rung "
                                                     "of the ladder, as G1:worker.", post=pair))})
        wanted[grid.id] = level
    held = {post.grid_id: post.level_id for post in staff.grid_posts}
    for grid_id in held.keys() - wanted.keys():
        accounts.remove_post(actor, staff.id, grid_id)
    for grid_id, level in wanted.items():
        if held.get(grid_id) != level.id:
            accounts.set_post(actor, staff.id, grid_id, level.id)
    if held != {grid_id: level.id for grid_id, level in wanted.items()}:
        row_plan.changes.append(str(_l("posts of %(username)s: %(posts)s", username=staff.username,
                                       posts=_posts_text(staff) or "—")))


def _posts_text(staff: Staff) -> str:
    return " ".join(f"{post.grid.code}:{post.level.code}" for post in
                    sorted(staff.grid_posts, key=lambda post: (post.grid.code, post.level.rank)))


def export_rows(actor: Staff) -> list[list[str]]:
    """The accounts in the admin's reach (never a password); the last sign-in is for reading only."""
    return [[staff.username, staff.display_name, staff.role.value, staff.area.code, _posts_text(staff),
             "1" if staff.active else "0",
             staff.last_login_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if staff.last_login_at else ""]
            for staff in accounts.all_accounts(actor)]


SHEET = Sheet(
    name="accounts", columns=COLUMNS, extra_columns=("last_sign_in",), title=_l("Import accounts"),
    lead=_l("One account a row. A new username is a new account, with a one-time password shown once after the "
            "import; an existing account is changed where the sheet differs (an empty cell leaves it as it is). "
            "Grid posts are written as G1:worker G2:building-head; - removes them all."),
    require=accounts.require_account_admin, apply_row=apply_row, export_rows=export_rows, entity="staff")
