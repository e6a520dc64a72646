"""The locker: reserving compartments, opening doors, and what a closed door means.

Every door opening goes through ``open_door``, which records a ``DoorEvent`` (who, why, when).
A closed door moves the item on: papers deposited (the ticket's compartment is recorded),
papers collected (the ticket becomes "received"), a result placed (a pickup code is made), a
result picked up (the ticket closes).

What the hardware does wrong is told apart (see ``hardware/locks.py``):
- the board or its line fails (no answer, garbled answers, an unreachable converter): recorded once
  on the board (``LockBoardState``), never charged to a door; the attempt stops there, and the
  fault clears itself when the board answers again (``check_boards``, or the next command);
- a lock that the board says stayed shut is a door fault: that compartment is faulty until repaired;
- an open command that may have reached the lock, unconfirmed: the door is "possibly open", raises
  the open-door alert, and the compartment waits for staff to look inside.
Each attempt commands at most one lock, so one fault never walks through the cabinet.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..hardware.locks import BoardFault, LockBoard, LockError, LockJammed, OpenUnconfirmed, PortBusy, SerialLockBoard
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
    LockBoardState,
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
from .errors import DomainError, InvalidInput, NotFound, Throttled, Unavailable
from .uow import separate, unit_of_work, use_case
from .workflow import Action, record_locker_transition


class TerminalFull(DomainError):
    pass


class DoorFault(DomainError):
    """The board answered, and this door did not open (a jammed lock): the compartment is faulty."""


class LockerUnavailable(Unavailable):
    """The lock board (or its line) did not answer sensibly: no door can be trusted to open now.
    ``possibly_open`` says the open command may have reached the lock all the same."""

    def __init__(self, message, *, possibly_open: bool = False):
        super().__init__(message)
        self.possibly_open = possibly_open


FULL = _l("Sorry, every compartment of a fitting size is in use. Please hand the papers in at the service "
          "centre, or try another locker.")
UNAVAILABLE = _l("The locker cannot open its doors at the moment; staff have been told. Please hand the papers "
                 "in at the service centre.")
PORT_BUSY = _l("The locker is busy. Please try again in a moment.")


# ---------------------------------------------------------------- drivers

class SimulatedDoors:
    """Doors of a simulated cabinet: the database is the cabinet.  A demo visitor (or a test) closes a
    door by a click; ``jammed`` lists (terminal id, board, lock) whose latch does not move, and
    ``silent`` the terminal ids whose board does not answer."""

    jammed: set[tuple[int, int, int]] = set()
    silent: set[int] = set()

    def __init__(self, terminal: Terminal):
        self.terminal = terminal

    def open(self, board: int, lock: int) -> None:
        if self.terminal.id in self.silent:
            raise BoardFault(f"simulated board {board}: no answer")
        if (self.terminal.id, board, lock) in self.jammed:
            raise LockJammed(f"simulated board {board} lock {lock} is jammed")

    def status(self, board: int) -> dict[int, bool]:
        if self.terminal.id in self.silent:
            raise BoardFault(f"simulated board {board}: no answer")
        rows = db.session.execute(select(Compartment.lock, Compartment.door).where(
            Compartment.terminal_id == self.terminal.id, Compartment.board == board))
        return {lock: door != DoorState.OPEN for lock, door in rows}


_serial_boards: dict[tuple, SerialLockBoard] = {}


def driver_for(terminal: Terminal) -> LockBoard:
    url = terminal.lock_url or "sim://"
    if url.startswith("sim:"):
        return SimulatedDoors(terminal)
    config = current_app.config
    settings = dict(rs485=config.get("LOCK_RS485", False), timeout=config["LOCK_TIMEOUT"],
                    retries=config["LOCK_RETRIES"], command_seconds=config["LOCK_COMMAND_SECONDS"],
                    lock_dir=config.get("LOCK_PORT_DIR") or None)
    key = (url, tuple(sorted(settings.items())))
    if key not in _serial_boards:
        _serial_boards[key] = SerialLockBoard(url, **settings)
    return _serial_boards[key]


def is_simulated(terminal: Terminal) -> bool:
    return (terminal.lock_url or "sim://").startswith("sim:")


# ---------------------------------------------------------------- lock boards' health

def _board_state(terminal_id: int, number: int) -> LockBoardState:
    state = db.session.scalar(select(LockBoardState).filter_by(terminal_id=terminal_id, number=number))
    if state is None:
        try:
            with db.session.begin_nested():  # two requests may meet the board first at once
                state = LockBoardState(terminal_id=terminal_id, number=number, fault="")
                db.session.add(state)
        except IntegrityError:
            state = db.session.scalar(select(LockBoardState).filter_by(terminal_id=terminal_id, number=number))
    return state


def _board_answered(terminal: Terminal, number: int) -> None:
    """The board answered sensibly: its fault, if any, is over.  Written only when something changes
    (or once a minute), so a door page polling every second does not write every second."""
    now = utcnow()
    state = _board_state(terminal.id, number)
    if state.fault or state.answered_at is None or now - state.answered_at > timedelta(seconds=60):
        state.fault, state.fault_since, state.checked_at, state.answered_at = "", None, now, now


def _board_failed(terminal: Terminal, number: int, detail: str) -> None:
    now = utcnow()
    state = _board_state(terminal.id, number)
    if not state.fault:
        state.fault_since = now
    state.fault, state.checked_at = (detail or "no answer")[:300], now


def board_faults(terminal: Terminal) -> list[LockBoardState]:
    """The boards of a terminal that did not answer when last asked."""
    return list(db.session.scalars(select(LockBoardState).where(
        LockBoardState.terminal_id == terminal.id, LockBoardState.fault != "").order_by(LockBoardState.number)))


def board_numbers(terminal: Terminal) -> set[int]:
    """The lock boards a terminal's compartments are wired to."""
    return set(_boards_of(terminal))


def _boards_of(terminal: Terminal) -> list[int]:
    return list(db.session.scalars(select(Compartment.board).where(Compartment.terminal_id == terminal.id)
                                   .distinct().order_by(Compartment.board)))


