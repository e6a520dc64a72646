"""Lock boards' health: a board that does not answer is recorded once, on the board, never on a door."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...hardware.lines import driver_for
from ...hardware.locks import LockBoard, LockError, PortBusy
from ...hardware.simulated import SimulatedDoors
from ...models import Compartment, LockBoardState, Terminal
from ...models.base import utcnow


def _driver(terminal: Terminal) -> LockBoard:
    """The terminal's lock boards: the simulated cabinet, or the driver of its serial or socket line."""
    line = terminal.lock_line
    if line.kind == "sim":
        return SimulatedDoors(terminal)
    return driver_for(line, current_app.config)


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
        states = _driver(terminal).status(board)
    except PortBusy:
        return None
    except LockError as error:
        _board_failed(terminal, board, str(error))
        return None
    _board_answered(terminal, board)
    return states
