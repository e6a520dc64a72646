"""Terminals in the browser: kiosks and lockers of a community, their enrolment, compartments, lock
line and printer.

A community admin manages their community's terminals, a district admin those of every community
of the district (``locker.admin_terminal`` checks it).  A terminal is never deleted (its tickets
and door events name it); a replaced or stolen screen is signed out by revoking its device, and a
new enrolment code enrols the next one.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...hardware.lines import parse_lock_url
from ...models import Area, AreaLevel, Compartment, Size, Staff, Terminal, TerminalKind
from .. import cache, terminals
from ..errors import Conflict, InvalidInput, NotFound
from ..locker import admin_terminal
from ..scope import community_ids_select, require_admin
from ..uow import separate, unit_of_work, use_case
from ..validation import record_id
from .audit import AuditAction, record, snapshot
from .paging import Page, contains, paginate

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
AUDITED = ("code", "kind", "community_id", "name_zh", "name_en", "lock_url", "printer_url")
FIELDS = ("code", "kind", "community_id", "name_zh", "name_en", "lock_url", "printer_url")


def list_terminals(actor: Staff, *, q: str = "", page=1) -> Page[Terminal]:
    """The terminals of the actor's communities, searched by code or name, 50 to a page."""
    require_admin(actor)
    stmt = (select(Terminal).where(Terminal.community_id.in_(community_ids_select(actor)))
            .options(selectinload(Terminal.community)).order_by(Terminal.code))
    if pattern := contains(q):
        stmt = stmt.where(or_(Terminal.code.ilike(pattern, escape="\\"), Terminal.name_zh.ilike(pattern, escape="\\"),
                              Terminal.name_en.ilike(pattern, escape="\\")))
    return paginate(stmt, page)


def field_message(actor: Staff, field: str, value, *, terminal: Terminal | None = None) -> str | None:
    require_admin(actor)
    value = (value or "").strip()
    if field == "code":
        if terminal is not None:
            return None  # a code never changes: tickets and receipts name the terminal by it
        if not CODE.match(value):
            return str(_l("2 to 32 capital letters, digits or dashes, e.g. HQ-K2."))
        if db.session.scalar(select(Terminal.id).filter_by(code=value)) is not None:
            return str(_l("This code is taken."))
    elif field == "kind":
        if terminal is None and value not in [k.value for k in TerminalKind]:
            return str(_l("Choose a kiosk or a locker."))
    elif field == "community_id":
        if record_id(value) not in [c.id for c in communities_for(actor)]:
            return str(_l("Choose one of the communities offered."))
    elif field == "name_zh":
        if not value:
            return str(_l("Please give the name in Chinese."))
        if len(value) > 100:
            return str(_l("Please keep the name to %(max)d characters.", max=100))
    elif field == "name_en" and len(value) > 100:
        return str(_l("Please keep the name to %(max)d characters.", max=100))
    elif field == "lock_url":
        try:
            parse_lock_url(value or "sim://")
        except ValueError:
            from ..locker import LOCK_URL_HELP

            return str(LOCK_URL_HELP)
    elif field == "printer_url":
        from ...hardware.printers import parse_url

        try:
            parse_url(value or "none")
        except ValueError as error:
            return str(error)
    return None


def communities_for(actor: Staff) -> list[Area]:
    require_admin(actor)
    return list(db.session.scalars(select(Area).where(Area.id.in_(community_ids_select(actor)),
                                                      Area.level == AreaLevel.COMMUNITY).order_by(Area.code)))


def _checked(actor: Staff, form: dict, terminal: Terminal | None) -> dict:
    errors = {f: m for f in FIELDS if (m := field_message(actor, f, form.get(f, ""), terminal=terminal))}
    if errors:
        raise InvalidInput(errors)
    values = {"name_zh": form["name_zh"].strip(), "name_en": (form.get("name_en") or "").strip(),
              "lock_url": parse_lock_url((form.get("lock_url") or "sim://").strip()).url,
              "printer_url": (form.get("printer_url") or "none").strip(),
              "community_id": record_id(form["community_id"])}
    return values


@use_case
def create_terminal(actor: Staff, form: dict) -> Terminal:
    require_admin(actor)
    values = _checked(actor, form, None)
    terminal = Terminal(code=form["code"].strip(), kind=TerminalKind(form["kind"]), **values)
    db.session.add(terminal)
    db.session.flush()
    record(actor, AuditAction.CREATE, "terminal", terminal.id, name=terminal.code, area_id=terminal.community_id,
           after=snapshot(terminal, AUDITED))
    return terminal


