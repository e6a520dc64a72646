"""Doors: opening one through the terminal's driver, what the lock did, and what a closed door means.

What the boards report moves doors on too: ``check_boards`` (the health check) and ``refresh_door``
(a door page asking) read a board, and every open (or possibly open) door it reports closed moves on.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ...extensions import db
from ...hardware.locks import LockError, LockJammed, OpenUnconfirmed, PortBusy
from ...models import (
    CommandState,
    Compartment,
    CompartmentState,
    DoorCommand,
    DoorEvent,
    DoorEventKind,
    DoorReason,
    DoorState,
    ItemKind,
    ItemState,
    LockBoardState,
    LockerItem,
    Staff,
    Terminal,
)
from ...models.base import utcnow
from .. import notifications, workdays
from ..errors import DomainError, Unavailable
from ..uow import separate, use_case
from ..workflow import Action, record_locker_transition
from .boards import _board_answered, _board_failed, _board_state, _boards_of, _driver, _read_board
from .codes import _code_hash, pickup_code
from .notes import _ticket_note


class DoorFault(DomainError):
    """The board answered, and this door did not open (a jammed lock): the compartment is faulty."""


class LockerUnavailable(Unavailable):
    """The lock board (or its line) did not answer sensibly: no door can be trusted to open now.
    ``possibly_open`` says the open command may have reached the lock all the same."""

    def __init__(self, message, *, possibly_open: bool = False):
        super().__init__(message)
        self.possibly_open = possibly_open


UNAVAILABLE = _l("The locker cannot open its doors at the moment; staff have been told. Please hand the papers "
                 "in at the service centre.")
PORT_BUSY = _l("The locker is busy. Please try again in a moment.")

OUTCOME = "what the lock did is recorded once the board has answered, whatever the caller does next"


# ---------------------------------------------------------------- opening

def _door_event(compartment: Compartment, event: DoorEventKind, reason: DoorReason, *,
                item: LockerItem | None = None, actor: Staff | None = None, actor_label: str = "",
                detail: str = "") -> None:
    db.session.add(DoorEvent(compartment_id=compartment.id, item_id=item.id if item else None, event=event,
                             reason=reason, actor_staff_id=actor.id if actor else None, actor_label=actor_label,
                             detail=detail[:1000]))


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
    if terminal.lock_line.kind == "agent":
        with separate("the command stands for the agent to fetch"):
            db.session.add(DoorCommand(terminal_id=compartment.terminal_id, compartment_id=compartment.id,
                                       item_id=item.id if item else None, reason=reason,
                                       actor_staff_id=actor.id if actor else None, actor_label=actor_label))
        return
    try:
        _driver(terminal).open(compartment.board, compartment.lock)
    except PortBusy as error:
        with separate(OUTCOME):
            _door_event(compartment, DoorEventKind.BUSY, reason, detail=str(error), **who)
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
            _door_event(compartment, DoorEventKind.BOARD_FAULT, reason, detail=str(error), **who)
        raise LockerUnavailable(UNAVAILABLE) from None
    with separate(OUTCOME):
        if terminal.lock_line.kind != "sim":
            _board_answered(terminal, compartment.board)
        _door_opened(compartment, reason, **who)


def open_unless_open(compartment: Compartment, reason: DoorReason, **who) -> None:
    """Open a door for an item unless it already stands open: a second tap, or the code typed again
    while the door is open, commands no lock (a latch that fails then would mark an open door faulty)."""
    if compartment.door != DoorState.OPEN:
        open_door(compartment, reason, **who)


def _door_opened(compartment: Compartment, reason: DoorReason, **who) -> None:
    compartment.door, compartment.door_changed_at = DoorState.OPEN, utcnow()
    _door_event(compartment, DoorEventKind.OPENED, reason, **who)


def _door_failed(compartment: Compartment, detail: str, reason: DoorReason, **who) -> None:
    compartment.state, compartment.note = CompartmentState.FAULTY, (detail or "door did not open")[:200]
    _door_event(compartment, DoorEventKind.FAULT, reason, detail=detail, **who)


POSSIBLY_OPEN = _l("Door may have opened without confirmation: check the compartment is empty")


def _door_unknown(compartment: Compartment, detail: str, reason: DoorReason, **who) -> None:
    compartment.door, compartment.door_changed_at = DoorState.UNKNOWN, utcnow()
    compartment.state, compartment.note = CompartmentState.CHECK, str(POSSIBLY_OPEN)[:200]
    _door_event(compartment, DoorEventKind.UNKNOWN, reason, detail=detail, **who)


# ---------------------------------------------------------------- closing

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
    _door_event(compartment, DoorEventKind.CLOSED, reason, item=item, actor=actor, actor_label=actor_label)
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
    last = db.session.scalar(select(DoorEvent.reason).where(DoorEvent.event == DoorEventKind.OPENED)
                             .where(DoorEvent.item_id == (item.id if item else None))
                             .order_by(DoorEvent.id.desc()).limit(1)) if item else None
    return last or DoorReason.CHECK


def _pending_removal(item: LockerItem) -> ItemState | None:
    """What the last opening of a held item's door was for: collection, pickup or taking back."""
    reason = _closing_reason(item)
    return {DoorReason.COLLECT: ItemState.DONE, DoorReason.PICKUP: ItemState.DONE,
            DoorReason.TAKE_BACK: ItemState.TAKEN_BACK}.get(reason)


