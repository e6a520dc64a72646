"""The locker: reserving compartments, opening doors, and what a closed door means.

Every door opening goes through ``open_door``, which records a ``DoorEvent`` (who, why, when).
A closed door moves the item on: papers deposited (the ticket's compartment is recorded),
papers collected (the ticket becomes "received"), a result placed (a pickup code is made), a
result picked up (the ticket closes).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..hardware.locks import LockBoard, LockError, SerialLockBoard
from ..models import (
    Channel,
    CommandState,
    Compartment,
    CompartmentState,
    DoorCommand,
    DoorEvent,
    DoorReason,
    DoorState,
    ItemKind,
    ItemState,
    LockerItem,
    Size,
    Staff,
    Status,
    Terminal,
    Ticket,
    TicketEvent,
)
from ..models.base import utcnow
from . import notifications, throttle, workdays
from .errors import DomainError, NotFound
from .workflow import Action, record_locker_transition


class TerminalFull(DomainError):
    pass


class DoorFault(DomainError):
    pass


FULL = _l("Sorry, every compartment of a fitting size is in use. Please hand the papers in at the service "
          "centre, or try another locker.")


# ---------------------------------------------------------------- drivers

class SimulatedDoors:
    """Doors of a simulated cabinet: the database is the cabinet.  A demo visitor (or a test) closes a
    door by a click; ``jammed`` lists (terminal id, lock) pairs whose latch does not move."""

    jammed: set[tuple[int, int, int]] = set()

    def __init__(self, terminal: Terminal):
        self.terminal = terminal

    def open(self, board: int, lock: int) -> None:
        if (self.terminal.id, board, lock) in self.jammed:
            raise LockError(f"simulated board {board} lock {lock} is jammed")

    def status(self, board: int) -> dict[int, bool]:
        rows = db.session.execute(select(Compartment.lock, Compartment.door).where(
            Compartment.terminal_id == self.terminal.id, Compartment.board == board))
        return {lock: door != DoorState.OPEN for lock, door in rows}


_serial_boards: dict[str, SerialLockBoard] = {}


def driver_for(terminal: Terminal) -> LockBoard:
    url = terminal.lock_url or "sim://"
    if url.startswith("sim:"):
        return SimulatedDoors(terminal)
    if url not in _serial_boards:
        _serial_boards[url] = SerialLockBoard(url, rs485=current_app.config.get("LOCK_RS485", False))
    return _serial_boards[url]


# ---------------------------------------------------------------- reserving

def _free_compartments(terminal_id: int, min_size: Size):
    active = exists().where(LockerItem.compartment_id == Compartment.id,
                            LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD]))
    sizes = [s for s in Size if s.rank >= min_size.rank]
    return (
        select(Compartment)
        .where(Compartment.terminal_id == terminal_id, Compartment.state == CompartmentState.IN_SERVICE,
               Compartment.size.in_(sizes), Compartment.door != DoorState.OPEN, ~active)
    )


def reserve(terminal: Terminal, ticket: Ticket, kind: ItemKind, min_size: Size = Size.S,
            actor: Staff | None = None) -> LockerItem:
    """Hold a free compartment of at least ``min_size`` for ``ticket`` (smallest fitting first).

    Safe under concurrency: PostgreSQL skips rows other transactions are locking, and a unique
    index on active items refuses a second item in a compartment; a refused attempt tries the
    next compartment.  Each failed attempt means another request got a compartment, so this ends.
    """
    for _attempt in range(200):
        smallest_first = case((Compartment.size == Size.S, 0), (Compartment.size == Size.M, 1), else_=2)
        stmt = _free_compartments(terminal.id, min_size).order_by(smallest_first, Compartment.number).limit(1)
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Compartment)
        compartment = db.session.scalar(stmt)
        if compartment is None:
            db.session.rollback()
            raise TerminalFull(FULL)
        item = LockerItem(compartment_id=compartment.id, ticket_id=ticket.id, kind=kind,
                          state=ItemState.RESERVED, created_by_id=actor.id if actor else None)
        db.session.add(item)
        try:
            db.session.commit()
            return item
        except IntegrityError:
            db.session.rollback()
    raise TerminalFull(FULL)


# ---------------------------------------------------------------- doors

def _door_event(compartment: Compartment, event: str, reason: DoorReason, *, item: LockerItem | None = None,
                actor: Staff | None = None, actor_label: str = "", detail: str = "") -> None:
    db.session.add(DoorEvent(compartment_id=compartment.id, item_id=item.id if item else None, event=event,
                             reason=reason, actor_staff_id=actor.id if actor else None, actor_label=actor_label,
                             detail=detail))


def uses_agent(terminal: Terminal) -> bool:
    return (terminal.lock_url or "").startswith("agent")


def open_door(compartment: Compartment, reason: DoorReason, *, item: LockerItem | None = None,
              actor: Staff | None = None, actor_label: str = "") -> None:
    """Open a door through the terminal's driver; a door that does not open is marked faulty.

    A terminal run by an agent gets a queued command instead; the agent reports the outcome
    (``command_done``), and the door page waits for it.
    """
    if uses_agent(compartment.terminal):
        db.session.add(DoorCommand(terminal_id=compartment.terminal_id, compartment_id=compartment.id,
                                   item_id=item.id if item else None, reason=reason,
                                   actor_staff_id=actor.id if actor else None, actor_label=actor_label))
        db.session.commit()
        return
    driver = driver_for(compartment.terminal)
    try:
        driver.open(compartment.board, compartment.lock)
    except LockError as error:
        compartment.state = CompartmentState.FAULTY
        compartment.note = str(error)[:200]
        _door_event(compartment, "fault", reason, item=item, actor=actor, actor_label=actor_label, detail=str(error))
        db.session.commit()
        raise DoorFault(_l("Door %(number)d did not open.", number=compartment.number)) from None
    compartment.door = DoorState.OPEN
    compartment.door_changed_at = utcnow()
    _door_event(compartment, "opened", reason, item=item, actor=actor, actor_label=actor_label)
    db.session.commit()


def reserve_and_open(terminal: Terminal, ticket: Ticket, kind: ItemKind, reason: DoorReason, *,
                     min_size: Size = Size.S, actor: Staff | None = None, actor_label: str = "") -> LockerItem:
    """Reserve a compartment and open it; if its door fails, try the next one (the faulty one is
    marked so and never offered again until an admin puts it back)."""
    for _attempt in range(50):
        item = reserve(terminal, ticket, kind, min_size, actor)
        try:
            open_door(item.compartment, reason, item=item, actor=actor, actor_label=actor_label)
            return item
        except DoorFault:
            item.state, item.ended_at = ItemState.CANCELLED, utcnow()
            db.session.commit()
    raise TerminalFull(FULL)


def door_closed(compartment: Compartment, *, actor: Staff | None = None, actor_label: str = "") -> LockerItem | None:
    """A door was reported closed: move its item on.  Returns the item that changed, if any."""
    if compartment.door == DoorState.CLOSED:
        return None
    compartment.door = DoorState.CLOSED
    compartment.door_changed_at = now = utcnow()
    item = active_item(compartment)
    reason = _closing_reason(item)
    _door_event(compartment, "closed", reason, item=item, actor=actor, actor_label=actor_label)
    if item is None:
        db.session.commit()
        return None
    ticket = item.ticket
    if item.state == ItemState.RESERVED:
        item.state, item.held_at = ItemState.HELD, now
        if item.kind == ItemKind.SUBMISSION:
            _ticket_note(ticket, "papers_deposited", compartment)
        else:
            _ticket_note(ticket, "result_ready", compartment, actor=item.created_by)
            item.pickup_expires_at = now + timedelta(days=current_app.config["PICKUP_DAYS"])
            code = pickup_code(item)
            item.pickup_code_hash = _code_hash(code)
            notifications.enqueue(ticket, "pickup_ready", door=compartment.number, code=code,
                                  until=workdays.local_date(item.pickup_expires_at).isoformat())
    elif item.state == ItemState.HELD and _pending_removal(item):
        item.state, item.ended_at = _pending_removal(item), now
        if item.kind == ItemKind.SUBMISSION:
            record_locker_transition(ticket, Action.RECEIVE, actor=actor, actor_label=actor_label)
        elif item.state == ItemState.DONE:
            record_locker_transition(ticket, Action.PICK_UP, actor_label="resident")
            notifications.enqueue(ticket, "done")
        else:
            _ticket_note(ticket, "result_taken_back", compartment, actor=actor, public=True)
    db.session.commit()
    return item


def active_item(compartment: Compartment) -> LockerItem | None:
    return db.session.scalar(select(LockerItem).where(
        LockerItem.compartment_id == compartment.id, LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD])))


def _closing_reason(item: LockerItem | None) -> DoorReason:
    last = db.session.scalar(select(DoorEvent.reason).where(DoorEvent.event == "opened")
                             .where(DoorEvent.item_id == (item.id if item else None))
                             .order_by(DoorEvent.id.desc()).limit(1)) if item else None
    return last or DoorReason.CHECK


def _pending_removal(item: LockerItem) -> ItemState | None:
    """What the last opening of a held item's door was for: collection, pickup or taking back."""
    reason = _closing_reason(item)
    return {DoorReason.COLLECT: ItemState.DONE, DoorReason.PICKUP: ItemState.DONE,
            DoorReason.TAKE_BACK: ItemState.TAKEN_BACK}.get(reason)


