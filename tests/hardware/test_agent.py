"""A district deployment end to end: the terminal agent, a live server on 127.0.0.1, a board on a pty.

The agent's reports on their own (fault kinds, what waits for the next round) are tested against a
recording stand-in for the server at the end."""

import json
import urllib.request

import pytest

from kiosk_app.extensions import db
from kiosk_app.hardware.agent import Agent
from kiosk_app.hardware.locks import SerialLockBoard
from kiosk_app.models import CompartmentState, DoorState, ItemKind, ItemState, LockerItem, Status
from kiosk_app.services import locker, terminals
from kiosk_app.services.locker import DoorReason

from ..helpers import make_ticket, staff
from .board_sim import BoardSimulator


@pytest.fixture
def agent_terminal(app):
    """HQ-L1 switched to an agent, enrolled through the API as the agent would be."""
    with app.app_context():
        terminal = terminals.get_by_code("HQ-L1")
        terminal.lock_url = "agent"
        db.session.commit()
        return terminals.issue_enrolment_code(terminal)


def post(url, body, credential=None):
    headers = {"Content-Type": "application/json"}
    if credential:
        headers["Authorization"] = f"Bearer {credential}"
    request = urllib.request.Request(url, method="POST", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_drop_off_and_collection_through_the_agent(app, live_server, agent_terminal, tmp_path):
    status, body = post(f"{live_server}/api/terminal/enrol", {"code": agent_terminal})
    assert status == 200 and body["terminal"] == "HQ-L1"
    board = BoardSimulator()
    agent = Agent(live_server, body["credential"],
                  SerialLockBoard(board.url, timeout=0.3, settle=0.01, lock_dir=str(tmp_path)))
    try:
        with app.app_context():
            ticket = make_ticket(service_code="residence-permit")
            item = locker.reserve_and_open(terminals.get_by_code("HQ-L1"), ticket, ItemKind.SUBMISSION,
                                           DoorReason.DROP_OFF, min_size=locker.Size.M)
            item_id, lock = item.id, item.compartment.lock
            assert item.compartment.door == DoorState.CLOSED  # queued, not yet opened
        assert agent.run_once() == 1
        assert board.commanded == [(1, lock)] and board.physically_open() == {(1, lock)}
        with app.app_context():
            item = db.session.get(LockerItem, item_id)
            assert item.compartment.door == DoorState.OPEN
        board.close_door(lock)  # the resident closes the door
        agent.run_once()
        with app.app_context():
            item = db.session.get(LockerItem, item_id)
            assert item.state == ItemState.HELD and item.compartment.door == DoorState.CLOSED
            locker.collect(staff("staff-hq"), terminals.get_by_code("HQ-L1"), item_id)
        agent.run_once()
        board.close_door(lock)
        agent.run_once()
        with app.app_context():
            item = db.session.get(LockerItem, item_id)
            assert item.state == ItemState.DONE and item.ticket.status == Status.RECEIVED
    finally:
        board.stop()


def test_a_jammed_door_through_the_agent_fails_that_door_only_and_the_retry_gets_another(
        app, live_server, agent_terminal, tmp_path):
    _, body = post(f"{live_server}/api/terminal/enrol", {"code": agent_terminal})
    board = BoardSimulator()
    board.jam(5)
    agent = Agent(live_server, body["credential"],
                  SerialLockBoard(board.url, timeout=0.1, settle=0.01, command_seconds=0.5,
                                  lock_dir=str(tmp_path)))
    try:
        with app.app_context():
            terminal = terminals.get_by_code("HQ-L1")
            ticket = make_ticket(service_code="residence-permit")
            ticket.channel, ticket.terminal_id = locker.Channel.LOCKER, terminal.id
            db.session.commit()
            first = locker.reserve_and_open(terminal, ticket, ItemKind.SUBMISSION, DoorReason.DROP_OFF,
                                            min_size=locker.Size.M)
            first_id = first.id
        agent.run_once()  # door 5 fails: reported as a door fault
        agent.run_once()  # and nothing else is opened on its own
        with app.app_context():
            first = db.session.get(LockerItem, first_id)
            assert first.state == ItemState.CANCELLED and first.compartment.state == CompartmentState.FAULTY
            assert locker.item_progress(first) == "failed"
            assert locker.board_faults(terminals.get_by_code("HQ-L1")) == []  # the board answered
            ticket = db.session.get(locker.Ticket, first.ticket_id)
            assert locker.drop_off_problem(ticket).action == "door_jammed"
        assert board.commanded == [(1, 5)] and board.physically_open() == set()
        with app.app_context():  # the resident taps "try another compartment"
            ticket = db.session.get(locker.Ticket, first.ticket_id)
            retry = locker.retry_drop_off(terminals.get_by_code("HQ-L1"), ticket)
            assert retry.compartment.number == 6
        agent.run_once()
        assert board.commanded == [(1, 5), (1, 6)] and board.physically_open() == {(1, 6)}
    finally:
        board.stop()


def test_no_terminal_commands_another_terminals_doors(app, live_server, agent_terminal):
    _, body = post(f"{live_server}/api/terminal/enrol", {"code": agent_terminal})
    with app.app_context():
        other = terminals.get_by_code("XJ-L1")
        other.lock_url = "agent"
        db.session.commit()
        item = locker.reserve_and_open(other, make_ticket("XJ"), ItemKind.SUBMISSION, DoorReason.DROP_OFF)
        command_id = db.session.scalar(db.select(locker.DoorCommand.id).filter_by(item_id=item.id))
    request = urllib.request.Request(f"{live_server}/api/terminal/commands",
                                     headers={"Authorization": f"Bearer {body['credential']}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["commands"] == []
    status, _ = post(f"{live_server}/api/terminal/commands/{command_id}", {"ok": True}, body["credential"])
    assert status == 404
    status, _ = post(f"{live_server}/api/terminal/commands/{command_id}", {"ok": True}, "1.forged")
    assert status == 401
    status, _ = post(f"{live_server}/api/terminal/enrol", {"code": agent_terminal})  # used once already
    assert status == 403


class RecordingServer:
    """Stands in for the server's terminal API: hands out commands and keeps what the agent posts."""

    def __init__(self, commands):
        self.commands, self.posts = commands, []

    def __call__(self, method, path, body=None):
        if method == "GET":
            return {"commands": self.commands}
        self.posts.append((path, body))
        return {}  # as a server that ignores what it does not know would answer


@pytest.fixture
def recording_agent(monkeypatch, tmp_path):
    def make(simulator, commands, boards=(1,)):
        server = RecordingServer([{"id": n, "board": b, "lock": lock, "door": lock}
                                  for n, (b, lock) in enumerate(commands, start=1)])
        driver = SerialLockBoard(simulator.url, timeout=0.1, settle=0.01, command_seconds=0.5,
                                 lock_dir=str(tmp_path))
        agent = Agent("http://server.invalid", "1.credential", driver, boards=boards)
        monkeypatch.setattr(agent, "_call", server)
        return agent, server
    return make


@pytest.mark.parametrize("board_sim", ["pty"], indirect=True)
def test_the_agent_tells_the_server_whose_fault_a_failed_door_is(board_sim, recording_agent):
    board_sim.jam(3)
    # Board 2 is not on the line: it answers nothing.
    agent, server = recording_agent(board_sim, [(1, 3), (2, 1), (2, 2), (1, 4)], boards=(1, 2))
    assert agent.run_once() == 3
    results = {path: body for path, body in server.posts}
    assert results["/terminal/commands/1"]["fault"] == "door"
    assert results["/terminal/commands/2"]["fault"] == "board"
    assert "no answer" in results["/terminal/commands/2"]["error"]
    assert "/terminal/commands/3" not in results  # pending: the same board, tried again next round
    assert results["/terminal/commands/4"] == {"ok": True}
    assert board_sim.commanded == [(1, 3), (1, 4)]
    doors = results["/terminal/doors"]
    assert doors["boards"]["1"]["4"] is False and doors["boards"]["1"]["3"] is True
    assert list(doors["faults"]) == ["2"] and "no answer" in doors["faults"]["2"]


@pytest.mark.parametrize("board_sim", ["socket"], indirect=True)
def test_a_door_that_may_be_open_is_reported_as_unknown(board_sim, recording_agent):
    board_sim.after_open = "silent"
    agent, server = recording_agent(board_sim, [(1, 1), (1, 2)])
    assert agent.run_once() == 1
    (command_path, result), (doors_path, doors) = server.posts
    assert command_path == "/terminal/commands/1" and result["ok"] is False and result["fault"] == "unknown"
    assert board_sim.commanded == [(1, 1)] and board_sim.physically_open() == {(1, 1)}
    assert doors_path == "/terminal/doors" and doors["boards"] == {} and list(doors["faults"]) == ["1"]


@pytest.mark.parametrize("board_sim", ["pty"], indirect=True)
def test_a_busy_port_leaves_the_round_for_later(board_sim, recording_agent):
    import fcntl

    agent, server = recording_agent(board_sim, [(1, 1), (1, 2)])
    with open(agent.board.lock_path, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert agent.run_once() == 1
    assert [(path, body["fault"]) for path, body in server.posts] == [("/terminal/commands/1", "busy")]
    assert board_sim.requests == []


@pytest.mark.parametrize("board_sim", ["pty"], indirect=True)
def test_a_healthy_round_reports_no_faults(board_sim, recording_agent):
    agent, server = recording_agent(board_sim, [])
    assert agent.run_once() == 0
    assert server.posts == [("/terminal/doors", {"boards": {"1": {str(n): True for n in range(1, 25)}}})]
