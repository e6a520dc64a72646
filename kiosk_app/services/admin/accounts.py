"""Staff accounts in the browser: create, change, reset, unlock, disable and enable, grid posts.

Who manages whom:
- a district admin: every account of the district (its own area and its communities), any role;
- a community admin: the community staff, volunteer and grid accounts of their community.
Anyone else may not (``Forbidden``); an account out of the actor's reach is ``NotFound``.

An account is never deleted: one that acted is part of the tickets' history.  Disabling it signs it
out everywhere at once (the session version changes) and stops sign-in.  A new account and a reset
get a one-time password, shown once to the admin; the account must choose its own at first sign-in.
"""

from __future__ import annotations

import re
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from ...extensions import db
from ...models import Area, AreaLevel, Grid, GridLevel, Role, Staff, StaffGrid
from .. import cache, sessions, throttle
from ..accounts import LOCK_SECONDS, MAX_FAILURES, _key
from ..errors import DomainError, Forbidden, InvalidInput, NotFound
from ..scope import community_ids_select
from ..uow import use_case
from ..validation import record_id
from .audit import AuditAction, record, snapshot
from .paging import Page, contains, paginate

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
NAME_MAX = 100
FIELDS = ("username", "display_name", "role", "area_id")
AUDITED = ("username", "display_name", "role", "area_id", "active")
COMMUNITY_ROLES = (Role.COMMUNITY_STAFF, Role.VOLUNTEER, Role.GRID_WORKER)
# One-time passwords: no 0/O, 1/l/I; three groups of four are easy to read out and type.
_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

NOT_FOUND = _l("We could not find this account.")


def require_account_admin(actor: Staff) -> None:
    if not actor.role.is_admin:
        raise Forbidden(_l("Your role may not use this page."))


def roles_for(actor: Staff) -> tuple[Role, ...]:
    """The roles an admin may give."""
    if actor.role == Role.DISTRICT_ADMIN:
        return (Role.COMMUNITY_STAFF, Role.VOLUNTEER, Role.GRID_WORKER, Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN)
    return COMMUNITY_ROLES if actor.role == Role.COMMUNITY_ADMIN else ()


def areas_for(actor: Staff) -> list[Area]:
    """The areas an admin may give an account: their communities (and, for a district admin, the district)."""
    communities = list(db.session.scalars(select(Area).where(Area.id.in_(community_ids_select(actor)))
                                          .order_by(Area.code)))
    if actor.role == Role.DISTRICT_ADMIN:
        return [db.session.get(Area, actor.area_id), *communities]
    return communities


def _in_reach(actor: Staff):
    """The condition on ``Staff`` for the accounts an admin manages."""
    if actor.role == Role.DISTRICT_ADMIN:
        return or_(Staff.area_id == actor.area_id, Staff.area_id.in_(community_ids_select(actor)))
    return (Staff.area_id == actor.area_id) & Staff.role.in_(COMMUNITY_ROLES)


def all_accounts(actor: Staff) -> list[Staff]:
    """Every account in the actor's reach, with its area and posts (the spreadsheet export)."""
    require_account_admin(actor)
    return list(db.session.scalars(select(Staff).where(_in_reach(actor)).order_by(Staff.username).options(
        selectinload(Staff.area), selectinload(Staff.grid_posts).selectinload(StaffGrid.grid),
        selectinload(Staff.grid_posts).selectinload(StaffGrid.level))))


def list_accounts(actor: Staff, *, q: str = "", page=1, order: str = "name") -> Page[Staff]:
    """Accounts in the actor's reach, searched by username or name, 50 to a page; ``order`` "recent"
    lists the latest sign-ins first."""
    require_account_admin(actor)
    stmt = select(Staff).where(_in_reach(actor)).options(selectinload(Staff.area))
    pattern = contains(q)
    if pattern:
        stmt = stmt.where(or_(Staff.username.ilike(pattern, escape="\\"),
                              Staff.display_name.ilike(pattern, escape="\\")))
    if order == "recent":
        stmt = stmt.order_by(Staff.last_login_at.is_(None), Staff.last_login_at.desc(), Staff.username)
    else:
        stmt = stmt.order_by(Staff.username)
    return paginate(stmt, page)


def get_account(actor: Staff, staff_id) -> Staff:
    require_account_admin(actor)
    wanted = record_id(staff_id)
    staff = db.session.scalar(select(Staff).where(Staff.id == wanted, _in_reach(actor))) if wanted else None
    if staff is None:
        raise NotFound(NOT_FOUND)
    return staff