@use_case
def update_terminal(actor: Staff, terminal_id, form: dict) -> Terminal:
    terminal = admin_terminal(actor, terminal_id)
    values = _checked(actor, {**form, "community_id": str(terminal.community_id)}, terminal)
    before = snapshot(terminal, AUDITED)
    if values["printer_url"] != terminal.printer_url:
        terminal.printer_state, terminal.printer_detail, terminal.printer_checked_at = "", "", None
    for name, value in values.items():
        setattr(terminal, name, value)
    record(actor, AuditAction.UPDATE, "terminal", terminal.id, name=terminal.code, area_id=terminal.community_id,
           before=before, after=snapshot(terminal, AUDITED))
    cache.changed()
    return terminal


def issue_code(actor: Staff, terminal_id) -> tuple[Terminal, str]:
    """A one-time enrolment code for the terminal's device (valid 24 hours; shown once)."""
    with unit_of_work():
        terminal = admin_terminal(actor, terminal_id)
        code = terminals.issue_enrolment_code(terminal)
        record(actor, AuditAction.UPDATE, "terminal", terminal.id, name=terminal.code, area_id=terminal.community_id,
               after={"enrolment_code": "issued"})
    return terminal, code


def revoke_device(actor: Staff, terminal_id) -> Terminal:
    """Sign the terminal's device out for good (a stolen or replaced screen); a new code enrols another."""
    with unit_of_work():
        terminal = admin_terminal(actor, terminal_id)
        terminals.revoke(terminal)
        record(actor, AuditAction.DISABLE, "terminal", terminal.id, name=terminal.code, area_id=terminal.community_id,
               after={"device": "revoked"})
    return terminal


# ---------------------------------------------------------------- compartments

def compartments_of(terminal: Terminal) -> list[Compartment]:
    return list(db.session.scalars(select(Compartment).where(Compartment.terminal_id == terminal.id)
                                   .order_by(Compartment.number)))


def save_compartment(actor: Staff, terminal_id, form: dict, compartment_id=None) -> Compartment:
    """Add a compartment to a locker (number, size, board and lock wiring) or change one."""
    terminal = admin_terminal(actor, terminal_id)
    errors = {}
    number, board, lock = record_id(form.get("number")), record_id(form.get("board")), record_id(form.get("lock"))
    if number is None or number > 999:
        errors["number"] = str(_l("A door number from 1 to 999."))
    if form.get("size") not in [s.value for s in Size]:
        errors["size"] = str(_l("Choose a compartment size."))
    if board is None or board > 255:
        errors["board"] = str(_l("A board address from 1 to 255."))
    if lock is None or lock > 24:
        errors["lock"] = str(_l("A lock channel from 1 to 24."))
    if terminal.kind != TerminalKind.LOCKER:
        errors["number"] = str(_l("Only a locker has compartments."))
    if errors:
        raise InvalidInput(errors)
    try:
        with unit_of_work():
            compartment = None
            if compartment_id is not None:
                compartment = db.session.get(Compartment, record_id(compartment_id) or 0)
                if compartment is None or compartment.terminal_id != terminal.id:
                    raise NotFound(_l("No such compartment."))
            before = snapshot(compartment, ("number", "size", "board", "lock")) if compartment else {}
            if compartment is None:
                compartment = Compartment(terminal_id=terminal.id)
                db.session.add(compartment)
            compartment.number, compartment.size, compartment.board, compartment.lock = number, Size(form["size"]), \
                board, lock
            db.session.flush()
            record(actor, AuditAction.UPDATE if before else AuditAction.CREATE, "compartment", compartment.id,
                   name=f"{terminal.code} #{number}", area_id=terminal.community_id, before=before,
                   after=snapshot(compartment, ("number", "size", "board", "lock")))
    except IntegrityError:
        raise Conflict(_l("Door %(number)d, or board %(board)d lock %(lock)d, is already in this locker.",
                          number=number, board=board, lock=lock)) from None
    return compartment


# ---------------------------------------------------------------- testing the hardware

def test_lock_line(actor: Staff, terminal_id) -> list[tuple[int, str]]:
    """Ask every board of the locker for its locks' state: (board, what it answered) for each."""
    from ..locker.boards import _read_board

    terminal = admin_terminal(actor, terminal_id)
    boards = list(db.session.scalars(select(Compartment.board).where(Compartment.terminal_id == terminal.id)
                                     .distinct().order_by(Compartment.board))) or [1]
    if terminal.lock_line.kind == "agent":
        return [(b, str(_l("Run by the terminal's agent: see its last report."))) for b in boards]
    answers = []
    for board in boards:
        with separate("what each board answered is recorded on the board, as every reading is"):
            states = _read_board(terminal, board)
        if states is None:
            answers.append((board, str(_l("No answer (see the board's fault on the terminal page)."))))
        else:
            closed = sum(1 for shut in states.values() if shut)
            answers.append((board, str(_l("Answered: %(closed)d locks closed, %(open)d open.", closed=closed,
                                          open=len(states) - closed))))
    return answers