LOCKER_NOTES = {
    "papers_deposited": _l("Papers placed in compartment %(number)d"),
    "result_ready": _l("The result is waiting in compartment %(number)d; pick it up with the code on this page"),
    "result_taken_back": _l("The uncollected result was taken back from compartment %(number)d; ask the service centre"),
}


def _ticket_note(ticket: Ticket, action: str, compartment: Compartment, *, actor: Staff | None = None,
                 public: bool = True) -> None:
    # Written in the resident's language: they read it on their status page.
    with force_locale(ticket.locale or "zh_CN"):
        note = str(LOCKER_NOTES[action]) % {"number": compartment.number}
    with db.session.no_autoflush:
        ticket.events.append(TicketEvent(action=action, actor_staff_id=actor.id if actor else None,
                                         actor_label="" if actor else f"terminal:{compartment.terminal.code}",
                                         note=note, public=public, created_at=utcnow()))


# ---------------------------------------------------------------- pickup codes

def pickup_code(item: LockerItem) -> str:
    """The item's 6-digit code, derived from the app's secret: the database holds only its hash,
    and the status page (which only the ticket's QR reaches) can still show it."""
    key = current_app.config["SECRET_KEY"].encode()
    moment = int(item.held_at.timestamp() * 1_000_000)
    digest = hmac.new(key, f"pickup:{item.id}:{item.ticket.token}:{moment}".encode(), "sha256")
    return f"{int.from_bytes(digest.digest()[:8], 'big') % 1_000_000:06d}"


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:{code}".encode()).hexdigest()