def _read_board(terminal: Terminal, board: int) -> dict[int, bool] | None:
    """A board's locks (True = closed), recording whether it answered; None when it did not."""
    try:
        states = driver_for(terminal).status(board)
    except PortBusy:
        return None
    except LockError as error:
        _board_failed(terminal, board, str(error))
        return None
    _board_answered(terminal, board)
    return states


@use_case
def check_boards(terminal: Terminal) -> dict[int, str]:
    """The health check (``flask locker check``, the terminal's own traffic): ask every board of a
    terminal for its doors.  A board that answers clears its fault; what it says settles doors whose
    state was unknown and moves on items whose door has been closed.  Returns {board: fault or ""}."""
    if uses_agent(terminal):
        return {s.number: s.fault for s in db.session.scalars(
            select(LockBoardState).filter_by(terminal_id=terminal.id))}
    result = {}
    for board in _boards_of(terminal):
        states = _read_board(terminal, board)
        if states is not None:
            _apply_board_reading(terminal, board, states)
        result[board] = "" if states is not None else _board_state(terminal.id, board).fault
    return result


def _apply_board_reading(terminal: Terminal, board: int, states: dict[int, bool]) -> int:
    """Doors the app thinks open (or possibly open) that the board reports: settle or close them."""
    changed = 0
    for compartment in db.session.scalars(select(Compartment).where(
            Compartment.terminal_id == terminal.id, Compartment.board == board)).all():
        closed = states.get(compartment.lock)
        if closed is None:
            continue
        if compartment.door == DoorState.CLOSED:
            if not closed and active_item(compartment) is None:
                _opened_unexpectedly(compartment)
                changed += 1
            continue  # (a door of an item may be opening right now: its own request records it)
        if compartment.door == DoorState.UNKNOWN:
            _settle(compartment, closed)
        elif closed:
            door_closed(compartment, actor_label=f"terminal:{terminal.code}")
        changed += 1
    return changed


def _opened_unexpectedly(compartment: Compartment) -> None:
    """The board reports open a door the app had closed and empty (forced, or opened by a command the
    app gave up on): recorded open, and the compartment waits for staff to look inside."""
    compartment.door, compartment.door_changed_at = DoorState.OPEN, utcnow()
    compartment.state, compartment.note = CompartmentState.CHECK, str(POSSIBLY_OPEN)[:200]
    _door_event(compartment, "opened", DoorReason.CHECK, actor_label=f"terminal:{compartment.terminal.code}",
                detail="reported open by the board, unexpectedly")


def _settle(compartment: Compartment, closed: bool) -> None:
    """A door whose state was unknown, now read from the board.  The compartment still waits for staff
    to look inside (it may hold papers put in while the app could not tell)."""
    compartment.door = DoorState.CLOSED if closed else DoorState.OPEN
    compartment.door_changed_at = utcnow()
    _door_event(compartment, "settled", DoorReason.CHECK, detail="closed" if closed else "open")


# ---------------------------------------------------------------- reserving

def _free_compartments(terminal_id: int, min_size: Size):
    active = exists().where(LockerItem.compartment_id == Compartment.id,
                            LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD]))
    sizes = [s for s in Size if s.rank >= min_size.rank]
    return (
        select(Compartment)
        .where(Compartment.terminal_id == terminal_id, Compartment.state == CompartmentState.IN_SERVICE,
               Compartment.size.in_(sizes), Compartment.door == DoorState.CLOSED, ~active)
    )


def active_item_of(ticket: Ticket, kind: ItemKind) -> LockerItem | None:
    return db.session.scalar(select(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == kind,
        LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD])))


def reserve(terminal: Terminal, ticket: Ticket, kind: ItemKind, min_size: Size = Size.S,
            actor: Staff | None = None) -> LockerItem:
    """Hold a free compartment of at least ``min_size`` for ``ticket`` (smallest fitting first, on a
    board that answers before one that did not).

    Safe under concurrency: PostgreSQL skips rows other transactions are locking, and unique indexes
    on active items refuse a second item in a compartment and a second active item of a kind for one
    ticket (a double tap: the other request's item is returned); a refused attempt tries the next
    compartment.  Each failed attempt means another request got a compartment, so this ends.
    """
    faulty_boards = select(LockBoardState.number).where(LockBoardState.terminal_id == terminal.id,
                                                        LockBoardState.fault != "")
    smallest_first = case((Compartment.size == Size.S, 0), (Compartment.size == Size.M, 1), else_=2)
    answering_first = case((Compartment.board.in_(faulty_boards), 1), else_=0)
    stmt = (_free_compartments(terminal.id, min_size)
            .order_by(answering_first, smallest_first, Compartment.number).limit(1))
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Compartment)
    for _attempt in range(200):
        try:
            with separate(RESERVED_FIRST):
                compartment = db.session.scalar(stmt)
                if compartment is None:
                    raise TerminalFull(FULL)
                item = LockerItem(compartment_id=compartment.id, ticket_id=ticket.id, kind=kind,
                                  state=ItemState.RESERVED, created_by_id=actor.id if actor else None)
                db.session.add(item)
        except IntegrityError:
            if (other := active_item_of(ticket, kind)) is not None:
                return other
            continue
        item.just_reserved = True  # not a column: tells reserve_and_open this request made it
        return item
    raise TerminalFull(FULL)


RESERVED_FIRST = "the compartment is held before its door is driven, and no transaction waits on the hardware"
OUTCOME = "what the lock did is recorded once the board has answered, whatever the caller does next"


# ---------------------------------------------------------------- doors

def _door_event(compartment: Compartment, event: str, reason: DoorReason, *, item: LockerItem | None = None,
                actor: Staff | None = None, actor_label: str = "", detail: str = "") -> None:
    db.session.add(DoorEvent(compartment_id=compartment.id, item_id=item.id if item else None, event=event,
                             reason=reason, actor_staff_id=actor.id if actor else None, actor_label=actor_label,
                             detail=detail[:1000]))


def uses_agent(terminal: Terminal) -> bool:
    return (terminal.lock_url or "").startswith("agent")


