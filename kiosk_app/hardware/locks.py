"""Lock boards: the interface, and the common RS-485 lock-control board protocol over serial.

The board speaks 9600 8N1 in 5-byte frames ``HEADER BOARD LOCK FUNC BCC``, where BCC is the XOR
of the four bytes before it:

- open one lock:   ``8A bb ll 11 BCC``        (e.g. ``8A 01 01 11 9B``)
- query one lock:  ``80 bb ll 33 BCC``        (e.g. ``80 01 01 33 B3``), answered with the same
  frame whose third byte is the lock's state (1 = closed, 0 = open)
- query all:       ``80 bb 00 33 BCC``        (e.g. ``80 01 00 33 B2``), answered with
  ``80 bb S1 S2 S3 33 BCC``: bitmaps of locks 17–24, 9–16 and 1–8 (bit set = closed).

``serial_for_url`` accepts device paths and ``socket://host:port`` (Ethernet-to-RS-485
converters) alike.  Every exchange has a timeout and a bounded number of retries; silence and bad
checksums become ``LockError`` with a clear message, never a hang.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

OPEN_HEADER, QUERY_HEADER = 0x8A, 0x80
OPEN_FUNC, QUERY_FUNC = 0x11, 0x33


class LockError(Exception):
    """The board did not do what was asked, or did not answer sensibly."""


def bcc(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def frame(header: int, board: int, lock: int, func: int) -> bytes:
    body = bytes([header, board, lock, func])
    return body + bytes([bcc(body)])


def open_frame(board: int, lock: int) -> bytes:
    return frame(OPEN_HEADER, board, lock, OPEN_FUNC)


def query_frame(board: int, lock: int = 0) -> bytes:
    return frame(QUERY_HEADER, board, lock, QUERY_FUNC)


def parse_status(board: int, reply: bytes) -> dict[int, bool]:
    """``80 bb S1 S2 S3 33 BCC`` → {lock number: closed?} for locks 1–24."""
    if len(reply) != 7:
        raise LockError(f"board {board}: status reply has {len(reply)} bytes, expected 7")
    if reply[-1] != bcc(reply[:-1]):
        raise LockError(f"board {board}: status reply has a bad checksum ({reply.hex(' ')})")
    if reply[0] != QUERY_HEADER or reply[1] != board or reply[5] != QUERY_FUNC:
        raise LockError(f"board {board}: unexpected status reply ({reply.hex(' ')})")
    states = {}
    for offset, first_lock in ((4, 1), (3, 9), (2, 17)):
        for bit in range(8):
            states[first_lock + bit] = bool(reply[offset] >> bit & 1)
    return states


class LockBoard(Protocol):
    def open(self, board: int, lock: int) -> None:
        """Open one lock and confirm it opened, or raise LockError."""

    def status(self, board: int) -> dict[int, bool]:
        """Every lock of a board: True = closed."""


@dataclass
class SerialLockBoard:
    """The real driver.  ``url`` is a serial device (``/dev/ttyUSB0``) or ``socket://host:port``."""

    url: str
    baudrate: int = 9600
    timeout: float = 0.5
    retries: int = 2
    settle: float = 0.15  # time the latch needs before the status shows it open
    rs485: bool = False

    def __post_init__(self):
        self._lock = threading.Lock()
        self._port = None

    def _serial(self):
        if self._port is None:
            import serial

            try:
                self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, bytesize=8, parity="N",
                                                   stopbits=1, timeout=self.timeout, write_timeout=self.timeout)
            except (serial.SerialException, OSError, ValueError) as error:
                raise LockError(f"cannot open the lock board port {self.url}: {error}") from None
            if self.rs485:
                from serial.rs485 import RS485Settings

                self._port.rs485_mode = RS485Settings()
        return self._port

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None

    def _exchange(self, request: bytes, reply_length: int) -> bytes:
        import serial

        last_error = "no answer"
        for _attempt in range(self.retries + 1):
            try:
                port = self._serial()
                port.reset_input_buffer()
                port.write(request)
                port.flush()
                if reply_length == 0:
                    return b""
                reply = port.read(reply_length)
            except (serial.SerialException, OSError) as error:
                self.close()
                last_error = str(error)
                continue
            if len(reply) == reply_length and reply[-1] == bcc(reply[:-1]):
                return reply
            last_error = "no answer (timeout)" if not reply else f"garbled answer {reply.hex(' ')}"
        raise LockError(f"lock board at {self.url}: {last_error} after {self.retries + 1} tries")

    def status(self, board: int) -> dict[int, bool]:
        with self._lock:
            return parse_status(board, self._exchange(query_frame(board), 7))

    def open(self, board: int, lock: int) -> None:
        if not 1 <= lock <= 24:
            raise LockError(f"lock {lock} is not on a 24-lock board")
        with self._lock:
            # The open command has no reply on these boards: confirm with a status query.
            self._exchange(open_frame(board, lock), 0)
        deadline = time.monotonic() + self.settle + self.timeout * (self.retries + 1)
        time.sleep(self.settle)
        while True:
            if not self.status(board)[lock]:
                return
            if time.monotonic() > deadline:
                raise LockError(f"board {board} lock {lock} did not open")
            time.sleep(0.05)


class SimulatedBoard:
    """A lock board in memory (tests, and the pseudo-terminal device below)."""

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
