"""The terminal agent: runs on a locker terminal's PC in a district deployment.

It fetches its terminal's door commands from the central server, drives the local lock board,
reports each outcome, and reports the boards' door states so that closing a door moves things on.
Standard library HTTP only; every request has a timeout; a server that is down is retried.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

from .locks import BoardFault, LockBoard, LockError, LockJammed, OpenUnconfirmed, PortBusy

log = logging.getLogger(__name__)


class Agent:
    def __init__(self, server: str, credential: str, board: LockBoard, boards: tuple[int, ...] = (1,),
                 timeout: float = 5.0):
        self.server, self.credential, self.board = server.rstrip("/"), credential, board
        self.boards, self.timeout = boards, timeout

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.server}/api{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.credential}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read() or b"{}")

    def run_once(self) -> int:
        """One round: open what is asked, report door states.  Returns the number of commands done.

        After a board fault the round's other commands for that board stay pending (the server sends
        them again next round): each would only cost the time of another unanswered query, and a
        board that answers nothing must not be asked to open door after door.  A busy port holds
        up every board on it, so then the remaining commands and the doors report wait for the
        next round.  The doors report names the boards whose status query failed, under "faults".
        """
        done = 0
        faults: dict[str, str] = {}  # board → why its status query failed this round
        failed: set[int] = set()  # boards whose other commands wait for the next round
        port_busy = False
        for command in self._call("GET", "/terminal/commands")["commands"]:
            board = command["board"]
            if port_busy or board in failed:
                continue
            try:
                self.board.open(board, command["lock"])
                result = {"ok": True}
            except LockError as error:
                result = {"ok": False, "fault": fault_kind(error), "error": str(error)}
                log.warning("board %s lock %s: %s", board, command["lock"], error)
                if isinstance(error, PortBusy):
                    port_busy = True
                elif isinstance(error, BoardFault):
                    failed.add(board)
                    if not error.commanded:
                        # open() begins with a status query, and that failed: no need to ask again.
                        faults[str(board)] = str(error)
            self._call("POST", f"/terminal/commands/{command['id']}", result)
            done += 1
        if port_busy:
            # Each query would wait for the port as long again; the next round reports the doors.
            return done
        states = {}
        for number in self.boards:
            if str(number) in faults:
                continue
            try:
                states[str(number)] = {str(lock): closed
                                       for lock, closed in self.board.status(number).items()}
            except LockError as error:
                log.warning("board %s: %s", number, error)
                faults[str(number)] = str(error)
        if states or faults:
            # A server that does not know "faults" acts on "boards" alone: nothing here depends on
            # what it makes of them, nor on its answer.
            report = {"boards": states, "faults": faults} if faults else {"boards": states}
            self._call("POST", "/terminal/doors", report)
        return done

    def run_forever(self, interval: float = 0.5) -> None:
        while True:
            try:
                self.run_once()
            except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
                log.warning("server %s: %s; retrying", self.server, error)
                time.sleep(max(interval, 2.0))
            time.sleep(interval)


def fault_kind(error: LockError) -> str:
    """What the server is told about a failed open: whose fault it was, and whether the door moved."""
    if isinstance(error, OpenUnconfirmed):
        return "unknown"  # commanded, then the board stopped answering: the door may be open
    if isinstance(error, BoardFault):
        return "board"
    if isinstance(error, LockJammed):
        return "door"
    if isinstance(error, PortBusy):
        return "busy"
    return "board"  # a LockError of no known kind: nothing says the door is at fault