def open_door(compartment: Compartment, reason: DoorReason, *, item: LockerItem | None = None,
              actor: Staff | None = None, actor_label: str = "") -> None:
    """Command one lock through the terminal's driver, and record what happened.

    Raises ``DoorFault`` when the board says the lock stayed shut (the compartment is marked faulty),
    and ``LockerUnavailable`` when the board or its line failed (recorded on the board; when the
    command may have reached the lock, the door is recorded as possibly open).  A terminal run by an
    agent gets a queued command instead; the agent reports the outcome (``command_done``).
    """
    terminal = compartment.terminal
    who = dict(item=item, actor=actor, actor_label=actor_label)
    if uses_agent(terminal):
        with separate("the command stands for the agent to fetch"):
            db.session.add(DoorCommand(terminal_id=compartment.terminal_id, compartment_id=compartment.id,
                                       item_id=item.id if item else None, reason=reason,
                                       actor_staff_id=actor.id if actor else None, actor_label=actor_label))
        return
    try:
        driver_for(terminal).open(compartment.board, compartment.lock)
    except PortBusy as error:
        with separate(OUTCOME):
            _door_event(compartment, "busy", reason, detail=str(error), **who)
        raise LockerUnavailable(PORT_BUSY) from None
    except LockJammed as error:
        with separate(OUTCOME):
            _board_answered(terminal, compartment.board)
            _door_failed(compartment, str(error), reason, **who)
        raise DoorFault(_l("Door %(number)d did not open.", number=compartment.number)) from None
    except OpenUnconfirmed as error:
        with separate(OUTCOME):
            _board_failed(terminal, compartment.board, str(error))
            _door_unknown(compartment, str(error), reason, **who)
        raise LockerUnavailable(UNAVAILABLE, possibly_open=True) from None
    except LockError as error:  # the board or its line: no lock was commanded
        with separate(OUTCOME):
            _board_failed(terminal, compartment.board, str(error))
            _door_event(compartment, "board_fault", reason, detail=str(error), **who)
        raise LockerUnavailable(UNAVAILABLE) from None
    with separate(OUTCOME):
        if not is_simulated(terminal):
            _board_answered(terminal, compartment.board)
        _door_opened(compartment, reason, **who)


def _door_opened(compartment: Compartment, reason: DoorReason, **who) -> None:
    compartment.door, compartment.door_changed_at = DoorState.OPEN, utcnow()
    _door_event(compartment, "opened", reason, **who)


def _door_failed(compartment: Compartment, detail: str, reason: DoorReason, **who) -> None:
    compartment.state, compartment.note = CompartmentState.FAULTY, (detail or "door did not open")[:200]
    _door_event(compartment, "fault", reason, detail=detail, **who)


POSSIBLY_OPEN = _l("Door may have opened without confirmation: check the compartment is empty")


def _door_unknown(compartment: Compartment, detail: str, reason: DoorReason, **who) -> None:
    compartment.door, compartment.door_changed_at = DoorState.UNKNOWN, utcnow()
    compartment.state, compartment.note = CompartmentState.CHECK, str(POSSIBLY_OPEN)[:200]
    _door_event(compartment, "unknown", reason, detail=detail, **who)


def reserve_and_open(terminal: Terminal, ticket: Ticket, kind: ItemKind, reason: DoorReason, *,
                     min_size: Size = Size.S, actor: Staff | None = None, actor_label: str = "") -> LockerItem:
    """Reserve a compartment and open it: one lock commanded at most.  If the door fails the item is
    given up and the error raised (``DoorFault``, ``LockerUnavailable``), so the person is told at once
    and may try another compartment; a fault never walks through the cabinet door by door.  The
    ticket's timeline says what happened (the resident's status page shows it)."""
    if (existing := active_item_of(ticket, kind)) is not None:  # a double tap: the first tap's door
        return existing
    try:
        item = reserve(terminal, ticket, kind, min_size, actor)
    except TerminalFull:
        if kind == ItemKind.SUBMISSION:
            with separate("the resident's ticket says no door opened"):
                _ticket_note(ticket, "locker_full", None)
        raise
    if not getattr(item, "just_reserved", False):  # the other request of a double tap reserved it
        return item
    try:
        open_door(item.compartment, reason, item=item, actor=actor, actor_label=actor_label)
    except (DoorFault, LockerUnavailable) as error:
        # (A worker that dies before this leaves the reservation to the sweeper, which releases it.)
        with separate("the reservation is given up once its door has failed"):
            item.state, item.ended_at = ItemState.CANCELLED, utcnow()
            if kind == ItemKind.SUBMISSION:
                problem = ("door_unknown" if getattr(error, "possibly_open", False)
                           else "door_jammed" if isinstance(error, DoorFault) else "locker_fault")
                _ticket_note(ticket, problem, item.compartment)
        raise
    return item


@use_case
def door_closed(compartment: Compartment, *, actor: Staff | None = None, actor_label: str = "") -> LockerItem | None:
    """A door was reported closed: move its item on.  Returns the item that changed, if any."""
    if compartment.door == DoorState.CLOSED:
        return None
    if compartment.door == DoorState.UNKNOWN:  # a possibly open door, now known closed
        _settle(compartment, closed=True)
        return None
    compartment.door = DoorState.CLOSED
    compartment.door_changed_at = now = utcnow()
    item = active_item(compartment)
    reason = _closing_reason(item)
    _door_event(compartment, "closed", reason, item=item, actor=actor, actor_label=actor_label)
    if item is None:
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
    "locker_full": _l("No compartment of a fitting size was free, so no door opened. Please hand the papers in at "
                      "the service centre with this ticket number."),
    "locker_fault": _l("The locker could not open a door (staff have been told). Please hand the papers in at the "
                       "service centre with this ticket number."),
    "door_jammed": _l("Door %(number)d did not open (staff have been told). Try another compartment, or hand the "
                      "papers in at the service centre with this ticket number."),
    "door_unknown": _l("The locker could not confirm that door %(number)d opened. If it is open, please close it "
                       "without putting anything in, and hand the papers in at the service centre with this "
                       "ticket number."),
    "dropoff_released": _l("No door opened for your papers. Please hand them in at the service centre with this "
                           "ticket number."),
    "dropoff_escalated": _l("Door %(number)d was not closed in time; staff will check the compartment. If your "
                            "papers are not found there, please hand them in at the service centre."),
}
# What went wrong with a drop-off, as the resident's ticket page tells it (the latest of these wins).
DROP_OFF_PROBLEMS = ("locker_full", "locker_fault", "door_jammed", "door_unknown", "dropoff_released",
                     "dropoff_escalated")
