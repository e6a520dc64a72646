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

from .locks import LockBoard, LockError

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
        """One round: open what is asked, report door states.  Returns the number of commands done."""
        done = 0
        for command in self._call("GET", "/terminal/commands")["commands"]:
            try:
                self.board.open(command["board"], command["lock"])
                result = {"ok": True}
            except LockError as error:
                result = {"ok": False, "error": str(error)}
            self._call("POST", f"/terminal/commands/{command['id']}", result)
            done += 1
        states = {}
        for number in self.boards:
            try:
                states[str(number)] = {str(lock): closed for lock, closed in self.board.status(number).items()}
            except LockError as error:
                log.warning("board %s: %s", number, error)
        if states:
            self._call("POST", "/terminal/doors", {"boards": states})
        return done

    def run_forever(self, interval: float = 0.5) -> None:
        while True:
            try:
                self.run_once()
            except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
                log.warning("server %s: %s; retrying", self.server, error)
                time.sleep(max(interval, 2.0))
            time.sleep(interval)
