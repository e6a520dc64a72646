"""Lock boards: the interface, and the common RS-485 lock-control board protocol over serial.

The board speaks 9600 8N1 in 5-byte frames ``HEADER BOARD LOCK FUNC BCC``, where BCC is the XOR
of the four bytes before it:

- open one lock:   ``8A bb ll 11 BCC``        (e.g. ``8A 01 01 11 9B``)
- query one lock:  ``80 bb ll 33 BCC``        (e.g. ``80 01 01 33 B3``), answered with the same
  frame whose third byte is the lock's state (1 = closed, 0 = open)
- query all:       ``80 bb 00 33 BCC``        (e.g. ``80 01 00 33 B2``), answered with
  ``80 bb S1 S2 S3 33 BCC``: bitmaps of locks 17–24, 9–16 and 1–8 (bit set = closed).

``serial_for_url`` accepts device paths and ``socket://host:port`` (Ethernet-to-RS-485
converters) alike; the latter is opened through ``socket_port.py``, bounded in time.

What went wrong decides what the caller may do next, so failures are told apart:

- ``BoardFault``: the board or its line failed (no answer, only bad checksums, the port cannot be
  opened).  No open frame was written, so no door moved: trying another door is pointless.
- ``OpenUnconfirmed`` (a ``BoardFault``): the open frame was written but the board stopped
  answering before the door read open.  The door may be open.
- ``LockJammed``: the board answered correctly throughout and the lock stayed closed: a door fault.
- ``PortBusy``: another process held the port for longer than this command's time budget.

Each command is one transaction on the port, bounded by ``command_seconds`` overall: the port is
opened, locked against every other process using it (gunicorn workers, the agent), used and
closed again, so processes never read each other's replies.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Protocol

from .socket_port import socket_port_class

OPEN_HEADER, QUERY_HEADER = 0x8A, 0x80
OPEN_FUNC, QUERY_FUNC = 0x11, 0x33


class LockError(Exception):
    """The board did not do what was asked, or did not answer sensibly."""


class BoardFault(LockError):
    """The board or its line failed: no reply, only bad replies after the retries, or the port cannot
    be opened (an unplugged converter, a missing device).  No open frame was written."""

    commanded = False


class OpenUnconfirmed(BoardFault):
    """The open frame was written, then confirming it failed at board level: the door may be open."""

    commanded = True


class LockJammed(LockError):
    """The board answered correctly and the lock stayed closed: a fault of this door, not the board."""

    commanded = True


class PortBusy(LockError):
    """Another process held the port for longer than this command's time budget.  Nothing was written."""

    commanded = False


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
        raise BoardFault(f"board {board}: status reply has {len(reply)} bytes, expected 7")
    if reply[-1] != bcc(reply[:-1]):
        raise BoardFault(f"board {board}: status reply has a bad checksum ({reply.hex(' ')})")
    if reply[0] != QUERY_HEADER or reply[1] != board or reply[5] != QUERY_FUNC:
        raise BoardFault(f"board {board}: unexpected status reply ({reply.hex(' ')})")
    states = {}
    for offset, first_lock in ((4, 1), (3, 9), (2, 17)):
        for bit in range(8):
            states[first_lock + bit] = bool(reply[offset] >> bit & 1)
    return states


class LockBoard(Protocol):
    def open(self, board: int, lock: int) -> None:
        """Open one lock and confirm it opened.  Raises ``BoardFault`` (nothing was commanded),
        ``OpenUnconfirmed`` (commanded, the door may be open), ``LockJammed`` (a door fault) or
        ``PortBusy``; all are ``LockError``."""

    def status(self, board: int) -> dict[int, bool]:
        """Every lock of a board: True = closed.  Raises ``BoardFault`` or ``PortBusy``."""


class _Deadline:
    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self.left())))