CODE_REFUSED = _l("This code does not open any door here. Check the code on your ticket's page.")
CODE_PAUSED = _l("Too many wrong codes. Code entry is paused for a few minutes; please ask the service centre.")


def pick_up(terminal: Terminal, code: str) -> LockerItem:
    """Open the door of the result whose code this is.  Wrong codes are counted per terminal."""
    key = f"pickup:{terminal.id}"
    limit, window = current_app.config["PICKUP_MAX_FAILURES"], current_app.config["PICKUP_PAUSE_SECONDS"]
    # Count the attempt first (atomically): guesses sent in parallel are all counted.
    if throttle.count_attempt(key, window) > limit:
        raise DomainError(CODE_PAUSED)
    digits = "".join(ch for ch in (code or "") if ch.isdigit())[:6]
    item = None
    if len(digits) == 6:
        item = db.session.scalar(select(LockerItem).join(Compartment).where(
            Compartment.terminal_id == terminal.id, LockerItem.kind == ItemKind.RESULT,
            LockerItem.state == ItemState.HELD, LockerItem.pickup_code_hash == _code_hash(digits),
            LockerItem.pickup_expires_at > utcnow()))
    if item is None:
        raise DomainError(CODE_PAUSED if throttle.is_blocked(key, limit, window) else CODE_REFUSED)
    throttle.forgive(key)  # a right code does not count against the keypad
    open_door(item.compartment, DoorReason.PICKUP, item=item, actor_label="resident")
    return item