# ---------------------------------------------------------------- what the boards report

@use_case
def check_boards(terminal: Terminal) -> dict[int, str]:
    """The health check (``flask locker check``, the terminal's own traffic): ask every board of a
    terminal for its doors.  A board that answers clears its fault; what it says settles doors whose
    state was unknown and moves on items whose door has been closed.  Returns {board: fault or ""}."""
    if terminal.lock_line.kind == "agent":
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
    _door_event(compartment, DoorEventKind.OPENED, DoorReason.CHECK,
                actor_label=f"terminal:{compartment.terminal.code}",
                detail="reported open by the board, unexpectedly")


def _settle(compartment: Compartment, closed: bool) -> None:
    """A door whose state was unknown, now read from the board.  The compartment still waits for staff
    to look inside (it may hold papers put in while the app could not tell)."""
    compartment.door = DoorState.CLOSED if closed else DoorState.OPEN
    compartment.door_changed_at = utcnow()
    _door_event(compartment, DoorEventKind.SETTLED, DoorReason.CHECK, detail="closed" if closed else "open")


@use_case
def refresh_door(compartment: Compartment) -> None:
    """Ask a real board whether an open (or possibly open) door has been closed; a simulated door is
    closed by a click.  The board's answer, or its silence, is recorded on the board."""
    terminal = compartment.terminal
    if compartment.door == DoorState.CLOSED or terminal.lock_line.kind in ("sim", "agent"):
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


def item_progress(item: LockerItem) -> str:
    """Where the person at the door stands: "waiting" (door opening or open), "closed" (done), or
    "failed" (no door opened for it, or it was given up; the page says what to do)."""
    if item.compartment.terminal.lock_line.kind == "agent" and db.session.scalar(select(exists().where(
            DoorCommand.item_id == item.id, DoorCommand.state == CommandState.PENDING))):
        return "waiting"  # an agent has yet to open it (the item's last event may be an earlier closing)
    last = db.session.scalar(select(DoorEvent.event).where(DoorEvent.item_id == item.id)
                             .order_by(DoorEvent.id.desc()).limit(1))
    if last == DoorEventKind.CLOSED:
        return "closed"
    if item.state == ItemState.CANCELLED or last in (DoorEventKind.FAULT, DoorEventKind.BOARD_FAULT,
                                                     DoorEventKind.UNKNOWN, DoorEventKind.BUSY,
                                                     DoorEventKind.RELEASED, DoorEventKind.ESCALATED):
        return "failed"
    return "waiting"
