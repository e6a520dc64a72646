"""The serial lock-board driver against a simulated board on a real pseudo-terminal or TCP socket."""

import fcntl
import multiprocessing
import os
import socket
import time

import pytest

from kiosk_app.hardware.locks import (
    BoardFault,
    LockError,
    LockJammed,
    OpenUnconfirmed,
    PortBusy,
    SerialLockBoard,
    bcc,
    open_frame,
    parse_status,
    query_frame,
)

from .board_sim import BoardSimulator

COMMAND_SECONDS = 1.0
BOUND = COMMAND_SECONDS + 0.5  # what any fault may cost, waiting for the port included


def test_frames_match_the_board_manual():
    assert open_frame(1, 1).hex(" ") == "8a 01 01 11 9b"
    assert query_frame(1, 1).hex(" ") == "80 01 01 33 b3"
    assert query_frame(1).hex(" ") == "80 01 00 33 b2"


def test_status_bitmaps_map_to_locks():
    body = bytes([0x80, 0x01, 0b1000_0000, 0b0000_0001, 0b0000_0101, 0x33])
    states = parse_status(1, body + bytes([bcc(body)]))
    assert [n for n, closed in states.items() if closed] == [1, 3, 9, 24]
    with pytest.raises(BoardFault, match="bad checksum"):
        parse_status(1, body + bytes([bcc(body) ^ 1]))


def test_the_faults_tell_what_the_caller_may_do_next():
    assert issubclass(OpenUnconfirmed, BoardFault)
    assert all(issubclass(kind, LockError) for kind in (BoardFault, OpenUnconfirmed, LockJammed, PortBusy))
    assert BoardFault.commanded is False and OpenUnconfirmed.commanded is True


@pytest.fixture
def driver(board_sim, tmp_path):
    def make(**settings):
        settings = {"timeout": 0.1, "retries": 2, "settle": 0.01, "command_seconds": COMMAND_SECONDS,
                    "lock_dir": str(tmp_path), **settings}
        return SerialLockBoard(board_sim.url, **settings)
    return make


def timed(call, *args):
    started = time.monotonic()
    try:
        call(*args)
    finally:
        timed.seconds = time.monotonic() - started


def test_open_is_checked_first_and_confirmed_after(board_sim, driver):
    locks = driver()
    locks.open(1, 7)
    assert board_sim.commanded == [(1, 7)] and board_sim.physically_open() == {(1, 7)}
    assert board_sim.requests[:2] == [query_frame(1), open_frame(1, 7)]  # the board answered before
    assert locks.status(1)[7] is False
    locks.open(1, 7)  # already open: nothing more is sent
    assert board_sim.commanded == [(1, 7)]
    board_sim.close_door(7)
    assert locks.status(1)[7] is True
    locks.check(1)


def test_a_silent_board_is_a_board_fault_and_nothing_is_commanded(board_sim, driver):
    board_sim.silent = True
    locks = driver()
    with pytest.raises(BoardFault, match="no answer") as raised:
        timed(locks.open, 1, 4)
    assert type(raised.value) is BoardFault and not raised.value.commanded
    assert timed.seconds < BOUND
    assert board_sim.commanded == [] and board_sim.physically_open() == set()
    with pytest.raises(BoardFault, match="no answer"):
        timed(locks.status, 1)
    assert timed.seconds < BOUND
    with pytest.raises(BoardFault):
        locks.check(1)


def test_bad_checksums_are_never_trusted(board_sim, driver):
    board_sim.corrupt_every = 1
    locks = driver()
    with pytest.raises(BoardFault, match="bad checksum") as raised:
        timed(locks.open, 1, 4)
    assert type(raised.value) is BoardFault
    assert timed.seconds < BOUND
    assert board_sim.commanded == [] and board_sim.physically_open() == set()
    assert board_sim.replies == 3  # one try and two retries, each answered wrongly


def test_a_retry_with_a_good_reply_is_trusted(board_sim, driver):
    board_sim.corrupt_every = 3
    locks = driver()
    locks.open(1, 5)
    for _ in range(10):
        states = locks.status(1)
        assert [lock for lock, closed in states.items() if not closed] == [5]
    assert board_sim.commanded == [(1, 5)] and board_sim.physically_open() == {(1, 5)}
    assert board_sim.replies >= 12  # every third of them was corrupted, and retried


def test_a_jammed_lock_is_a_door_fault(board_sim, driver):
    board_sim.jam(3)
    locks = driver()
    with pytest.raises(LockJammed, match="did not open") as raised:
        timed(locks.open, 1, 3)
    assert raised.value.commanded
    assert timed.seconds < BOUND
    assert board_sim.commanded == [(1, 3)] and board_sim.physically_open() == set()


