"""A lock board (or a chain of them on one RS-485 line) that a real driver can talk to.

``transport="pty"`` serves on a pseudo-terminal: the driver opens ``url``, a tty path, as it would
open /dev/ttyUSB0.  ``transport="socket"`` serves on 127.0.0.1 as an Ethernet-to-RS-485 converter
does, ``url`` being ``socket://127.0.0.1:PORT``; it takes any number of successive (or
simultaneous) connections, since the driver connects once per command.

Faults are attributes, changed at any time: ``silent`` (a dead board: frames are seen on the line,
recorded in ``commanded``, and neither acted on nor answered), ``corrupt_every`` (every Nth reply
has a wrong checksum; 1 = all, 0 = none), ``jam()``, ``drop_line()`` and ``recover()``, and
``after_open`` ("silent" or "corrupt": what befalls the board right after it acts on an open frame).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty

from kiosk_app.hardware.locks import OPEN_FUNC, OPEN_HEADER, QUERY_FUNC, QUERY_HEADER, bcc
from kiosk_app.hardware.simulated import SimulatedBoard


class BoardSimulator:
    def __init__(self, transport: str = "pty", boards: tuple[int, ...] = (1,), locks: int = 24):
        if transport not in ("pty", "socket"):
            raise ValueError(f"transport is 'pty' or 'socket', not {transport!r}")
        self.transport = transport
        self.boards = {number: SimulatedBoard(number, locks) for number in boards}
        self.silent = False
        self.corrupt_every = 0
        self.after_open: str | None = None
        self.commanded: list[tuple[int, int]] = []  # every open frame received, in order
        self.requests: list[bytes] = []  # every whole frame received, in order
        self.replies = 0  # replies sent (corrupted ones included)
        self.max_connections = 0  # socket: the most connections open while a request was handled
        self._state = threading.Lock()
        self._line_up = True
        self._applied = threading.Event()
        self._stopping = False
        self._listener: socket.socket | None = None
        self._connections: dict[socket.socket, bytearray] = {}
        if transport == "pty":
            self.master, self.slave = os.openpty()
            tty.setraw(self.slave)  # no echo, no line editing: bytes pass as they are
            self.url = os.ttyname(self.slave)
            self._pty_buffer = bytearray()
        else:
            self._listen(0)
            self.port = self._listener.getsockname()[1]
            self.url = f"socket://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, name=f"board-sim-{transport}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ faults and the physical world

    def jam(self, lock: int, board: int = 1) -> None:
        self.boards[board].jammed.add(lock)

    def close_door(self, lock: int, board: int = 1) -> None:
        self.boards[board].close_door(lock)

    def physically_open(self) -> set[tuple[int, int]]:
        return {(number, lock) for number, sim in self.boards.items()
                for lock, closed in sim.closed.items() if not closed}

    def drop_line(self) -> None:
        """Socket: the converter goes away (connecting is refused).  Pty: the board falls silent."""
        if self.transport == "pty":
            self.silent = True
            return
        self._change_line(up=False)

    def recover(self) -> None:
        self.silent, self.corrupt_every, self.after_open = False, 0, None
        if self.transport == "socket":
            self._change_line(up=True)

    def stop(self) -> None:
        self._stopping = True
        self._thread.join(2)
        if self.transport == "pty":
            os.close(self.master)
            os.close(self.slave)
        else:
            self._close_sockets()

    # ------------------------------------------------------------ the board's side of the line

    def _answer(self, request: bytes) -> bytes:
        with self._state:
            self.requests.append(request)
            header, number, lock, func = request[:4]
            is_open = header == OPEN_HEADER and func == OPEN_FUNC
            if is_open:
                self.commanded.append((number, lock))
            board = self.boards.get(number)
            if self.silent or board is None:
                return b""
            reply = board.handle(request)
            if is_open and self.after_open == "silent":
                self.silent = True
            elif is_open and self.after_open == "corrupt":
                self.corrupt_every = 1
            if not reply:
                return b""
            self.replies += 1
            if self.corrupt_every and self.replies % self.corrupt_every == 0:
                reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
            return reply

    def _frames(self, buffer: bytearray):
        """Whole request frames from ``buffer`` (consumed), skipping bytes that start none."""
        while len(buffer) >= 5:
            candidate = bytes(buffer[:5])
            if candidate[0] in (OPEN_HEADER, QUERY_HEADER) and candidate[3] in (OPEN_FUNC, QUERY_FUNC) \
                    and candidate[4] == bcc(candidate[:4]):
                del buffer[:5]
                yield candidate
            else:
                del buffer[:1]

    def _serve(self) -> None:
        while not self._stopping:
            if self.transport == "pty":
                self._serve_pty()
            else:
                self._serve_sockets()

    def _serve_pty(self) -> None:
        ready, _, _ = select.select([self.master], [], [], 0.02)
        if not ready:
            return
        self._pty_buffer += os.read(self.master, 256)
        for request in self._frames(self._pty_buffer):
            reply = self._answer(request)
            if reply:
                os.write(self.master, reply)

    def _serve_sockets(self) -> None:
        if self._line_up != (self._listener is not None):
            if self._line_up:
                self._listen(self.port)
            else:
                self._close_sockets()
            self._applied.set()
        watched = list(self._connections) + ([self._listener] if self._listener else [])
        if not watched:
            time.sleep(0.02)
            return
        ready, _, _ = select.select(watched, [], [], 0.02)
        for sock in ready:
            if sock is self._listener:
                connection, _ = sock.accept()
                self._connections[connection] = bytearray()
                continue
            try:
                data = sock.recv(256)
            except OSError:
                data = b""
            if not data:
                del self._connections[sock]
                sock.close()
                continue
            buffer = self._connections[sock]
            buffer += data
            self.max_connections = max(self.max_connections, len(self._connections))
            for request in self._frames(buffer):
                reply = self._answer(request)
                if reply:
                    try:
                        sock.sendall(reply)
                    except OSError:
                        pass  # the driver hung up first; it will have timed out

    def _listen(self, port: int) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        self._listener = listener

    def _close_sockets(self) -> None:
        for connection in self._connections:
            connection.close()
        self._connections.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _change_line(self, up: bool) -> None:
        if (self._listener is not None) == up:
            return
        # The serving thread owns the sockets (closing one under its select() is unsafe): ask it.
        self._applied.clear()
        self._line_up = up
        if not self._applied.wait(2):
            raise RuntimeError("the board simulator did not change its line in time")
