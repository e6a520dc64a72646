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
from ..models import Area, AreaLevel, Compartment, Grid, GridLevel, Role, Size, Staff, StaffGrid, Terminal
from . import cache, sessions
from .accounts import password_problem
from .admin.accounts import AUDITED as STAFF_AUDITED
from .admin.accounts import field_message as account_field_message
from .admin.org import checked_code
from .admin.audit import AuditAction, record, snapshot
from .errors import Conflict, InvalidInput, NotFound
from .terminals import get_by_code
from .uow import unit_of_work, use_case

# The grid ladder (五级网格) a new installation starts with: code, zh, en, rank (1 is the top).
# A district renames, reorders or extends it as data.
STANDARD_GRID_LADDER = [
    ("instructor", "网格指导员", "Grid instructor", 1),
    ("leader", "网格长", "Grid leader", 2),
    ("worker", "网格员", "Grid worker", 3),
    ("group-leader", "居民小组长", "Residents' group leader", 4),
    ("building-head", "楼栋长", "Building head", 5),
]


@use_case
def create_first_admin(username: str, *, password: str, display_name: str = "", district_code: str = "",
                       district_name_zh: str = "", district_name_en: str = "") -> Staff:
    """A real installation's first step (``flask create-admin``): a district admin, and the district
    itself when the database has none yet (with the standard grid ladder).  Nothing of the demo is needed.
    """
    errors = {}
    if message := account_field_message(None, "username", username):
        errors["username"] = message
    if problem := password_problem(password, username):
        errors["password"] = problem
    districts = list(db.session.scalars(select(Area).where(Area.level == AreaLevel.DISTRICT).order_by(Area.code)))
    district = next((d for d in districts if d.code == district_code), None) if district_code else \
        (districts[0] if len(districts) == 1 else None)
    if district is None and districts and not district_code:
        errors["district_code"] = str(_l("Name the district (its code): there is more than one."))
    elif district is None:
        code_errors: dict = {}
        district_code = checked_code({"code": district_code}, code_errors, lambda code: db.session.scalar(
            select(Area.id).filter_by(code=code)) is not None)
        if code_errors:
            errors["district_code"] = code_errors["code"]
        if not (district_name_zh or "").strip():
            errors["district_name_zh"] = str(_l("Please give the district's name."))
    if errors:
        raise InvalidInput(errors)
    if district is None:
        district = Area(level=AreaLevel.DISTRICT, code=district_code, name_zh=district_name_zh.strip()[:100],
                        name_en=(district_name_en or "").strip()[:100])
        db.session.add(district)
        db.session.flush()
        record(None, AuditAction.CREATE, "area", district.id, name=district.code, area_id=district.id,
               after=snapshot(district, ("level", "code", "name_zh", "name_en")))
    if db.session.scalar(select(GridLevel.id).limit(1)) is None:
        for code, zh, en, rank in STANDARD_GRID_LADDER:  # a row at a time: five rows, once
            db.session.add(GridLevel(code=code, name_zh=zh, name_en=en, rank=rank))
            db.session.flush()
    staff = Staff(username=username, display_name=(display_name or username).strip()[:100],
                  role=Role.DISTRICT_ADMIN, area_id=district.id, password_hash=generate_password_hash(password))
    db.session.add(staff)
    db.session.flush()
    record(None, AuditAction.CREATE, "staff", staff.id, name=staff.username, area_id=district.id,
           after=snapshot(staff, STAFF_AUDITED))
    cache.changed()
    return staff


@use_case
def save_staff(username: str, *, role: str, area_code: str, password: str, display_name: str = "") -> Staff:
    """Create a staff account, or set a new password and role for an existing one."""
    area = db.session.scalar(select(Area).filter_by(code=area_code))
    if area is None:
        raise NotFound(_l("No area with the code %(code)s.", code=area_code))
    if problem := password_problem(password, username, display_name):
        raise InvalidInput({"password": problem})
    staff = db.session.scalar(select(Staff).filter_by(username=username))
    created = staff is None
    if created:
        staff = Staff(username=username, display_name=display_name or username, role=Role(role),
                      area_id=area.id, password_hash="")
        db.session.add(staff)
    before = {} if created else snapshot(staff, STAFF_AUDITED)
    staff.role, staff.area_id = Role(role), area.id
    if display_name:
        staff.display_name = display_name
    staff.password_hash = generate_password_hash(password)
    db.session.flush()
    if not created:
        sessions.end_all(staff, "reset")
    record(None, AuditAction.CREATE if created else AuditAction.RESET_PASSWORD, "staff", staff.id,
           name=staff.username, area_id=staff.area_id, before=before, after=snapshot(staff, STAFF_AUDITED))
    cache.changed()  # the account's kept grid choices follow its role and area
    return staff


@use_case
def save_grid_level(code: str, *, name_zh: str, name_en: str, rank: int) -> list[GridLevel]:
    """Define or rename a rung of the grid ladder; returns the ladder, top first."""
    level = db.session.scalar(select(GridLevel).filter_by(code=code)) or GridLevel(code=code)
    before = {} if level.id is None else snapshot(level, ("name_zh", "name_en", "rank"))
    level.name_zh, level.name_en, level.rank = name_zh, name_en, rank
    db.session.add(level)
    db.session.flush()
    record(None, AuditAction.UPDATE if before else AuditAction.CREATE, "grid_level", level.id, name=code,
           before=before, after=snapshot(level, ("name_zh", "name_en", "rank")))
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
    record(None, AuditAction.REMOVE_POST if remove else AuditAction.ADD_POST, "staff", staff.id,
           name=f"{staff.username} · {community_code} {grid_code}", area_id=community.id,
           after={} if remove else {"grid": grid_code, "level": level_code})
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
            before = {} if compartment.id is None else snapshot(compartment, ("size", "board", "lock"))
            compartment.size, compartment.board, compartment.lock = Size(size), board, lock
            db.session.flush()
            record(None, AuditAction.UPDATE if before else AuditAction.CREATE, "compartment", compartment.id,
                   name=f"{terminal.code} #{number}", area_id=terminal.community_id, before=before,
                   after=snapshot(compartment, ("size", "board", "lock")))
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
    record(None, AuditAction.UPDATE, "terminal", terminal.id, name=terminal.code, area_id=terminal.community_id,
           before={"printer_url": terminal.printer_url}, after={"printer_url": printer_url.strip()})
    terminal.printer_url = printer_url.strip()
    terminal.printer_state, terminal.printer_detail, terminal.printer_checked_at = "", "", None
    return terminal
