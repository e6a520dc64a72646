"""Terminal agents (district deployments): the agent on a terminal's PC fetches its door commands,
drives the board, and reports what each did and what the boards read."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import (
    CommandState,
    CompartmentState,
    DoorCommand,
    DoorEventKind,
    DoorState,
    ItemKind,
    ItemState,
    Staff,
    Terminal,
)
from ...models.base import utcnow
from ..errors import NotFound
from ..uow import use_case
from .boards import _board_answered, _board_failed
from .doors import POSSIBLY_OPEN, _apply_board_reading, _door_event, _door_failed, _door_opened, _door_unknown
from .notes import _ticket_note

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
    from ..validation import record_id

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
            _door_event(compartment, DoorEventKind.OPENED, command.reason,
                        detail="late: after the command had expired", **who)
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
        _door_event(compartment, DoorEventKind.BOARD_FAULT, command.reason, detail=error, **who)
    else:
        _door_event(compartment, DoorEventKind.BUSY, command.reason, detail=error, **who)
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