# After these another compartment may well open (the board may have recovered, a door been freed).
RETRYABLE = ("locker_full", "locker_fault", "door_jammed", "dropoff_released")


def _ticket_note(ticket: Ticket, action: str, compartment: Compartment | None, *, actor: Staff | None = None,
                 public: bool = True) -> None:
    # Written in the resident's language: they read it on their status page.
    with force_locale(ticket.locale or "zh_CN"):
        note = str(LOCKER_NOTES[action]) % {"number": compartment.number if compartment else 0}
    label = "" if actor else (f"terminal:{compartment.terminal.code}" if compartment else "locker")
    with db.session.no_autoflush:
        ticket.events.append(TicketEvent(action=action, actor_staff_id=actor.id if actor else None,
                                         actor_label=label, note=note, public=public, created_at=utcnow()))


def drop_off_problem(ticket: Ticket) -> TicketEvent | None:
    """What the resident must be told about a drop-off that did not put their papers in a compartment
    (the latest locker problem on the timeline, unless papers went in or a door is open for them since)."""
    if ticket.channel != Channel.LOCKER or ticket.status == Status.WITHDRAWN:
        return None
    if active_item_of(ticket, ItemKind.SUBMISSION) is not None:
        return None
    last = db.session.scalar(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id,
        TicketEvent.action.in_((*DROP_OFF_PROBLEMS, "papers_deposited"))).order_by(TicketEvent.id.desc()).limit(1))
    return last if last is not None and last.action != "papers_deposited" else None


def drop_off_tried(ticket: Ticket) -> bool:
    """Whether this ticket's drop-off has already had its go: a compartment was reserved for it, or
    none was free.  The same form sent again then tries no door."""
    return db.session.scalar(select(
        exists().where(LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.SUBMISSION)
        | exists().where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "locker_full")))


def tries_left(ticket: Ticket) -> bool:
    tries = db.session.scalar(select(db.func.count()).select_from(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.SUBMISSION))
    return tries < current_app.config["DROP_OFF_TRIES"]


def retry_drop_off(terminal: Terminal, ticket: Ticket, *, actor_label: str = "resident") -> LockerItem:
    """One more try for a ticket whose drop-off did not open a door: another compartment, one lock."""
    if ticket.terminal_id != terminal.id or ticket.channel != Channel.LOCKER:
        raise NotFound(_l("We could not find this ticket."))
    if (item := active_item_of(ticket, ItemKind.SUBMISSION)) is not None:
        return item
    if drop_off_problem(ticket) is None or ticket.status != Status.SUBMITTED:
        raise DomainError(_l("Nothing to try again for this ticket."))
    if not tries_left(ticket):
        raise DomainError(_l("The locker has been tried enough times for this ticket. Please hand the papers in "
                             "at the service centre."))
    return reserve_and_open(terminal, ticket, ItemKind.SUBMISSION, DoorReason.DROP_OFF,
                            min_size=Size.M if ticket.service.needs_paperwork else Size.S, actor_label=actor_label)


# ---------------------------------------------------------------- stranded reservations

_last_sweep: dict[int, float] = {}


def maybe_sweep(terminal: Terminal) -> None:
    """Sweep from the terminal's own traffic (its screen, door pages, its agent), at most every
    SWEEP_SECONDS per terminal and worker: a reservation left by a worker that died mid drop-off
    ends even if nobody runs ``flask locker check``."""
    now = time.monotonic()
    if now - _last_sweep.get(terminal.id, -1e9) < current_app.config["SWEEP_SECONDS"]:
        return
    _last_sweep[terminal.id] = now
    sweep(terminal)


@use_case
def sweep(terminal: Terminal | None = None) -> dict[str, int]:
    """End what was left half done, and say so with a door event each:
    - an agent's door command not done within AGENT_COMMAND_SECONDS is given up (the agent will not
      open that door later), and its reservation released if the door never opened;
    - a reservation older than RESERVATION_TIMEOUT_SECONDS whose door never opened is released;
    - one whose door opened (or may have) and was never closed is escalated: the item is given up and
      the compartment waits for staff to look inside (the open-door alert is already up).
    """
    config, now = current_app.config, utcnow()
    counts = {"expired_commands": 0, "released": 0, "escalated": 0}
    stale_commands = select(DoorCommand).where(
        DoorCommand.state == CommandState.PENDING,
        DoorCommand.created_at < now - timedelta(seconds=config["AGENT_COMMAND_SECONDS"]))
    if terminal is not None:
        stale_commands = stale_commands.where(DoorCommand.terminal_id == terminal.id)
    for command in db.session.scalars(stale_commands).all():
        command.state, command.done_at = CommandState.FAILED, now
        command.error = "expired: the terminal's agent did not answer in time"
        counts["expired_commands"] += 1
        if command.item is not None and command.item.state == ItemState.RESERVED and not _opened(command.item):
            _release(command.item, "the terminal's agent did not answer")
            counts["released"] += 1
    stale = select(LockerItem).join(Compartment).where(
        LockerItem.state == ItemState.RESERVED,
        LockerItem.created_at < now - timedelta(seconds=config["RESERVATION_TIMEOUT_SECONDS"]))
    if terminal is not None:
        stale = stale.where(Compartment.terminal_id == terminal.id)
    for item in db.session.scalars(stale).all():
        for command in db.session.scalars(select(DoorCommand).filter_by(item_id=item.id,
                                                                        state=CommandState.PENDING)):
            command.state, command.done_at, command.error = CommandState.FAILED, now, "expired"
        if item.compartment.door == DoorState.CLOSED and not _opened(item) and _reads_closed(item.compartment):
            _release(item, "reservation timed out before the door opened")
            counts["released"] += 1
        else:
            _escalate(item)
            counts["escalated"] += 1
    return counts


def _reads_closed(compartment: Compartment) -> bool:
    """Before a compartment is given back: a worker may have died after its open frame went out and
    before it recorded the opening, so a real board is asked.  A lock that reads open is recorded
    open; a board that does not answer leaves the door possibly open."""
    terminal = compartment.terminal
    if is_simulated(terminal) or uses_agent(terminal):  # nothing commanded that the app did not record
        return True
    states = _read_board(terminal, compartment.board)
    closed = None if states is None else states.get(compartment.lock)
    if closed:
        return True
    compartment.door = DoorState.OPEN if closed is False else DoorState.UNKNOWN
    compartment.door_changed_at = utcnow()
    return False