def pickup_code_for_ticket(ticket: Ticket) -> tuple[LockerItem, str] | None:
    """The code to show on a ticket's status page, while its result waits in a compartment."""
    if not ticket.physical_result or ticket.status not in (Status.COMPLETED, Status.CLOSED):  # nothing waits
        return None
    item = db.session.scalar(select(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.RESULT, LockerItem.state == ItemState.HELD,
        LockerItem.pickup_expires_at > utcnow()))
    return (item, pickup_code(item)) if item else None


# ---------------------------------------------------------------- staff at the terminal

def collectable(actor: Staff, terminal: Terminal) -> list[LockerItem]:
    """Submissions waiting at this terminal whose tickets are in the staff member's scope."""
    from .scope import ticket_filter

    return list(db.session.scalars(
        select(LockerItem).join(Compartment).join(Ticket, LockerItem.ticket_id == Ticket.id)
        .where(Compartment.terminal_id == terminal.id, LockerItem.kind == ItemKind.SUBMISSION,
               LockerItem.state == ItemState.HELD, ticket_filter(actor))
        .order_by(Compartment.number)))


def collect(actor: Staff, terminal: Terminal, item_id) -> LockerItem:
    from .validation import record_id

    wanted = record_id(item_id)
    item = next((i for i in collectable(actor, terminal) if i.id == wanted), None)
    if item is None:
        raise NotFound(_l("Nothing to collect there."))
    open_door(item.compartment, DoorReason.COLLECT, item=item, actor=actor)
    return item


def start_return(actor: Staff, terminal: Terminal, ticket_id) -> LockerItem:
    """Staff put a completed ticket's physical result into a compartment of this terminal."""
    from . import scope

    ticket = scope.get_ticket(actor, ticket_id)
    if ticket.community_id != terminal.community_id:
        raise NotFound(_l("We could not find this ticket."))
    if ticket.status != Status.COMPLETED or not ticket.physical_result:
        raise DomainError(_l("Only a completed ticket with a physical result can be returned through the locker."))
    if db.session.scalar(select(LockerItem.id).where(LockerItem.ticket_id == ticket.id,
                                                    LockerItem.kind == ItemKind.RESULT,
                                                    LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD]))):
        raise DomainError(_l("This result is already in the locker."))
    return reserve_and_open(terminal, ticket, ItemKind.RESULT, DoorReason.RETURN, min_size=Size.M, actor=actor)


def uncollected(actor: Staff) -> list[LockerItem]:
    """Results whose pickup period has passed, in the staff member's scope: to be taken back."""
    from .scope import ticket_filter

    return list(db.session.scalars(
        select(LockerItem).join(Ticket, LockerItem.ticket_id == Ticket.id)
        .where(LockerItem.kind == ItemKind.RESULT, LockerItem.state == ItemState.HELD,
               LockerItem.pickup_expires_at <= utcnow(), ticket_filter(actor))
        .order_by(LockerItem.pickup_expires_at)))


def take_back(actor: Staff, item_id) -> LockerItem:
    from .validation import record_id

    wanted = record_id(item_id)
    item = next((i for i in uncollected(actor) if i.id == wanted), None)
    if item is None:
        raise NotFound(_l("Nothing to take back there."))
    open_door(item.compartment, DoorReason.TAKE_BACK, item=item, actor=actor)
    item.pickup_code_hash = None  # once the door is open the code stops working, whatever the date says
    db.session.commit()
    return item


def cancel_drop_off(terminal: Terminal, item_id) -> LockerItem:
    """The resident gave up before closing the door on their papers."""
    from .validation import record_id

    item = db.session.get(LockerItem, record_id(item_id) or 0)
    if item is None or item.compartment.terminal_id != terminal.id or item.kind != ItemKind.SUBMISSION \
            or item.state != ItemState.RESERVED:
        raise NotFound(_l("Nothing to cancel there."))
    item.state, item.ended_at = ItemState.CANCELLED, utcnow()
    record_locker_transition(item.ticket, Action.WITHDRAW, actor_label="resident")
    db.session.commit()
    return item



NOT_YOURS = _l("This terminal is not in your community.")