@pytest.mark.parametrize("after_open", ["silent", "corrupt"])
def test_a_board_failing_after_the_open_command_leaves_the_door_unconfirmed(board_sim, driver, after_open):
    board_sim.after_open = after_open
    locks = driver()
    with pytest.raises(OpenUnconfirmed, match="may be open") as raised:
        timed(locks.open, 1, 9)
    assert raised.value.commanded
    assert timed.seconds < BOUND
    assert board_sim.commanded == [(1, 9)] and board_sim.physically_open() == {(1, 9)}


@pytest.mark.parametrize("board_sim", ["socket"], indirect=True)
def test_a_dropped_line_fails_fast_and_the_driver_recovers(board_sim, driver):
    locks = driver()
    locks.status(1)
    board_sim.drop_line()
    with pytest.raises(BoardFault, match="cannot open") as raised:
        timed(locks.open, 1, 2)
    assert type(raised.value) is BoardFault
    assert timed.seconds < 1
    with pytest.raises(BoardFault):
        timed(locks.status, 1)
    assert timed.seconds < 1
    board_sim.recover()
    locks.open(1, 2)
    assert board_sim.commanded == [(1, 2)] and board_sim.physically_open() == {(1, 2)}


def test_a_converter_that_never_accepts_the_connection_costs_no_more_than_the_budget(tmp_path):
    # A full listen backlog drops further connection attempts, as an unreachable converter does.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    url = f"socket://127.0.0.1:{server.getsockname()[1]}"
    waiting = []
    try:
        for _ in range(3):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(server.getsockname())
            waiting.append(client)
        locks = SerialLockBoard(url, timeout=0.1, command_seconds=COMMAND_SECONDS, lock_dir=str(tmp_path))
        with pytest.raises(BoardFault):
            timed(locks.status, 1)
        assert timed.seconds < BOUND
    finally:
        for client in waiting:
            client.close()
        server.close()


def test_a_missing_port_is_a_board_fault(tmp_path):
    locks = SerialLockBoard("/dev/does-not-exist", timeout=0.1, lock_dir=str(tmp_path))
    with pytest.raises(BoardFault, match="cannot open the lock board port"):
        locks.open(1, 1)


def test_a_port_held_by_another_process_is_busy_and_nothing_is_sent(board_sim, driver, tmp_path):
    locks = driver()
    assert os.path.dirname(locks.lock_path) == str(tmp_path)
    assert os.path.basename(locks.lock_path).startswith("cloudlocker-port-")
    with open(locks.lock_path, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(PortBusy) as raised:
            timed(locks.open, 1, 1)
        assert not raised.value.commanded
        assert timed.seconds < BOUND
    assert board_sim.requests == []
    locks.open(1, 1)  # released: the port is ours again


@pytest.mark.parametrize("board_sim", ["pty"], indirect=True)
def test_a_device_locked_by_a_program_unaware_of_the_lock_file_is_busy(board_sim, driver):
    # pyserial's exclusive=True: the device itself is flocked as well.
    fd = os.open(board_sim.url, os.O_RDWR | os.O_NOCTTY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(PortBusy, match="another program"):
            timed(driver().status, 1)
        assert timed.seconds < BOUND
    finally:
        os.close(fd)
    assert board_sim.requests == []


def query_many(url, lock_dir, board, count, start):
    """In a process of its own: ``count`` status queries of one board, with no retries, so a reply
    another process swallowed or read in its place would show as a fault."""
    locks = SerialLockBoard(url, timeout=0.2, retries=0, command_seconds=3.0, lock_dir=lock_dir)
    start.wait(30)
    answers, faults = 0, []
    for _ in range(count):
        try:
            states = locks.status(board)
        except LockError as error:
            faults.append(f"{type(error).__name__}: {error}")
            continue
        answers += states == {lock: lock != board for lock in range(1, 25)}
    return answers, faults


def _query_many_into(queue, *args):
    queue.put(query_many(*args))


@pytest.mark.parametrize("transport", ["pty", "socket"])
def test_processes_sharing_a_port_never_take_each_others_replies(transport, tmp_path):
    simulator = BoardSimulator(transport, boards=(1, 2))
    simulator.boards[1].closed[1] = False  # tell the boards' answers apart
    simulator.boards[2].closed[2] = False
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_query_many_into,
                               args=(results, simulator.url, str(tmp_path), board, 30, start))
               for board in (1, 2)]
    try:
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(10)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        simulator.stop()
    assert outcomes == [(30, []), (30, [])]
    assert len(simulator.requests) == 60
    if transport == "socket":
        assert simulator.max_connections == 1  # one transaction at a time, each on a connection of its own