def _opened(item: LockerItem) -> bool:
    return db.session.scalar(select(exists().where(DoorEvent.item_id == item.id, DoorEvent.event == "opened")))


def _release(item: LockerItem, detail: str) -> None:
    item.state, item.ended_at = ItemState.CANCELLED, utcnow()
    _door_event(item.compartment, "released", _opening_reason(item), item=item, actor_label="sweeper", detail=detail)
    if item.kind == ItemKind.SUBMISSION:
        _ticket_note(item.ticket, "dropoff_released", item.compartment)


ESCALATED = _l("Left open past its time: check for papers of ticket %(number)s, then put it back in service")


def _escalate(item: LockerItem) -> None:
    compartment = item.compartment
    item.state, item.ended_at = ItemState.CANCELLED, utcnow()
    compartment.state = CompartmentState.CHECK
    compartment.note = str(ESCALATED % {"number": item.ticket.number})[:200]
    _door_event(compartment, "escalated", _opening_reason(item), item=item, actor_label="sweeper",
                detail=f"door {compartment.door.value} past RESERVATION_TIMEOUT_SECONDS; ticket {item.ticket.number}")
    if item.kind == ItemKind.SUBMISSION:
        _ticket_note(item.ticket, "dropoff_escalated", compartment)


def _opening_reason(item: LockerItem) -> DoorReason:
    return DoorReason.DROP_OFF if item.kind == ItemKind.SUBMISSION else DoorReason.RETURN


# ---------------------------------------------------------------- pickup codes
#
# Guessing is bounded per terminal, not per person: a person is easy to replace (another phone,
# another address), a terminal is not.  In each window of PICKUP_WINDOW_SECONDS a
# terminal's keypad checks at most ``keypad_ceiling`` wrong codes, sized so that a year of guessing at
# full speed, every compartment holding a result, opens fewer than PICKUP_GUESS_BUDGET doors on
# average (README, "Pickup codes"); it takes that many only under a deliberate attack.  Mistakes
# are slowed where they are made: a screen or phone waits longer after each of its wrong codes, and
# nobody else waits for them.

CODE_DIGITS = 8
YEAR_SECONDS = 365 * 24 * 60 * 60


def pickup_code(item: LockerItem) -> str:
    """The item's 8-digit code, derived from the app's secret: the database holds only its hash,
    and the status page (which only the ticket's QR reaches) can still show it."""
    key = current_app.config["SECRET_KEY"].encode()
    moment = int(item.held_at.timestamp() * 1_000_000)
    digest = hmac.new(key, f"pickup:{item.id}:{item.ticket.token}:{moment}".encode(), "sha256")
    return f"{int.from_bytes(digest.digest()[:8], 'big') % 10 ** CODE_DIGITS:0{CODE_DIGITS}d}"


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:{code}".encode()).hexdigest()


def _typed_digits(code: str | None) -> str:
    """The digits typed: a space ("1234 5678", as the status page groups them) or a phone keyboard's
    full-width digits do not matter."""
    import unicodedata

    return "".join(str(unicodedata.decimal(ch)) for ch in (code or "") if ch.isdecimal())


CODE_REFUSED = _l("This code does not open any door here. Check the code on your ticket's page.")
CODE_LENGTH = _l("A pickup code has 8 digits. Check the code on your ticket's page.")