def returnable(actor: Staff, terminal: Terminal) -> list[Ticket]:
    """Completed tickets of this terminal's community with a physical result not yet in a locker."""
    from .scope import ticket_filter

    in_locker = exists().where(LockerItem.ticket_id == Ticket.id, LockerItem.kind == ItemKind.RESULT)
    return list(db.session.scalars(
        select(Ticket).where(ticket_filter(actor), Ticket.community_id == terminal.community_id,
                             Ticket.status == Status.COMPLETED, Ticket.physical_result.is_(True), ~in_locker)
        .order_by(Ticket.completed_at).limit(50)))


def refresh_door(compartment: Compartment) -> None:
    """Ask a real board whether an open door has been closed (a simulated door is closed by a click)."""
    if compartment.door != DoorState.OPEN or compartment.terminal.lock_url.startswith("sim:"):
        return
    try:
        closed = driver_for(compartment.terminal).status(compartment.board)[compartment.lock]
    except LockError:
        return  # the next poll asks again; the screen keeps saying the door is open
    if closed:
        door_closed(compartment, actor_label=f"terminal:{compartment.terminal.code}")


def open_too_long(terminal: Terminal) -> list[Compartment]:
    """Doors left open past DOOR_CLOSE_SECONDS: staff are shown these to check the compartment."""
    limit = utcnow() - timedelta(seconds=current_app.config["DOOR_CLOSE_SECONDS"])
    return list(db.session.scalars(select(Compartment).where(
        Compartment.terminal_id == terminal.id, Compartment.door == DoorState.OPEN,
        Compartment.door_changed_at < limit).order_by(Compartment.number)))


def submission_in_locker(ticket: Ticket) -> LockerItem | None:
    """The resident's papers, while they wait in a compartment."""
    if ticket.channel != Channel.LOCKER:  # only a locker drop-off puts papers in a compartment
        return None
    return db.session.scalar(select(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.SUBMISSION, LockerItem.state == ItemState.HELD))


def pick_up_from_phone(terminal: Terminal, ticket: Ticket) -> LockerItem:
    """Open a ticket's result door for a phone that scanned this locker's QR: holding the ticket's
    status page (its QR) and standing at the locker stand in for the code."""
    found = pickup_code_for_ticket(ticket)
    if found is None or found[0].compartment.terminal_id != terminal.id:
        raise NotFound(_l("Nothing waits for this ticket in this locker."))
    open_door(found[0].compartment, DoorReason.PICKUP, item=found[0], actor_label="resident:phone")
    return found[0]


# ---------------------------------------------------------------- admin: terminals and compartments

def terminals_in_scope(actor: Staff) -> list[Terminal]:
    from .scope import community_ids_select

    return list(db.session.scalars(select(Terminal).where(
        Terminal.community_id.in_(community_ids_select(actor))).order_by(Terminal.code)))


def admin_terminal(actor: Staff, terminal_id) -> Terminal:
    from .scope import require_admin
    from .validation import record_id

    require_admin(actor)
    wanted = record_id(terminal_id)
    terminal = next((t for t in terminals_in_scope(actor) if t.id == wanted), None)
    if terminal is None:
        raise NotFound(_l("No such terminal."))
    return terminal


def set_compartment_service(actor: Staff, terminal: Terminal, compartment_id, in_service: bool) -> Compartment:
    """Take a compartment out of service, or put it (also a repaired faulty one) back."""
    from .validation import record_id

    compartment = db.session.get(Compartment, record_id(compartment_id) or 0)
    if compartment is None or compartment.terminal_id != terminal.id:
        raise NotFound(_l("No such compartment."))
    if not in_service and active_item(compartment) is not None:
        raise DomainError(_l("Compartment %(number)d still holds something; empty it first.",
                             number=compartment.number))
    compartment.state = CompartmentState.IN_SERVICE if in_service else CompartmentState.OUT_OF_SERVICE
    compartment.note = "" if in_service else str(_l("Taken out of service by %(name)s", name=actor.display_name))
    _door_event(compartment, "in_service" if in_service else "out_of_service", DoorReason.CHECK, actor=actor)
    db.session.commit()
    return compartment


