"""A district deployment end to end: the terminal agent, a live server on 127.0.0.1, a board on a pty."""

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
from .test_serial_lock_board import PtyBoard


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


def test_drop_off_and_collection_through_the_agent(app, live_server, agent_terminal):
    status, body = post(f"{live_server}/api/terminal/enrol", {"code": agent_terminal})
    assert status == 200 and body["terminal"] == "HQ-L1"
    board = PtyBoard()
    agent = Agent(live_server, body["credential"], SerialLockBoard(board.path, timeout=0.3, settle=0.01))
    try:
        with app.app_context():
            ticket = make_ticket(service_code="residence-permit")
            item = locker.reserve_and_open(terminals.get_by_code("HQ-L1"), ticket, ItemKind.SUBMISSION,
                                           DoorReason.DROP_OFF, min_size=locker.Size.M)
            item_id, lock = item.id, item.compartment.lock
            assert item.compartment.door == DoorState.CLOSED  # queued, not yet opened
        assert agent.run_once() == 1
        assert board.board.opened == [lock]
        with app.app_context():
            item = db.session.get(LockerItem, item_id)
            assert item.compartment.door == DoorState.OPEN
        board.board.close_door(lock)  # the resident closes the door
        agent.run_once()
        with app.app_context():
            item = db.session.get(LockerItem, item_id)
            assert item.state == ItemState.HELD and item.compartment.door == DoorState.CLOSED
            locker.collect(staff("staff-hq"), terminals.get_by_code("HQ-L1"), item_id)
        agent.run_once()
        board.board.close_door(lock)
        agent.run_once()
        with app.app_context():
            item = db.session.get(LockerItem, item_id)
            assert item.state == ItemState.DONE and item.ticket.status == Status.RECEIVED
    finally:
        board.stop()


def test_a_jammed_door_moves_the_drop_off_to_the_next_compartment(app, live_server, agent_terminal):
    _, body = post(f"{live_server}/api/terminal/enrol", {"code": agent_terminal})
    board = PtyBoard()
    board.board.jammed.add(5)
    agent = Agent(live_server, body["credential"], SerialLockBoard(board.path, timeout=0.2, retries=0, settle=0.01))
    try:
        with app.app_context():
            ticket = make_ticket(service_code="residence-permit")
            first = locker.reserve_and_open(terminals.get_by_code("HQ-L1"), ticket, ItemKind.SUBMISSION,
                                            DoorReason.DROP_OFF, min_size=locker.Size.M)
            first_id = first.id
        agent.run_once()  # door 5 fails; door 6 is queued
        agent.run_once()
        with app.app_context():
            first = db.session.get(LockerItem, first_id)
            assert first.state == ItemState.CANCELLED and first.compartment.state == CompartmentState.FAULTY
            progress, replacement = locker.item_progress(first)
            assert progress == "moved" and replacement.compartment.number == 6
            assert replacement.compartment.door == DoorState.OPEN
        assert board.board.opened == [6]
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