class _Transaction:
    """One use of the port by this process: the port's lock file is held throughout, the port is opened
    when first needed and closed at the end (or after an I/O error, so a retry starts afresh)."""

    def __init__(self, driver: SerialLockBoard, deadline: _Deadline):
        self.driver, self.deadline = driver, deadline
        self.lock_fd: int | None = None
        self.waited = False  # whether another process held the port when this one began
        self._port = None

    def port(self):
        if self._port is None:
            self._port = self.driver._open_port(self.deadline)
        return self._port

    def set_timeouts(self, seconds: float) -> None:
        port = self.port()
        # Every change reconfigures a device port (tcsetattr): only change what differs.
        if port.timeout != seconds:
            port.timeout = seconds
        if port.write_timeout != seconds:
            port.write_timeout = seconds

    def drop(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            # Closing a port that already failed must not hide that failure.
            with suppress(Exception):
                port.close()


@dataclass
class SerialLockBoard:
    """The real driver.  ``url`` is a serial device (``/dev/ttyUSB0``) or ``socket://host:port``.

    ``timeout`` bounds one read or write, ``retries`` is how many more times a query is sent after
    silence or a bad reply, and ``command_seconds`` bounds a whole ``open()`` or ``status()``,
    waiting for the port included.  ``lock_dir`` holds the lock file that makes every process on
    this machine take turns on the port (default: the temporary directory).
    """

    url: str
    baudrate: int = 9600
    timeout: float = 0.3
    retries: int = 2
    settle: float = 0.15  # time the latch needs before the status shows it open
    rs485: bool = False
    command_seconds: float = 3.0
    lock_dir: str | None = None

    poll_interval = 0.05  # between status queries while waiting for a latch (not a field)
    reconnect_grace = 0.3  # socket://: how long a refused connection is tried again (not a field)

    # ------------------------------------------------------------ the interface

    def status(self, board: int) -> dict[int, bool]:
        deadline = _Deadline(self.command_seconds)
        with self._transaction(deadline, needs=self.timeout) as tx:
            return self._query(tx, board)

    def check(self, board: int) -> None:
        """A health check: raises ``BoardFault`` (or ``PortBusy``) unless the board answers."""
        self.status(board)

    def open(self, board: int, lock: int) -> None:
        if not 1 <= lock <= 24:
            raise LockError(f"lock {lock} is not on a 24-lock board")
        deadline = _Deadline(self.command_seconds)
        # Time for the pre-check, the latch and one confirming query: an open frame is only worth
        # writing when there is time left to learn whether it worked.
        needs = 2 * self.timeout + self.settle
        with self._transaction(deadline, needs=needs) as tx:
            # A board that does not answer now gets no open frame: a board that hears but cannot
            # answer would otherwise open this door, and the caller would try door after door.
            if not self._query(tx, board)[lock]:
                return
            if deadline.left() < self.timeout + self.settle:
                kind = PortBusy if tx.waited else BoardFault
                raise kind(f"board {board} lock {lock}: too little of the {self.command_seconds:g} s "
                           f"left to open and confirm; nothing was sent")
            self._send_open(tx, board, lock)
            sent = time.monotonic()
            deadline.sleep(self.settle)
            while True:
                try:
                    states = self._query(tx, board)
                except LockError as error:
                    raise OpenUnconfirmed(f"board {board} lock {lock}: the open command was sent but the board "
                                          f"stopped answering, the door may be open ({error})") from None
                if not states[lock]:
                    return
                # Another query only when it has a full read timeout: one cut short by the deadline
                # would turn a plain jam into "unconfirmed".
                if deadline.left() < self.timeout + self.poll_interval:
                    break
                deadline.sleep(self.poll_interval)
        raise LockJammed(f"board {board} lock {lock} did not open: the board answers and still reports it "
                         f"closed {time.monotonic() - sent:.1f} s after the open command")

    def close(self) -> None:
        """Nothing to release: the port is only open during a command."""

    # ------------------------------------------------------------ the port

    @property
    def lock_path(self) -> str:
        # Two names of one device (/dev/ttyUSB0 and a /dev/serial/by-id link) must share a lock.
        key = self.url if "://" in self.url else os.path.realpath(self.url)
        digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
        return os.path.join(self.lock_dir or tempfile.gettempdir(), f"cloudlocker-port-{digest}.lock")

    @contextmanager
    def _transaction(self, deadline: _Deadline, needs: float):
        tx = _Transaction(self, deadline)
        self._lock_port(tx, give_up=deadline.at - needs)
        try:
            yield tx
        finally:
            tx.drop()
            fcntl.flock(tx.lock_fd, fcntl.LOCK_UN)
            os.close(tx.lock_fd)

    def _lock_port(self, tx: _Transaction, give_up: float) -> None:
        """Hold the port's lock file exclusively; wait for it until ``give_up``, then ``PortBusy``."""
        path = self.lock_path
        try:
            try:
                # Reading is enough for flock, and a file another user created may not be writable.
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)
        except OSError as error:
            raise BoardFault(f"cannot open the lock file of port {self.url} ({path}): {error}") from None
        started, delay = time.monotonic(), 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                tx.lock_fd = fd
                return
            except BlockingIOError:
                tx.waited = True
            except OSError as error:
                os.close(fd)
                raise BoardFault(f"cannot lock port {self.url} ({path}): {error}") from None
            now = time.monotonic()
            if now >= give_up:
                os.close(fd)
                raise PortBusy(f"lock board port {self.url} is in use by another process "
                               f"(waited {now - started:.1f} s); nothing was sent")
            time.sleep(min(delay, give_up - now))
            delay = min(delay * 2, 0.02)

    def _open_port(self, deadline: _Deadline):
        import serial

        settings = {"baudrate": self.baudrate, "bytesize": 8, "parity": "N", "stopbits": 1,
                    "timeout": self.timeout, "write_timeout": self.timeout}
        is_device = "://" not in self.url
        if is_device:
            # pyserial then flocks the device too: a program that does not know our lock file
            # (a terminal emulator, a second copy with another lock_dir) cannot interleave either.
            settings["exclusive"] = True
        refused_until = min(time.monotonic() + self.reconnect_grace, deadline.at)
        while True:
            try:
                if self.url.lower().startswith("socket://"):
                    port = socket_port_class()(None, **settings)
                    port.connect_timeout = max(0.01, deadline.left())
                    port.port = self.url
                    try:
                        port.open()
                    except serial.SerialException as error:
                        # A converter that takes one client at a time may refuse us while it is
                        # still closing the previous command's connection: try again briefly.
                        if error.errno == errno.ECONNREFUSED and time.monotonic() < refused_until - 0.05:
                            deadline.sleep(0.05)
                            continue
                        raise
                else:
                    port = serial.serial_for_url(self.url, do_not_open=True, **settings)
                    port.open()
            except serial.SerialException as error:
                if is_device and error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    if deadline.left() > 0.02:
                        time.sleep(0.02)
                        continue
                    raise PortBusy(f"lock board port {self.url} is held by another program; "
                                   f"nothing was sent") from None
                raise BoardFault(f"cannot open the lock board port {self.url}: {error}") from None
            except (OSError, ValueError) as error:
                raise BoardFault(f"cannot open the lock board port {self.url}: {error}") from None
            break
        if self.rs485:
            from serial.rs485 import RS485Settings

            try:
                port.rs485_mode = RS485Settings()
            except (serial.SerialException, OSError, ValueError) as error:
                port.close()
                raise BoardFault(f"cannot switch {self.url} to RS-485 mode: {error}") from None
        return port

    # ------------------------------------------------------------ exchanges

    def _query(self, tx: _Transaction, board: int) -> dict[int, bool]:
        """Every lock of ``board``; a reply is trusted only whole, with a good checksum, from that board."""
        import serial

        request, problems = query_frame(board), []
        for _attempt in range(self.retries + 1):
            wait = min(self.timeout, tx.deadline.left())
            if wait <= 0:
                problems.append("out of time")
                break
            port = tx.port()
            try:
                tx.set_timeouts(wait)
                port.reset_input_buffer()  # a late or partial answer to an earlier try
                port.write(request)
                port.flush()
                reply = port.read(7)
            except (serial.SerialException, OSError) as error:
                tx.drop()
                problems.append(f"I/O error ({error})")
                continue
            if not reply:
                problems.append(f"no answer in {wait:.2g} s")
                continue
            try:
                return parse_status(board, reply)
            except LockError as error:
                problems.append(str(error).removeprefix(f"board {board}: "))
        tries = len(problems) - problems.count("out of time")
        summary = "; ".join(dict.fromkeys(problems))  # each kind of failure once, in order
        raise BoardFault(f"lock board {board} at {self.url}: {summary} "
                         f"({tries} tr{'y' if tries == 1 else 'ies'})")

    def _send_open(self, tx: _Transaction, board: int, lock: int) -> None:
        import serial

        port = tx.port()  # failing here, nothing was written: a plain BoardFault
        try:
            tx.set_timeouts(max(0.01, min(self.timeout, tx.deadline.left())))
            port.reset_input_buffer()
            port.write(open_frame(board, lock))
            port.flush()
        except (serial.SerialException, OSError) as error:
            tx.drop()
            # A write that failed or timed out may still have put the frame on the line.
            raise OpenUnconfirmed(f"board {board} lock {lock}: writing the open command failed, "
                                  f"it may have reached the board ({error})") from None