def cabinet(terminal: Terminal) -> list[tuple[Compartment, LockerItem | None]]:
    """Every compartment of a terminal with what it holds (two queries)."""
    from sqlalchemy.orm import selectinload

    rows = db.session.scalars(select(Compartment).where(Compartment.terminal_id == terminal.id)
                              .order_by(Compartment.number)).all()
    active = {i.compartment_id: i for i in db.session.scalars(
        select(LockerItem).where(LockerItem.compartment_id.in_([c.id for c in rows]),
                                 LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD]))
        .options(selectinload(LockerItem.ticket)))}
    return [(c, active.get(c.id)) for c in rows]


# ---------------------------------------------------------------- terminal agents (district deployments)

def pending_commands(terminal: Terminal) -> list[DoorCommand]:
    return list(db.session.scalars(select(DoorCommand).where(
        DoorCommand.terminal_id == terminal.id, DoorCommand.state == CommandState.PENDING).order_by(DoorCommand.id)))


def command_done(terminal: Terminal, command_id, ok: bool, error: str = "") -> DoorCommand:
    """The agent's report on one command.  A failed door is marked faulty; a drop-off or a return
    waiting on it moves to the next free compartment (the door page follows)."""
    from .validation import record_id

    command = db.session.get(DoorCommand, record_id(command_id) or 0)
    if command is None or command.terminal_id != terminal.id:
        raise NotFound(_l("No such command."))
    if command.state != CommandState.PENDING:
        return command  # a repeated report after a lost answer
    compartment, item = command.compartment, command.item
    command.done_at = utcnow()
    if ok:
        command.state = CommandState.DONE
        compartment.door, compartment.door_changed_at = DoorState.OPEN, utcnow()
        _door_event(compartment, "opened", command.reason, item=item, actor=command_actor(command),
                    actor_label=command.actor_label)
        db.session.commit()
        return command
    command.state, command.error = CommandState.FAILED, (error or "")[:300]
    compartment.state, compartment.note = CompartmentState.FAULTY, (error or "door did not open")[:200]
    _door_event(compartment, "fault", command.reason, item=item, actor=command_actor(command),
                actor_label=command.actor_label, detail=error or "")
    if item is not None and item.state == ItemState.RESERVED:
        item.state, item.ended_at = ItemState.CANCELLED, utcnow()
        db.session.commit()
        try:
            reserve_and_open(terminal, item.ticket, item.kind, command.reason,
                             min_size=Size.M if item.kind == ItemKind.RESULT or item.compartment.size != Size.S
                             else Size.S, actor=command_actor(command), actor_label=command.actor_label)
        except TerminalFull:
            pass
    db.session.commit()
    return command


def command_actor(command: DoorCommand) -> Staff | None:
    return db.session.get(Staff, command.actor_staff_id) if command.actor_staff_id else None


def doors_reported(terminal: Terminal, closed: dict[tuple[int, int], bool]) -> int:
    """The agent's reading of its boards: every open door now reported closed moves its item on."""
    changed = 0
    for compartment in db.session.scalars(select(Compartment).where(
            Compartment.terminal_id == terminal.id, Compartment.door == DoorState.OPEN)).all():
        if closed.get((compartment.board, compartment.lock)):
            door_closed(compartment, actor_label=f"terminal:{terminal.code}")
            changed += 1
    return changed


def item_progress(item: LockerItem) -> tuple[str, LockerItem | None]:
    """Where the person at the door stands: "waiting" (door opening or open), "closed" (done),
    or "moved" to another compartment after a fault (with the new item), or "failed"."""
    last = db.session.scalar(select(DoorEvent.event).where(DoorEvent.item_id == item.id)
                             .order_by(DoorEvent.id.desc()).limit(1))
    if last == "closed":
        return "closed", None
    if last == "fault" or item.state == ItemState.CANCELLED:
        replacement = db.session.scalar(select(LockerItem).where(
            LockerItem.ticket_id == item.ticket_id, LockerItem.kind == item.kind, LockerItem.id > item.id,
            LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD])).order_by(LockerItem.id.desc()).limit(1))
        if replacement is not None:
            return "moved", replacement
        if last == "fault":
            return "failed", None
    return "waiting", None
