"""Simulated lock boards: the demo's cabinet, whose doors are the database's, and a board in memory
that speaks the frame protocol of ``locks.py``."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Compartment, DoorState, Terminal
from .locks import OPEN_FUNC, OPEN_HEADER, QUERY_FUNC, QUERY_HEADER, BoardFault, LockJammed, bcc


def is_simulated(terminal: Terminal) -> bool:
    """Whether a terminal's doors are the simulated cabinet's (a click closes one)."""
    return terminal.lock_line.kind == "sim"


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


class SimulatedBoard:
    """A lock board in memory, speaking the frame protocol (the tests' pseudo-terminal and socket boards)."""

    def __init__(self, board: int = 1, locks: int = 24):
        self.board, self.closed = board, {n: True for n in range(1, locks + 1)}
        self.jammed: set[int] = set()  # locks whose latch does not move
        self.opened: list[int] = []

    def handle(self, request: bytes) -> bytes:
        """The board's answer to one request frame (b"" for none)."""
        if len(request) != 5 or request[4] != bcc(request[:4]) or request[1] != self.board:
            return b""
        header, _board, lock, func = request[:4]
        if header == OPEN_HEADER and func == OPEN_FUNC and lock in self.closed:
            if lock not in self.jammed:
                self.closed[lock] = False
                self.opened.append(lock)
            return b""
        if header == QUERY_HEADER and func == QUERY_FUNC:
            s = [0, 0, 0]
            for n, closed in self.closed.items():
                if closed:
                    s[2 - (n - 1) // 8] |= 1 << ((n - 1) % 8)
            body = bytes([QUERY_HEADER, self.board, s[0], s[1], s[2], QUERY_FUNC])
            return body + bytes([bcc(body)])
        return b""

    def close_door(self, lock: int) -> None:
        self.closed[lock] = True
