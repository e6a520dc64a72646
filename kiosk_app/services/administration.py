"""Setting a deployment up: staff accounts, the grid ladder and posts, compartments, printers.

Each function is one use case; the command line calls them today, the administration pages will.
Bad input raises ``InvalidInput`` or ``NotFound`` with what is wrong, and changes nothing.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import Area, Compartment, Grid, GridLevel, Role, Size, Staff, StaffGrid, Terminal
from . import cache
from .errors import Conflict, InvalidInput, NotFound
from .terminals import get_by_code
from .uow import unit_of_work, use_case

PASSWORD_MIN = 10


@use_case
def save_staff(username: str, *, role: str, area_code: str, password: str, display_name: str = "") -> Staff:
    """Create a staff account, or set a new password and role for an existing one."""
    area = db.session.scalar(select(Area).filter_by(code=area_code))
    if area is None:
        raise NotFound(_l("No area with the code %(code)s.", code=area_code))
    if len(password or "") < PASSWORD_MIN:
        raise InvalidInput({"password": str(_l("A password needs at least %(min)d characters.", min=PASSWORD_MIN))})
    staff = db.session.scalar(select(Staff).filter_by(username=username))
    if staff is None:
        staff = Staff(username=username, display_name=display_name or username, role=Role(role),
                      area_id=area.id, password_hash="")
        db.session.add(staff)
    staff.role, staff.area_id = Role(role), area.id
    if display_name:
        staff.display_name = display_name
    staff.password_hash = generate_password_hash(password)
    cache.changed()  # the account's kept grid choices follow its role and area
    return staff


@use_case
def save_grid_level(code: str, *, name_zh: str, name_en: str, rank: int) -> list[GridLevel]:
    """Define or rename a rung of the grid ladder; returns the ladder, top first."""
    level = db.session.scalar(select(GridLevel).filter_by(code=code)) or GridLevel(code=code)
    level.name_zh, level.name_en, level.rank = name_zh, name_en, rank
    db.session.add(level)
    db.session.flush()
    cache.changed()
    return list(db.session.scalars(select(GridLevel).order_by(GridLevel.rank)))


@use_case
def set_grid_post(username: str, grid_code: str, *, community_code: str, level_code: str,
                  remove: bool = False) -> Staff:
    """Give a grid worker a post in a grid (the grid joins their scope), or take it away."""
    staff = db.session.scalar(select(Staff).filter_by(username=username))
    community = db.session.scalar(select(Area).filter_by(code=community_code))
    grid = community and db.session.scalar(select(Grid).filter_by(community_id=community.id, code=grid_code))
    level = db.session.scalar(select(GridLevel).filter_by(code=level_code))
    if not (staff and grid and level):
        raise NotFound(_l("Unknown account, community, grid or level."))
    post = db.session.get(StaffGrid, (staff.id, grid.id))
    if remove:
        if post is not None:
            db.session.delete(post)
    elif post is None:
        db.session.add(StaffGrid(staff_id=staff.id, grid_id=grid.id, level_id=level.id))
    else:
        post.level_id = level.id
    db.session.flush()
    cache.changed()  # the account's kept grid choices
    db.session.expire(staff, ["grid_posts"])
    return staff


def save_compartment(terminal_code: str, number: int, *, size: str, board: int, lock: int) -> Compartment:
    """Add a compartment to a locker terminal, or change its size or lock-board wiring."""
    try:
        with unit_of_work():
            terminal = get_by_code(terminal_code)
            compartment = db.session.scalar(select(Compartment).filter_by(terminal_id=terminal.id, number=number))
            if compartment is None:
                compartment = Compartment(terminal_id=terminal.id, number=number)
                db.session.add(compartment)
            compartment.size, compartment.board, compartment.lock = Size(size), board, lock
    except IntegrityError:  # the unique (terminal, board, lock)
        raise Conflict(_l("Board %(board)d lock %(lock)d is already wired to another door.",
                          board=board, lock=lock)) from None
    return compartment


@use_case
def set_printer(terminal_code: str, printer_url: str) -> Terminal:
    """Set a terminal's receipt printer (``printers.parse_url`` says what is accepted)."""
    from ..hardware.printers import parse_url

    terminal = get_by_code(terminal_code)
    try:
        parse_url(printer_url)
    except ValueError as error:
        raise InvalidInput({"printer_url": str(error)}) from None
    terminal.printer_url = printer_url.strip()
    terminal.printer_state, terminal.printer_detail, terminal.printer_checked_at = "", "", None
    return terminal
