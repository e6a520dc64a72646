"""The serial lock-board driver against a simulated board on a real pseudo-terminal."""

import os
import select
import threading
import time

import pytest

from kiosk_app.hardware.locks import LockError, SerialLockBoard, SimulatedBoard, bcc, open_frame, parse_status, query_frame


def test_frames_match_the_board_manual():
    assert open_frame(1, 1).hex(" ") == "8a 01 01 11 9b"
    assert query_frame(1, 1).hex(" ") == "80 01 01 33 b3"
    assert query_frame(1).hex(" ") == "80 01 00 33 b2"


def test_status_bitmaps_map_to_locks():
    body = bytes([0x80, 0x01, 0b1000_0000, 0b0000_0001, 0b0000_0101, 0x33])
    states = parse_status(1, body + bytes([bcc(body)]))
    assert [n for n, closed in states.items() if closed] == [1, 3, 9, 24]
    with pytest.raises(LockError, match="bad checksum"):
        parse_status(1, body + bytes([bcc(body) ^ 1]))


class PtyBoard:
    """A board on the far end of a pseudo-terminal: reads request frames, answers as configured."""

    def __init__(self, mode="ok"):
        self.board = SimulatedBoard()
        self.mode = mode
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.running = True
        self.requests = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        buffer = b""
        while self.running:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            buffer += os.read(self.master, 64)
            while len(buffer) >= 5:
                request, buffer = buffer[:5], buffer[5:]
                self.requests.append(request)
                reply = self.board.handle(request)
                if self.mode == "silent":
                    continue
                if self.mode == "garbled" and reply:
                    reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
                if reply:
                    os.write(self.master, reply)

    def stop(self):
        self.running = False
        self.thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_board(request):
    board = PtyBoard(getattr(request, "param", "ok"))
    yield board
    board.stop()


def driver(path):
    return SerialLockBoard(path, timeout=0.2, retries=1, settle=0.01)


def test_open_is_confirmed_by_a_status_query(pty_board):
    locks = driver(pty_board.path)
    try:
        locks.open(1, 7)
        assert pty_board.board.opened == [7]
        assert locks.status(1)[7] is False
        pty_board.board.close_door(7)
        assert locks.status(1)[7] is True
        assert pty_board.requests[0] == open_frame(1, 7)
    finally:
        locks.close()


def test_a_jammed_lock_is_reported_not_assumed_open(pty_board):
    pty_board.board.jammed.add(3)
    locks = driver(pty_board.path)
    try:
        with pytest.raises(LockError, match="did not open"):
            locks.open(1, 3)
    finally:
        locks.close()


@pytest.mark.parametrize("pty_board, message", [("silent", "no answer"), ("garbled", "garbled answer")],
                         indirect=["pty_board"])
def test_silence_and_bad_checksums_are_clear_errors_within_the_timeout(pty_board, message):
    locks = driver(pty_board.path)
    started = time.monotonic()
    try:
        with pytest.raises(LockError, match=message):
            locks.status(1)
    finally:
        locks.close()
    assert time.monotonic() - started < 2  # 2 tries × 0.2 s, never a hang


def test_a_missing_port_is_a_clear_error():
    with pytest.raises(LockError, match="cannot open the lock board port"):
        SerialLockBoard("/dev/does-not-exist", timeout=0.1).status(1)


def test_socket_urls_reach_network_converters():
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    board = SimulatedBoard()

    def serve():
        conn, _ = server.accept()
        with conn:
            while True:
                data = conn.recv(5)
                if not data:
                    return
                reply = board.handle(data)
                if reply:
                    conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    locks = SerialLockBoard(f"socket://127.0.0.1:{server.getsockname()[1]}", timeout=0.3, settle=0.01)
    try:
        locks.open(1, 12)
        assert board.opened == [12]
    finally:
        locks.close()
        server.close()