def keypad_ceiling(terminal: Terminal) -> int:
    """Wrong codes the terminal's keypad checks per window: F = ⌊B·10^L / (W·C)⌋, with B the
    PICKUP_GUESS_BUDGET, L the code's digits, C the terminal's compartments and W the windows that
    one 365-day year can touch.  A window starts with the first code after the previous one ended,
    so a year touches one more than fit in it (366 of a day; 365 would let 366·228·12/10^8 > 0.01
    through a demo cabinet).  A wrong code hits one of at most C waiting codes with probability
    ≤ C/10^L, so a year's guessing opens at most W·F·C/10^L ≤ B doors on average."""
    from fractions import Fraction

    from sqlalchemy import func

    config = current_app.config
    compartments = db.session.scalar(select(func.count()).select_from(Compartment)
                                     .where(Compartment.terminal_id == terminal.id))
    windows = -(-YEAR_SECONDS // config["PICKUP_WINDOW_SECONDS"]) + 1
    budget = Fraction(str(config["PICKUP_GUESS_BUDGET"]))  # 0.01 exactly, not the float nearest to it
    return int(budget * 10 ** CODE_DIGITS / (windows * max(compartments, 1)))


def _waits() -> list[int]:
    """Seconds a screen or phone waits after n wrong codes (the last entry for any more): nothing
    after the free ones, then 10, 20, 40 … up to 15 minutes."""
    config = current_app.config
    waits, wait = [0] * (config["PICKUP_FREE_TRIES"] + 1), max(1, config["PICKUP_FIRST_WAIT_SECONDS"])
    while wait < config["PICKUP_MAX_WAIT_SECONDS"]:
        waits.append(wait)
        wait *= 2
    return waits + [config["PICKUP_MAX_WAIT_SECONDS"]]


def _wait_words(seconds: float) -> str:
    """A wait in the reader's language, never shorter than it is ("40秒", "2分钟")."""
    import math

    from flask_babel import format_timedelta

    if seconds <= 60:
        return format_timedelta(timedelta(seconds=max(1, math.ceil(seconds))), threshold=1)
    return format_timedelta(timedelta(minutes=math.ceil(seconds / 60)), threshold=1)


def _keypad_closed(until):
    return _l("Too many wrong codes have been entered at this locker: its keypad takes codes again at "
              "%(time)s. Until then, scan the QR code on this locker's screen with your phone and open your "
              "door from your ticket's page, or ask the service centre.",
              time=until.astimezone(workdays.LOCAL_TZ).strftime("%Y-%m-%d %H:%M"))


def keypad_closed_notice(terminal: Terminal):
    """What the keypad page says while the terminal's keypad takes no codes (None while it does)."""
    until = throttle.window_end(f"pickup:{terminal.id}", current_app.config["PICKUP_WINDOW_SECONDS"],
                                after=keypad_ceiling(terminal))
    return _keypad_closed(until) if until is not None else None


def pick_up(terminal: Terminal, code: str, *, source: str = "keypad") -> LockerItem:
    """Open the door of the result whose code this is.

    ``source`` is the screen or phone the code comes from (the route names the screen as itself and a
    phone by its address; callers without one share "keypad").  Its wrong codes make it wait, longer after each; a right code
    clears that.  The terminal's keypad checks at most ``keypad_ceiling`` wrong codes per window,
    then refuses codes until the window ends, and staff are alerted.  A code is counted before it
    is checked, atomically, so codes sent in parallel are all counted; a malformed one checks
    nothing and counts nothing.
    """
    window = current_app.config["PICKUP_WINDOW_SECONDS"]
    digits = _typed_digits(code)
    if len(digits) != CODE_DIGITS:
        raise InvalidInput({"code": CODE_LENGTH})
    keypad, ceiling = f"pickup:{terminal.id}", keypad_ceiling(terminal)
    closed_until = throttle.window_end(keypad, window, after=ceiling)
    if closed_until is not None:
        raise Throttled(_keypad_closed(closed_until))
    mine, waits = f"{keypad}:{source[:64]}", _waits()
    counted, retry_at = throttle.count_spaced_attempt(mine, window, waits)
    if counted is None:  # still waiting: not checked
        raise Throttled(_l("Too many wrong codes from this screen or phone. Please try again in %(wait)s.",
                           wait=_wait_words((retry_at - utcnow()).total_seconds())))
    failures = throttle.count_attempt(keypad, window)
    if failures > ceiling:  # other codes filled the window while this one was on its way
        raise Throttled(_keypad_closed(throttle.window_end(keypad, window) or utcnow()))
    item = db.session.scalar(select(LockerItem).join(Compartment).where(
        Compartment.terminal_id == terminal.id, LockerItem.kind == ItemKind.RESULT,
        LockerItem.state == ItemState.HELD, LockerItem.pickup_code_hash == _code_hash(digits),
        LockerItem.pickup_expires_at > utcnow()))
    if item is None:
        until = throttle.window_end(keypad, window)
        with separate("staff are alerted though the code is refused"):
            if failures == 1:  # once a window: forget the screens and phones of windows that are over
                throttle.drop_expired(f"{keypad}:", window)
            _alert_staff(terminal, failures, ceiling, until)
        if failures >= ceiling and until is not None:  # that was the window's last code
            raise Throttled(_keypad_closed(until))
        wait = waits[min(counted, len(waits) - 1)]
        if wait:
            raise InvalidInput({"code": _l("This code does not open any door here. Check the code on your "
                                           "ticket's page. You can try again in %(wait)s.", wait=_wait_words(wait))})
        raise InvalidInput({"code": CODE_REFUSED})
    with separate("a right code counts against nobody, whatever the door does next"):
        # Its screen or phone starts afresh, the keypad takes it back.
        throttle.clear(mine)
        throttle.forgive(keypad)
    open_door(item.compartment, DoorReason.PICKUP, item=item, actor_label="resident")
    return item


def _alert_staff(terminal: Terminal, failures: int, ceiling: int, until) -> None:
    """Record on the terminal that someone may be guessing codes: from PICKUP_ALERT_FAILURES wrong
    codes in a window (or the ceiling, if lower) until the window ends.  One conditional update, so
    parallel wrong codes leave the highest count, and the first alert's time stands."""
    from sqlalchemy import or_, update

    threshold = min(current_app.config["PICKUP_ALERT_FAILURES"], ceiling)
    if failures < threshold or until is None:
        return
    table = Terminal.__table__
    db.session.execute(update(table).where(
        table.c.id == terminal.id,
        or_(table.c.keypad_alert_until.is_(None), table.c.keypad_alert_until < until,
            table.c.keypad_alert_failures < failures),
    ).values(keypad_alert_at=case((table.c.keypad_alert_until == until, table.c.keypad_alert_at),
                                  else_=utcnow()),
             keypad_alert_failures=failures, keypad_alert_until=until))
    if failures in (threshold, ceiling):
        current_app.logger.warning("terminal %s: %d wrong pickup codes in the window ending %s%s",
                                   terminal.code, failures, until.isoformat(),
                                   "; keypad closed" if failures >= ceiling else "")


class KeypadAlert:
    """Wrong pickup codes at a terminal's keypad in its current window, as staff are shown them."""

    def __init__(self, terminal: Terminal, ceiling: int, window_seconds: int):
        self.raised_at = terminal.keypad_alert_at
        self.failures = terminal.keypad_alert_failures
        self.until = terminal.keypad_alert_until  # the window's end: a closed keypad reopens then
        self.since = self.until - timedelta(seconds=window_seconds)
        self.ceiling = ceiling
        self.closed = self.failures >= ceiling


def keypad_alert(terminal: Terminal) -> KeypadAlert | None:
    """The current alert about guessed codes at this terminal's keypad, or None."""
    if terminal.keypad_alert_at is None or terminal.keypad_alert_until is None \
            or terminal.keypad_alert_until <= utcnow():
        return None
    return KeypadAlert(terminal, keypad_ceiling(terminal), current_app.config["PICKUP_WINDOW_SECONDS"])


def pickup_code_for_ticket(ticket: Ticket) -> tuple[LockerItem, str] | None:
    """The code to show on a ticket's status page, while its result waits in a compartment."""
    if not ticket.physical_result or ticket.status not in (Status.COMPLETED, Status.CLOSED):  # nothing waits
        return None
    item = db.session.scalar(select(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.RESULT, LockerItem.state == ItemState.HELD,
        LockerItem.pickup_expires_at > utcnow()))
    return (item, pickup_code(item)) if item else None


# ---------------------------------------------------------------- staff at the terminal

def _staff_here(actor: Staff, terminal: Terminal) -> None:
    from .scope import require_terminal

    require_terminal(actor, terminal)


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

    _staff_here(actor, terminal)
    wanted = record_id(item_id)
    item = next((i for i in collectable(actor, terminal) if i.id == wanted), None)
    if item is None:
        raise NotFound(_l("Nothing to collect there."))
    open_door(item.compartment, DoorReason.COLLECT, item=item, actor=actor)
    return item


def start_return(actor: Staff, terminal: Terminal, ticket_id) -> LockerItem:
    """Staff put a completed ticket's physical result into a compartment of this terminal."""
    from . import scope

    _staff_here(actor, terminal)
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


def uncollected(actor: Staff, terminal: Terminal | None = None) -> list[LockerItem]:
    """Results whose pickup period has passed, in the staff member's scope (at one terminal, when
    given): to be taken back."""
    from .scope import ticket_filter

    stmt = (select(LockerItem).join(Ticket, LockerItem.ticket_id == Ticket.id)
            .where(LockerItem.kind == ItemKind.RESULT, LockerItem.state == ItemState.HELD,
                   LockerItem.pickup_expires_at <= utcnow(), ticket_filter(actor))
            .order_by(LockerItem.pickup_expires_at))
    if terminal is not None:
        stmt = stmt.join(Compartment, LockerItem.compartment_id == Compartment.id).where(
            Compartment.terminal_id == terminal.id)
    return list(db.session.scalars(stmt))


def take_back(actor: Staff, terminal: Terminal, item_id) -> LockerItem:
    from .validation import record_id

    _staff_here(actor, terminal)
    wanted = record_id(item_id)
    item = next((i for i in uncollected(actor, terminal) if i.id == wanted), None)
    if item is None:
        raise NotFound(_l("Nothing to take back there."))
    open_door(item.compartment, DoorReason.TAKE_BACK, item=item, actor=actor)
    with separate("once the door is open the code stops working, whatever the date says"):
        item.pickup_code_hash = None
    return item


def staff_close_door(actor: Staff, terminal: Terminal, compartment_id) -> Compartment:
    """Demo cabinet: a member of staff closes an open simulated door of this terminal."""
    from .validation import record_id

    _staff_here(actor, terminal)
    compartment = db.session.get(Compartment, record_id(compartment_id) or 0)
    if compartment is None or compartment.terminal_id != terminal.id or not is_simulated(terminal):
        raise NotFound(_l("No such compartment."))
    door_closed(compartment, actor=actor)
    return compartment


def to_check(terminal: Terminal) -> list[Compartment]:
    """Compartments that may hold something the app does not know of: staff look inside."""
    return list(db.session.scalars(select(Compartment).where(
        Compartment.terminal_id == terminal.id, Compartment.state == CompartmentState.CHECK)
        .order_by(Compartment.number)))


def check_open(actor: Staff, terminal: Terminal, compartment_id) -> Compartment:
    """Staff open a compartment that waits for a check, to look inside."""
    compartment = _to_check_here(actor, terminal, compartment_id)
    if compartment.door == DoorState.CLOSED:
        open_door(compartment, DoorReason.CHECK, actor=actor)
    return compartment


def checked_empty(actor: Staff, terminal: Terminal, compartment_id) -> Compartment:
    """Staff looked inside, took out anything there, and closed the door: back in service."""
    compartment = _to_check_here(actor, terminal, compartment_id)
    if (item := active_item(compartment)) is not None:
        # Its item's own flow (pickup, collection, taking back) still runs through this door.
        raise DomainError(_l("Door %(number)d still holds the item of ticket %(ticket)s: collect it or take it "
                             "back as usual.", number=compartment.number, ticket=item.ticket.number))
    if not is_simulated(terminal) and compartment.door != DoorState.CLOSED:
        refresh_door(compartment)
    if compartment.door != DoorState.CLOSED and not is_simulated(terminal):
        raise DomainError(_l("Door %(number)d is not reported closed yet. Close it firmly, then confirm.",
                             number=compartment.number))
    with unit_of_work():
        if compartment.door != DoorState.CLOSED:  # the demo cabinet: confirming closes it
            compartment.door, compartment.door_changed_at = DoorState.CLOSED, utcnow()
        compartment.state, compartment.note = CompartmentState.IN_SERVICE, ""
        _door_event(compartment, "checked", DoorReason.CHECK, actor=actor, detail="checked and empty")
    return compartment


def _to_check_here(actor: Staff, terminal: Terminal, compartment_id) -> Compartment:
    """A compartment may hold any grid's papers: community staff check it, not volunteers."""
    from .scope import require_desk_role
    from .validation import record_id

    _staff_here(actor, terminal)
    require_desk_role(actor)
    wanted = record_id(compartment_id)
    compartment = next((c for c in to_check(terminal) if c.id == wanted), None)
    if compartment is None:
        raise NotFound(_l("No such compartment."))
    return compartment


# ---------------------------------------------------------------- residents' items, by token

def item_by_token(terminal: Terminal, token: str) -> LockerItem:
    """An item of this terminal by its token (the route checks the browser is the item's owner)."""
    item = db.session.scalar(select(LockerItem).filter_by(token=(token or "")[:32])) if token else None
    if item is None or item.compartment.terminal_id != terminal.id:
        raise NotFound(_l("Nothing to show there."))
    return item


@use_case
def cancel_drop_off(item: LockerItem) -> LockerItem:
    """The resident gave up before closing the door on their papers."""
    if item.kind != ItemKind.SUBMISSION or item.state != ItemState.RESERVED:
        raise NotFound(_l("Nothing to cancel there."))
    item.state, item.ended_at = ItemState.CANCELLED, utcnow()
    record_locker_transition(item.ticket, Action.WITHDRAW, actor_label="resident")
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


@use_case
def refresh_door(compartment: Compartment) -> None:
    """Ask a real board whether an open (or possibly open) door has been closed; a simulated door is
    closed by a click.  The board's answer, or its silence, is recorded on the board."""
    terminal = compartment.terminal
    if compartment.door == DoorState.CLOSED or is_simulated(terminal) or uses_agent(terminal):
        return
    states = _read_board(terminal, compartment.board)
    if states is not None:
        _apply_board_reading(terminal, compartment.board, states)


def open_too_long(terminal: Terminal) -> list[Compartment]:
    """Doors to check at once: left open past DOOR_CLOSE_SECONDS, or possibly open (unconfirmed)."""
    limit = utcnow() - timedelta(seconds=current_app.config["DOOR_CLOSE_SECONDS"])
    return list(db.session.scalars(select(Compartment).where(
        Compartment.terminal_id == terminal.id,
        ((Compartment.door == DoorState.OPEN) & (Compartment.door_changed_at < limit))
        | (Compartment.door == DoorState.UNKNOWN)).order_by(Compartment.number)))


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


@use_case
def set_compartment_service(actor: Staff, terminal: Terminal, compartment_id, in_service: bool) -> Compartment:
    """Take a compartment out of service, or put it (also a repaired faulty one, or one checked) back."""
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
    return compartment


LOCK_URL_HELP = _l("A lock line is sim:// (simulated), agent (a terminal agent drives the board), a serial "
                   "device such as /dev/ttyUSB0, or socket://host:port (an Ethernet-to-RS-485 converter).")


def normalise_lock_url(url: str) -> str:
    """Check a terminal's lock line; raise DomainError with what is accepted."""
    from urllib.parse import urlsplit

    url = (url or "").strip()
    if url in ("sim", "sim://"):
        return "sim://"
    if url == "agent":
        return "agent"
    if url.startswith("/dev/") and url.isprintable() and " " not in url and len(url) <= 200:
        return url
    if url.startswith("socket://"):
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.hostname and port and len(url) <= 200:
            return url
    raise DomainError(LOCK_URL_HELP)


@use_case
def set_lock_url(terminal: Terminal, url: str) -> Terminal:
    terminal.lock_url = normalise_lock_url(url)
    return terminal


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
    """Commands for the agent: never one older than AGENT_COMMAND_SECONDS (nobody waits at that door)."""
    fresh = utcnow() - timedelta(seconds=current_app.config["AGENT_COMMAND_SECONDS"])
    return list(db.session.scalars(select(DoorCommand).where(
        DoorCommand.terminal_id == terminal.id, DoorCommand.state == CommandState.PENDING,
        DoorCommand.created_at >= fresh).order_by(DoorCommand.id)))


AGENT_FAULTS = ("board", "unknown", "door", "busy")


@use_case
def command_done(terminal: Terminal, command_id, ok: bool, error: str = "", fault: str = "door") -> DoorCommand:
    """The agent's report on one command, told apart as the driver tells it: "door" (the board said the
    lock stayed shut: the compartment is faulty), "board" (the board or its line failed: recorded on
    the board, no door charged), "unknown" (sent, unconfirmed: possibly open), "busy".  The item
    waiting on a failed command is given up; the person at the door is told and may try again."""
    from .validation import record_id

    command = db.session.get(DoorCommand, record_id(command_id) or 0)
    if command is None or command.terminal_id != terminal.id:
        raise NotFound(_l("No such command."))
    compartment, item = command.compartment, command.item
    who = dict(item=item, actor=command_actor(command), actor_label=command.actor_label)
    if command.state != CommandState.PENDING:
        if ok and command.state == CommandState.FAILED and compartment.door == DoorState.CLOSED:
            # A door opened after the server gave up on the command: nobody is waiting at it.
            compartment.door, compartment.door_changed_at = DoorState.OPEN, utcnow()
            compartment.state, compartment.note = CompartmentState.CHECK, str(POSSIBLY_OPEN)[:200]
            _door_event(compartment, "opened", command.reason, detail="late: after the command had expired", **who)
        return command  # otherwise a repeated report after a lost answer
    command.done_at = utcnow()
    if ok:
        command.state = CommandState.DONE
        _board_answered(terminal, compartment.board)
        _door_opened(compartment, command.reason, **who)
        return command
    fault = fault if fault in AGENT_FAULTS else "door"
    command.state, command.error = CommandState.FAILED, f"{fault}: {error or 'door did not open'}"[:300]
    if fault == "door":
        _board_answered(terminal, compartment.board)
        _door_failed(compartment, error, command.reason, **who)
    elif fault == "unknown":
        _board_failed(terminal, compartment.board, error)
        _door_unknown(compartment, error, command.reason, **who)
    elif fault == "board":
        _board_failed(terminal, compartment.board, error)
        _door_event(compartment, "board_fault", command.reason, detail=error, **who)
    else:
        _door_event(compartment, "busy", command.reason, detail=error, **who)
    if item is not None and item.state == ItemState.RESERVED:
        item.state, item.ended_at = ItemState.CANCELLED, utcnow()
        if item.kind == ItemKind.SUBMISSION:
            problem = {"door": "door_jammed", "unknown": "door_unknown"}.get(fault, "locker_fault")
            _ticket_note(item.ticket, problem, compartment)
    return command


def command_actor(command: DoorCommand) -> Staff | None:
    return db.session.get(Staff, command.actor_staff_id) if command.actor_staff_id else None


@use_case
def doors_reported(terminal: Terminal, closed: dict[tuple[int, int], bool],
                   faults: dict[int, str] | None = None) -> int:
    """The agent's reading of its boards: boards that answered are healthy, those in ``faults`` did not;
    every open (or possibly open) door now reported closed moves on."""
    boards = sorted({board for board, _lock in closed})
    for board in boards:
        _board_answered(terminal, board)
    for board, detail in (faults or {}).items():
        _board_failed(terminal, board, detail)
    changed = 0
    for board in boards:
        changed += _apply_board_reading(terminal, board, {lock: c for (b, lock), c in closed.items() if b == board})
    return changed


def item_progress(item: LockerItem) -> str:
    """Where the person at the door stands: "waiting" (door opening or open), "closed" (done), or
    "failed" (no door opened for it, or it was given up; the page says what to do)."""
    if uses_agent(item.compartment.terminal) and db.session.scalar(select(exists().where(
            DoorCommand.item_id == item.id, DoorCommand.state == CommandState.PENDING))):
        return "waiting"  # an agent has yet to open it (the item's last event may be an earlier closing)
    last = db.session.scalar(select(DoorEvent.event).where(DoorEvent.item_id == item.id)
                             .order_by(DoorEvent.id.desc()).limit(1))
    if last == "closed":
        return "closed"
    if item.state == ItemState.CANCELLED or last in ("fault", "board_fault", "unknown", "busy", "released",
                                                     "escalated"):
        return "failed"
    return "waiting"