def is_locked(staff: Staff) -> bool:
    """Whether wrong passwords have locked the account for now."""
    return bool(locked_usernames([staff]))


def locked_usernames(accounts: list[Staff]) -> set[str]:
    """Which of these accounts wrong passwords have locked for now (one query for a whole page)."""
    keys = {_key(staff.username): staff.username for staff in accounts}
    return {keys[key] for key in throttle.open_windows(list(keys), LOCK_SECONDS, after=MAX_FAILURES)}


# ---------------------------------------------------------------- checking a form

def field_message(actor: Staff, field: str, value, *, account: Staff | None = None) -> str | None:
    """What is wrong with one field of the account form, or None (the form's checks as it is filled)."""
    value = (value or "").strip() if isinstance(value, str) else value
    if field == "username":
        if account is not None:
            return None  # a username never changes: it is how history names the account
        if not USERNAME.match(value or ""):
            return str(_l("3 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit."))
        taken = db.session.scalar(select(Staff.id).where(func.lower(Staff.username) == value.lower()))
        if taken is not None:
            return str(_l("This username is taken."))
    elif field == "display_name":
        if not value:
            return str(_l("Please enter the name shown to colleagues."))
        if len(value) > NAME_MAX:
            return str(_l("Please keep the name to %(max)d characters.", max=NAME_MAX))
    elif field == "role":
        if value not in [r.value for r in roles_for(actor)]:
            return str(_l("Choose one of the roles offered."))
    elif field == "area_id":
        if record_id(value) not in [a.id for a in areas_for(actor)]:
            return str(_l("Choose one of the areas offered."))
    return None


def _checked(actor: Staff, form: dict, account: Staff | None = None) -> dict:
    errors = {}
    for field in FIELDS:
        message = field_message(actor, field, form.get(field, ""), account=account)
        if message:
            errors[field] = message
    if not errors:
        role, area = Role(form["role"]), db.session.get(Area, record_id(form["area_id"]))
        if (role == Role.DISTRICT_ADMIN) != (area.level == AreaLevel.DISTRICT):
            errors["area_id"] = str(_l("A district admin belongs to the district; every other role to a community."))
    if errors:
        raise InvalidInput(errors)
    return {"display_name": form["display_name"].strip(), "role": Role(form["role"]),
            "area_id": record_id(form["area_id"])}


def one_time_password() -> tuple[str, str]:
    """A one-time password and its hash.  Twelve random characters (about 70 bits) cannot be guessed
    whatever the hash costs, so it is a cheap one: a spreadsheet of 300 new accounts is hashed in
    well under a second, not half a minute.  The password the account then chooses gets the full cost."""
    password = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
    return password, generate_password_hash(password, method="scrypt:1024:8:1")


# ---------------------------------------------------------------- changes

@use_case
def create_account(actor: Staff, form: dict) -> tuple[Staff, str]:
    """A new account with a one-time password (returned, to be shown once)."""
    require_account_admin(actor)
    values = _checked(actor, form)
    password, password_hash = one_time_password()
    staff = Staff(username=form["username"].strip(), password_hash=password_hash,
                  must_change_password=True, **values)
    db.session.add(staff)
    db.session.flush()
    record(actor, AuditAction.CREATE, "staff", staff.id, name=staff.username, area_id=staff.area_id,
           after=snapshot(staff, AUDITED))
    cache.changed()
    return staff, password


def _guard_self(actor: Staff, staff: Staff, message) -> None:
    if staff.id == actor.id:
        raise DomainError(message)


def _keeps_a_district_admin(staff: Staff) -> None:
    """The district is never left without an active district admin (nobody could then fix it)."""
    others = db.session.scalar(select(func.count()).select_from(Staff).where(
        Staff.role == Role.DISTRICT_ADMIN, Staff.active.is_(True), Staff.id != staff.id))
    if staff.role == Role.DISTRICT_ADMIN and not others:
        raise DomainError(_l("This is the last active district admin: make another one first."))


@use_case
def update_account(actor: Staff, staff_id, form: dict) -> Staff:
    staff = get_account(actor, staff_id)
    values = _checked(actor, form, account=staff)
    if staff.id == actor.id and (values["role"] != staff.role or values["area_id"] != staff.area_id):
        raise DomainError(_l("You cannot change your own role or area: ask another admin."))
    if values["role"] != Role.DISTRICT_ADMIN:
        _keeps_a_district_admin(staff)
    before = snapshot(staff, AUDITED)
    role_or_area = (values["role"], values["area_id"]) != (staff.role, staff.area_id)
    for name, value in values.items():
        setattr(staff, name, value)
    if role_or_area:
        # What the account may see changed: its sessions start again under the new scope.
        sessions.end_all(staff, "role")
        for post in list(staff.grid_posts):
            if db.session.get(Grid, post.grid_id).community_id != staff.area_id:
                staff.grid_posts.remove(post)
    record(actor, AuditAction.UPDATE, "staff", staff.id, name=staff.username, area_id=staff.area_id,
           before=before, after=snapshot(staff, AUDITED))
    cache.changed()
    return staff


