"""Locker items belong to whoever made them, and nothing is left half done.

Items are addressed by an unguessable token; another resident's phone at the same locker, or any
browser that did not make or open the item, gets a 404 on every item route and changes nothing.
A reservation left behind (a worker killed mid drop-off, a door left open) is released or escalated
by the sweeper, which also runs from the terminal's own traffic.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import (CommandState, Compartment, CompartmentState, DoorCommand, DoorEvent, DoorState,
                              ItemKind, ItemState, LockerItem, Rating, Ticket)
from kiosk_app.models.base import utcnow
from kiosk_app.services import locker, terminals

from ..helpers import CSRF_RE, csrf_token, make_ticket
from .test_terminal import drop_off, enrolled, fresh_link, place_result, text


def phone(app):
    """A resident's phone that scanned HQ-L1's screen."""
    client = app.test_client()
    client.get(fresh_link(app))
    return client


@pytest.fixture
def enrolled_locker(app):
    with app.app_context():
        terminals.enrol(terminals.issue_enrolment_code(terminals.get_by_code("HQ-L1")))


def item_state(app, token):
    with app.app_context():
        item = db.session.scalar(db.select(LockerItem).filter_by(token=token))
        return item.state, item.compartment.door


def test_a_drop_off_is_addressed_by_an_unguessable_token(app, enrolled_locker):
    mine = phone(app)
    location = drop_off(app, mine).headers["Location"]
    token = location.rsplit("/", 1)[1]
    assert len(token) >= 20 and not token.isdigit()
    with app.app_context():
        item_id = db.session.scalar(db.select(LockerItem.id))
    assert mine.get(f"/terminal/items/{item_id}").status_code == 404  # the old sequential address
    assert mine.get(location).status_code == 200


def test_another_phone_at_the_same_locker_reaches_nothing_of_anothers_drop_off(app, enrolled_locker):
    mine, theirs = phone(app), phone(app)
    location = drop_off(app, mine).headers["Location"]
    token = CSRF_RE.search(text(theirs.get("/terminal/"))).group(1)
    assert theirs.get(location).status_code == 404
    assert theirs.get(f"{location}/door").status_code == 404
    assert theirs.get(f"{location}/done").status_code == 404
    assert theirs.post(f"{location}/cancel", data={"csrf_token": token}).status_code == 404
    assert theirs.post(f"{location}/close", data={"csrf_token": token}).status_code == 404
    assert item_state(app, location.rsplit("/", 1)[1]) == (ItemState.RESERVED, DoorState.OPEN)
    with app.app_context():
        assert db.session.scalar(db.select(Ticket)).status.value == "submitted"


def test_another_phone_cannot_read_or_change_the_rating_of_anothers_pickup(app, enrolled_locker):
    token, number = place_result(app)
    mine = phone(app)
    form_token = csrf_token(mine, f"/t/{token}")
    opened = mine.post(f"/t/{token}/pickup", data={"csrf_token": form_token})  # the status page's signed link
    location = opened.headers["Location"]
    mine.post(f"{location}/close", data={"csrf_token": form_token})
    assert "感谢您取走办理结果" in text(mine.get(f"{location}/done"))
    theirs = phone(app)
    their_token = csrf_token(theirs, "/terminal/")
    done = theirs.get(f"{location}/done")
    assert done.status_code == 404
    with app.app_context():
        number_shown = db.session.scalar(db.select(Ticket.number))
    assert number_shown not in text(done)
    assert theirs.post(f"{location}/rating", data={"csrf_token": their_token, "level": "1"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Rating)) == 0


def test_the_screen_after_its_idle_reset_reaches_the_last_residents_door_no_more(app):
    screen = enrolled(app)
    location = drop_off(app, screen).headers["Location"]
    assert screen.get(location).status_code == 200
    screen.post("/kiosk/reset", data={"csrf_token": csrf_token(screen, "/terminal/")})
    assert screen.get(location).status_code == 404


def test_a_double_tap_opens_one_door(app):
    screen = enrolled(app)
    with app.app_context():
        from ..helpers import service_by_code, valid_form
        service_id = service_by_code("residence-permit").id
    page = text(screen.get(f"/terminal/dropoff/{service_id}"))
    from ..helpers import KEY_RE
    data = {**valid_form(app, id_number="11010519491231002X"), "csrf_token": CSRF_RE.search(page).group(1),
            "submission_key": KEY_RE.search(page).group(1)}
    first = screen.post(f"/terminal/dropoff/{service_id}", data=data)
    second = screen.post(f"/terminal/dropoff/{service_id}", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LockerItem)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(DoorEvent).filter_by(event="opened")) == 1


# ---------------------------------------------------------------- stranded reservations

def age_items(app, seconds):
    with app.app_context():
        for item in db.session.scalars(db.select(LockerItem)):
            item.created_at = utcnow() - timedelta(seconds=seconds)
        for command in db.session.scalars(db.select(DoorCommand)):
            command.created_at = utcnow() - timedelta(seconds=seconds)
        for compartment in db.session.scalars(db.select(Compartment).where(Compartment.door_changed_at.is_not(None))):
            compartment.door_changed_at = utcnow() - timedelta(seconds=seconds)
        db.session.commit()


def test_a_reservation_whose_door_never_opened_is_released_by_the_terminals_traffic(app):
    screen = enrolled(app)
    with app.app_context():  # a worker killed between reserving and opening
        ticket = make_ticket(service_code="residence-permit")
        ticket.channel, ticket.terminal_id = locker.Channel.LOCKER, terminals.get_by_code("HQ-L1").id
        db.session.commit()
        db.session.commit()
        item = locker.reserve(terminals.get_by_code("HQ-L1"), ticket, ItemKind.SUBMISSION, locker.Size.M)
        token = ticket.token
    age_items(app, app.config["RESERVATION_TIMEOUT_SECONDS"] + 1)
    assert screen.get("/terminal/").status_code == 200  # the sweeper runs from the screen's own traffic
    with app.app_context():
        item = db.session.scalar(db.select(LockerItem))
        assert item.state == ItemState.CANCELLED
        assert db.session.scalar(db.select(DoorEvent.event).filter_by(item_id=item.id)) == "released"
        assert item.compartment.state == CompartmentState.IN_SERVICE
    page = text(screen.get(f"/kiosk/tickets/{token}"))
    assert 'data-problem="dropoff_released"' in page and "服务中心" in page


def test_a_door_left_open_past_the_timeout_is_escalated(app):
    screen = enrolled(app)
    location = drop_off(app, screen).headers["Location"]
    age_items(app, app.config["RESERVATION_TIMEOUT_SECONDS"] + 1)
    app.config["SWEEP_SECONDS"] = 0
    poll = screen.get(f"{location}/door", headers={"HX-Request": "true"})
    assert poll.headers["HX-Redirect"].startswith("/kiosk/tickets/")  # the resident is told, not left waiting
    with app.app_context():
        item = db.session.scalar(db.select(LockerItem))
        compartment = item.compartment
        assert item.state == ItemState.CANCELLED and compartment.state == CompartmentState.CHECK
        assert compartment.door == DoorState.OPEN  # and the open-door alert stands
        assert db.session.scalar(db.select(DoorEvent.event).filter_by(item_id=item.id)
                                 .order_by(DoorEvent.id.desc()).limit(1)) == "escalated"
        assert compartment in locker.open_too_long(compartment.terminal)
        assert compartment in locker.to_check(compartment.terminal)
    assert 'data-problem="dropoff_escalated"' in text(screen.get(poll.headers["HX-Redirect"]))


def test_an_agent_that_does_not_answer_leaves_no_one_waiting_and_opens_nothing_later(app, enrolled_locker):
    with app.app_context():
        terminal = terminals.get_by_code("HQ-L1")
        terminal.lock_url = "agent"
        db.session.commit()
    screen = enrolled(app)
    location = drop_off(app, screen).headers["Location"]
    age_items(app, app.config["AGENT_COMMAND_SECONDS"] + 1)
    app.config["SWEEP_SECONDS"] = 0
    poll = screen.get(f"{location}/door", headers={"HX-Request": "true"})
    assert poll.headers["HX-Redirect"].startswith("/kiosk/tickets/")
    with app.app_context():
        command = db.session.scalar(db.select(DoorCommand))
        assert command.state == CommandState.FAILED and "expired" in command.error
        assert locker.pending_commands(terminals.get_by_code("HQ-L1")) == []
        # The agent fetched it just before and opened the door late: the app knows, and staff check it.
        locker.command_done(terminals.get_by_code("HQ-L1"), command.id, ok=True)
        compartment = db.session.get(Compartment, command.compartment_id)
        assert compartment.door == DoorState.OPEN and compartment.state == CompartmentState.CHECK


@pytest.mark.parametrize("fault, door_state, compartment_state, board_fault", [
    ("door", DoorState.CLOSED, CompartmentState.FAULTY, False),
    ("board", DoorState.CLOSED, CompartmentState.IN_SERVICE, True),
    ("unknown", DoorState.UNKNOWN, CompartmentState.CHECK, True),
])
def test_the_agent_reports_what_kind_of_fault_it_met(app, fault, door_state, compartment_state, board_fault):
    with app.app_context():
        terminal = terminals.get_by_code("HQ-L1")
        terminal.lock_url = "agent"
        db.session.commit()
        ticket = make_ticket(service_code="residence-permit")
        ticket.channel, ticket.terminal_id = locker.Channel.LOCKER, terminal.id
        db.session.commit()
        item = locker.reserve_and_open(terminal, ticket, ItemKind.SUBMISSION, locker.DoorReason.DROP_OFF,
                                       min_size=locker.Size.M)
        command = locker.pending_commands(terminal)[0]
        locker.command_done(terminal, command.id, ok=False, error="no answer", fault=fault)
        assert item.state == ItemState.CANCELLED
        assert item.compartment.door == door_state and item.compartment.state == compartment_state
        assert bool(locker.board_faults(terminal)) == board_fault
        assert locker.pending_commands(terminal) == []  # nothing tries the next door on its own
        assert locker.drop_off_problem(ticket) is not None
        if board_fault:
            locker.doors_reported(terminal, {(1, n): True for n in range(1, 13)})
            assert locker.board_faults(terminal) == []


def test_staff_at_the_cabinet_check_an_escalated_compartment_and_put_it_back(app):
    from ..helpers import STAFF_PASSWORD

    screen = enrolled(app)
    location = drop_off(app, screen).headers["Location"]
    age_items(app, app.config["RESERVATION_TIMEOUT_SECONDS"] + 1)
    screen.get(f"{location}/door", headers={"HX-Request": "true"})  # swept: compartment 5 is to be checked
    with app.app_context():
        compartment_id = db.session.scalar(db.select(Compartment.id).filter_by(
            number=5, terminal_id=terminals.get_by_code("HQ-L1").id))
    # Another community's staff at this screen cannot settle it.
    screen.post("/staff/login", data={"csrf_token": csrf_token(screen, "/staff/login"), "username": "staff-xj",
                                      "password": STAFF_PASSWORD})
    assert screen.post(f"/terminal/staff/check/{compartment_id}/done",
                       data={"csrf_token": csrf_token(screen, "/terminal/pickup")}).status_code == 404
    screen.post("/terminal/staff/sign-out", data={"csrf_token": csrf_token(screen, "/terminal/pickup")})
    screen.post("/staff/login", data={"csrf_token": csrf_token(screen, "/staff/login"), "username": "staff-hq",
                                      "password": STAFF_PASSWORD})
    page = text(screen.get("/terminal/staff"))
    assert 'data-check="5"' in page and "待检查的格口" in page
    token = CSRF_RE.search(page).group(1)
    assert screen.post(f"/terminal/staff/check/{compartment_id}/done", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        compartment = db.session.get(Compartment, compartment_id)
        assert compartment.state == CompartmentState.IN_SERVICE and compartment.door == DoorState.CLOSED
        assert db.session.scalar(db.select(DoorEvent.event).filter_by(compartment_id=compartment_id)
                                 .order_by(DoorEvent.id.desc()).limit(1)) == "checked"
    assert 'data-check="5"' not in text(screen.get("/terminal/staff"))


def test_an_agents_pickup_waits_for_the_door_to_open_before_it_says_done(app, enrolled_locker):
    token, _number = place_result(app)
    with app.app_context():
        terminal = terminals.get_by_code("HQ-L1")
        terminal.lock_url = "agent"
        db.session.commit()
    mine = phone(app)
    form_token = csrf_token(mine, f"/t/{token}")
    location = mine.post(f"/t/{token}/pickup", data={"csrf_token": form_token}).headers["Location"]
    poll = mine.get(f"{location}/door", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "HX-Redirect" not in poll.headers  # the agent has not opened it yet
    with app.app_context():
        command = locker.pending_commands(terminals.get_by_code("HQ-L1"))[0]
        locker.command_done(terminals.get_by_code("HQ-L1"), command.id, ok=True)
        compartment = db.session.get(Compartment, command.compartment_id)
        locker.doors_reported(compartment.terminal, {(compartment.board, compartment.lock): True})
    assert mine.get(f"{location}/door", headers={"HX-Request": "true"}).headers["HX-Redirect"].endswith("/done")


def test_after_the_last_try_the_ticket_page_offers_no_more_and_a_retry_lands_on_the_ticket(app):
    screen = enrolled(app)
    with app.app_context():
        t = terminals.get_by_code("HQ-L1")
        for lock in range(1, 13):
            locker.SimulatedDoors.jammed.add((t.id, 1, lock))
    first = drop_off(app, screen).headers["Location"]
    with app.app_context():
        ticket_token = db.session.scalar(db.select(Ticket.token))
    for _ in range(app.config["DROP_OFF_TRIES"]):
        page = text(screen.get(first))
        assert 'data-problem="door_jammed"' in page
        if 'id="try-another"' not in page:
            break
        screen.post(f"/terminal/dropoff/retry/{ticket_token}", data={"csrf_token": CSRF_RE.search(page).group(1)})
    page = text(screen.get(first))
    assert 'id="try-another"' not in page and 'id="ticket-number"' in page
    again = screen.post(f"/terminal/dropoff/retry/{ticket_token}", data={"csrf_token": CSRF_RE.search(page).group(1)})
    assert again.status_code == 303 and again.headers["Location"] == first
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LockerItem)) == app.config["DROP_OFF_TRIES"]


def test_a_compartment_still_holding_an_item_is_not_put_back_by_a_check(ctx):
    from ..helpers import staff

    terminal = terminals.get_by_code("HQ-L1")
    ticket = make_ticket(service_code="residence-permit")
    item = locker.reserve_and_open(terminal, ticket, ItemKind.SUBMISSION, locker.DoorReason.DROP_OFF)
    locker.door_closed(item.compartment)
    item.compartment.state = CompartmentState.CHECK
    db.session.commit()
    with pytest.raises(locker.DomainError, match="HQ-"):
        locker.checked_empty(staff("staff-hq"), terminal, item.compartment.id)
    with pytest.raises(locker.DomainError):  # and volunteers do not check compartments at all
        locker.check_open(staff("volunteer-hq"), terminal, item.compartment.id)
    assert item.state == ItemState.HELD and item.compartment.state == CompartmentState.CHECK


@pytest.mark.parametrize("path, body", [
    ("/api/terminal/doors", {"boards": {"1180591620717411303424": {"1": True}}}),
    ("/api/terminal/doors", {"faults": {"99999999999999999999": "x"}}),
    ("/api/terminal/doors", ["not", "an", "object"]),
    ("/api/terminal/commands/1", ["not", "an", "object"]),
    ("/api/terminal/doors", {"boards": {"x": {"1": True}}}),
])
def test_the_agent_api_refuses_malformed_reports_without_a_500(app, path, body):
    with app.app_context():
        terminal = terminals.get_by_code("HQ-L1")
        terminal.lock_url = "agent"
        db.session.commit()
        _terminal, credential = terminals.enrol(terminals.issue_enrolment_code(terminal))
    response = app.test_client().post(path, json=body, headers={"Authorization": f"Bearer {credential}"})
    assert response.status_code in (200, 400, 404) and response.is_json
    with app.app_context():
        assert locker.board_faults(terminals.get_by_code("HQ-L1")) == []
        assert db.session.scalar(db.select(db.func.count()).select_from(locker.LockBoardState)) == 0