@use_case
def reset_password(actor: Staff, staff_id) -> tuple[Staff, str]:
    """A new one-time password (returned, to be shown once); every session of the account ends and
    wrong-password lockout is lifted."""
    staff = get_account(actor, staff_id)
    _guard_self(actor, staff, _l("Change your own password on the password page."))
    password, staff.password_hash = one_time_password()
    staff.must_change_password = True
    sessions.end_all(staff, "reset")
    throttle.clear(_key(staff.username))
    record(actor, AuditAction.RESET_PASSWORD, "staff", staff.id, name=staff.username, area_id=staff.area_id)
    return staff, password


@use_case
def unlock(actor: Staff, staff_id) -> Staff:
    """Lift the lockout after wrong passwords (the password stays)."""
    staff = get_account(actor, staff_id)
    throttle.clear(_key(staff.username))
    record(actor, AuditAction.UNLOCK, "staff", staff.id, name=staff.username, area_id=staff.area_id)
    return staff


@use_case
def set_active(actor: Staff, staff_id, active: bool) -> Staff:
    """Disable an account (it is signed out everywhere at once and cannot sign in) or enable it again."""
    staff = get_account(actor, staff_id)
    if staff.active == active:
        return staff
    if not active:
        _guard_self(actor, staff, _l("You cannot disable your own account."))
        _keeps_a_district_admin(staff)
        sessions.end_all(staff, "disabled")
    staff.active = active
    record(actor, AuditAction.ENABLE if active else AuditAction.DISABLE, "staff", staff.id, name=staff.username,
           area_id=staff.area_id, before={"active": not active}, after={"active": active})
    cache.changed()
    return staff


# ---------------------------------------------------------------- grid posts

def post_choices(actor: Staff, staff: Staff) -> tuple[list[Grid], list[GridLevel]]:
    """The grids of the account's community, and the rungs of the ladder, for its posts."""
    grids = list(db.session.scalars(select(Grid).where(Grid.community_id == staff.area_id).order_by(Grid.code)))
    levels = list(db.session.scalars(select(GridLevel).order_by(GridLevel.rank)))
    return grids, levels


@use_case
def set_post(actor: Staff, staff_id, grid_id, level_id) -> Staff:
    """Give the account a post in a grid of its community (or move it to another rung)."""
    staff = get_account(actor, staff_id)
    grid = db.session.get(Grid, record_id(grid_id) or 0)
    level = db.session.get(GridLevel, record_id(level_id) or 0)
    errors = {}
    if grid is None or grid.community_id != staff.area_id:
        errors["grid_id"] = str(_l("Choose a grid of the account's community."))
    if level is None:
        errors["level_id"] = str(_l("Choose a rung of the grid ladder."))
    if errors:
        raise InvalidInput(errors)
    post = db.session.get(StaffGrid, (staff.id, grid.id))
    before = {"grid": grid.code, "level": post.level.code} if post else {}
    if post is None:
        db.session.add(StaffGrid(staff_id=staff.id, grid_id=grid.id, level_id=level.id))
    else:
        post.level_id = level.id
    db.session.flush()
    db.session.expire(staff, ["grid_posts"])
    record(actor, AuditAction.ADD_POST, "staff", staff.id, name=staff.username, area_id=staff.area_id,
           before=before, after={"grid": grid.code, "level": level.code})
    cache.changed()  # the account's kept grid choices
    return staff


@use_case
def remove_post(actor: Staff, staff_id, grid_id) -> Staff:
    staff = get_account(actor, staff_id)
    post = db.session.get(StaffGrid, (staff.id, record_id(grid_id) or 0))
    if post is None:
        raise NotFound(_l("No such post."))
    record(actor, AuditAction.REMOVE_POST, "staff", staff.id, name=staff.username, area_id=staff.area_id,
           before={"grid": post.grid.code, "level": post.level.code}, after={})
    db.session.delete(post)
    db.session.flush()
    db.session.expire(staff, ["grid_posts"])
    cache.changed()
    return staff
