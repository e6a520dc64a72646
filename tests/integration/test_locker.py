"""The locker: allocation, doors, drop-off, collection, return, pickup codes, faults."""

import threading
from datetime import timedelta

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import (Channel, Compartment, CompartmentState, DoorEvent, DoorState, ItemKind, ItemState, LockerItem,
                              Size, Status, Terminal, Ticket)
from kiosk_app.models.base import utcnow
from kiosk_app.services import locker, workflow
from kiosk_app.services.event_texts import event_note
from kiosk_app.services.errors import DomainError, NotFound
from kiosk_app.services.locker import DoorReason, SimulatedDoors, TerminalFull

from ..helpers import make_ticket, staff


def terminal(code="HQ-L1") -> Terminal:
    return db.session.scalar(db.select(Terminal).filter_by(code=code))


def drop_off(ticket, size=Size.M):
    item = locker.reserve_and_open(terminal(), ticket, ItemKind.SUBMISSION, DoorReason.DROP_OFF, min_size=size,
                                   actor_label="resident")
    locker.door_closed(item.compartment, actor_label="resident")
    return item


def test_a_drop_off_takes_the_smallest_fitting_compartment_and_records_it(ctx):
    ticket = make_ticket(service_code="residence-permit")
    item = locker.reserve_and_open(terminal(), ticket, ItemKind.SUBMISSION, DoorReason.DROP_OFF, min_size=Size.M)
    assert item.compartment.size == Size.M and item.compartment.number == 5
    assert item.compartment.door == DoorState.OPEN and item.state == ItemState.RESERVED
    locker.door_closed(item.compartment)
    assert item.state == ItemState.HELD and item.compartment.door == DoorState.CLOSED
    assert (ticket.events[-1].note, event_note(ticket.events[-1])) == ("", "材料已放入 5 号格口")
    events = db.session.scalars(db.select(DoorEvent).filter_by(compartment_id=item.compartment_id)).all()
    assert [(e.event, e.reason) for e in events] == [("opened", DoorReason.DROP_OFF), ("closed", DoorReason.DROP_OFF)]


def test_collection_moves_the_ticket_to_received_and_frees_the_compartment(ctx):
    ticket = make_ticket(service_code="residence-permit")
    item = drop_off(ticket)
    worker = staff("staff-hq")
    assert [i.id for i in locker.collectable(worker, terminal())] == [item.id]
    assert locker.collectable(staff("staff-xj"), terminal()) == []
    with pytest.raises(NotFound):
        locker.collect(staff("grid-hq2"), terminal(), item.id)  # grid 1 is not theirs
    locker.collect(worker, terminal(), item.id)
    assert item.compartment.door == DoorState.OPEN
    locker.door_closed(item.compartment, actor=worker)
    assert item.state == ItemState.DONE and ticket.status == Status.RECEIVED
    assert ticket.events[-1].action == "receive" and ticket.events[-1].actor_staff_id == worker.id
    assert locker.active_item(item.compartment) is None


def complete_with_result(ticket):
    admin = staff("admin-hq")
    workflow.apply_action(admin, ticket.id, "accept")
    return workflow.apply_action(admin, ticket.id, "complete", note="证明已开具", physical_result=True)


def test_return_then_pickup_with_the_code_closes_the_ticket(ctx):
    ticket = complete_with_result(make_ticket())
    item = locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    assert item.compartment.size.rank >= Size.M.rank
    locker.door_closed(item.compartment, actor=staff("admin-hq"))
    assert item.state == ItemState.HELD and item.pickup_code_hash and len(item.pickup_code_hash) == 64
    found, code = locker.pickup_code_for_ticket(ticket)
    assert found.id == item.id and len(code) == 8 and code.isdigit()
    assert code not in item.pickup_code_hash
    opened = locker.pick_up(terminal(), code)
    assert opened.id == item.id and item.compartment.door == DoorState.OPEN
    locker.door_closed(item.compartment, actor_label="resident")
    assert item.state == ItemState.DONE and ticket.status == Status.CLOSED
    with pytest.raises(DomainError):
        locker.pick_up(terminal(), code)  # one time only


def test_the_right_code_typed_again_while_the_door_is_open_commands_no_lock(ctx):
    ticket = complete_with_result(make_ticket())
    item = locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    locker.door_closed(item.compartment, actor=staff("admin-hq"))
    _, code = locker.pickup_code_for_ticket(ticket)
    locker.pick_up(terminal(), code)
    compartment = item.compartment
    SimulatedDoors.jammed.add((terminal().id, compartment.board, compartment.lock))
    try:
        assert locker.pick_up(terminal(), code).id == item.id  # the door stands open: nothing to command
        assert locker.pick_up_from_phone(terminal(), ticket).id == item.id
    finally:
        SimulatedDoors.jammed.clear()
    assert compartment.door == DoorState.OPEN and compartment.state == CompartmentState.IN_SERVICE
    last = db.session.scalar(db.select(DoorEvent.event).filter_by(compartment_id=compartment.id)
                             .order_by(DoorEvent.id.desc()).limit(1))
    assert last == "opened"


def test_only_completed_tickets_with_a_physical_result_are_returned(ctx):
    ticket = make_ticket()
    with pytest.raises(DomainError):
        locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    with pytest.raises(NotFound):
        locker.start_return(staff("staff-xj"), terminal("XJ-L1"), ticket.id)


def test_wrong_codes_reveal_nothing_and_slow_only_the_one_who_types_them(ctx):
    ticket = complete_with_result(make_ticket())
    item = locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    locker.door_closed(item.compartment)
    _, code = locker.pickup_code_for_ticket(ticket)
    wrong = "00000000" if code != "00000000" else "11111111"
    for attempt in range(3):
        with pytest.raises(DomainError) as caught:
            locker.pick_up(terminal(), wrong, source="screen")
        assert caught.value.message == locker.CODE_REFUSED
    with pytest.raises(DomainError) as caught:
        locker.pick_up(terminal(), "12", source="screen")
    assert caught.value.message == locker.CODE_LENGTH  # checks nothing, counts nothing
    with pytest.raises(DomainError) as caught:
        locker.pick_up(terminal(), wrong, source="screen")
    assert "请10秒钟后再试" in str(caught.value.message)  # the fourth wrong code: wait before the next
    with pytest.raises(DomainError) as caught:
        locker.pick_up(terminal(), code, source="screen")  # even the right code waits, there
    assert "本屏幕或手机输错取件码次数过多" in str(caught.value.message)
    # Another terminal's keypad is not slowed, but the code does not open doors there.
    with pytest.raises(DomainError) as caught:
        locker.pick_up(terminal("XJ-L1"), code, source="screen")
    assert caught.value.message == locker.CODE_REFUSED
    assert locker.pick_up(terminal(), code, source="phone").id == item.id


def test_an_expired_code_fails_and_the_result_is_listed_to_take_back(ctx):
    ticket = complete_with_result(make_ticket())
    item = locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    locker.door_closed(item.compartment)
    _, code = locker.pickup_code_for_ticket(ticket)
    item.pickup_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(DomainError):
        locker.pick_up(terminal(), code)
    assert locker.pickup_code_for_ticket(ticket) is None
    assert [i.id for i in locker.uncollected(staff("staff-hq"))] == [item.id]
    assert locker.uncollected(staff("staff-xj")) == []
    locker.take_back(staff("staff-hq"), terminal(), item.id)
    locker.door_closed(item.compartment, actor=staff("staff-hq"))
    assert item.state == ItemState.TAKEN_BACK and item.pickup_code_hash is None
    assert locker.active_item(item.compartment) is None


def test_a_taken_back_code_stops_working_at_once(ctx):
    ticket = complete_with_result(make_ticket())
    item = locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    locker.door_closed(item.compartment)
    _, code = locker.pickup_code_for_ticket(ticket)
    item.pickup_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    locker.take_back(staff("staff-hq"), terminal(), item.id)
    item.pickup_expires_at = utcnow() + timedelta(days=1)  # even if the period were extended
    db.session.commit()
    with pytest.raises(DomainError):
        locker.pick_up(terminal(), code)


def test_a_door_that_fails_is_marked_faulty_and_the_next_try_gets_another(ctx):
    t = terminal()
    SimulatedDoors.jammed.add((t.id, 1, 5))
    ticket = make_ticket(service_code="residence-permit")
    ticket.channel, ticket.terminal_id = Channel.LOCKER, t.id
    db.session.commit()
    # One try commands one lock: the resident is told at once, and may try another compartment.
    with pytest.raises(locker.DoorFault):
        locker.reserve_and_open(t, ticket, ItemKind.SUBMISSION, DoorReason.DROP_OFF, min_size=Size.M)
    faulty = db.session.scalar(db.select(Compartment).filter_by(terminal_id=t.id, number=5))
    assert faulty.state == CompartmentState.FAULTY
    fault = db.session.scalar(db.select(DoorEvent).filter_by(compartment_id=faulty.id, event="fault"))
    assert "jammed" in fault.detail
    assert locker.drop_off_problem(ticket).action == "door_jammed"
    item = locker.retry_drop_off(t, ticket)
    assert item.compartment.number == 6 and locker.drop_off_problem(ticket) is None
    # A faulty compartment is never offered again.
    others = [locker.reserve_and_open(t, make_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF, min_size=Size.M)
              .compartment.number for _ in range(5)]
    assert 5 not in others


def test_a_full_terminal_says_so(ctx):
    t = terminal()
    for _ in range(8):  # 6 M + 2 L
        locker.reserve(t, make_ticket(), ItemKind.SUBMISSION, Size.M)
    with pytest.raises(TerminalFull):
        locker.reserve(t, make_ticket(), ItemKind.SUBMISSION, Size.M)
    assert locker.reserve(t, make_ticket(), ItemKind.SUBMISSION, Size.S).compartment.size == Size.S


def test_a_cancelled_drop_off_withdraws_the_ticket_and_frees_the_compartment(ctx):
    ticket = make_ticket(service_code="residence-permit")
    item = locker.reserve_and_open(terminal(), ticket, ItemKind.SUBMISSION, DoorReason.DROP_OFF)
    with pytest.raises(NotFound):  # another terminal does not find it
        locker.item_by_token(terminal("XJ-L1"), item.token)
    locker.cancel_drop_off(locker.item_by_token(terminal(), item.token))
    assert item.state == ItemState.CANCELLED and ticket.status == Status.WITHDRAWN
    with pytest.raises(NotFound):  # nothing left to cancel
        locker.cancel_drop_off(item)


def test_thirty_drop_offs_at_once_fill_twelve_compartments_once_each(app):
    with app.app_context():
        terminal_id = terminal().id
        ticket_ids = [make_ticket().id for _ in range(30)]
    barrier = threading.Barrier(30)
    outcomes = []

    def drop(ticket_id):
        with app.app_context():
            try:
                barrier.wait()
                t = db.session.get(Terminal, terminal_id)
                item = locker.reserve(t, db.session.get(Ticket, ticket_id), ItemKind.SUBMISSION, Size.S)
                outcomes.append(("ok", item.compartment_id))
            except TerminalFull:
                outcomes.append(("full", None))
            except Exception as error:  # noqa: BLE001
                outcomes.append(("error", repr(error)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=drop, args=(i,)) for i in ticket_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    kinds = [kind for kind, _ in outcomes]
    assert kinds.count("ok") == 12 and kinds.count("full") == 18, outcomes
    compartments = [c for kind, c in outcomes if kind == "ok"]
    assert len(set(compartments)) == 12
    with app.app_context():
        active = db.session.scalars(db.select(LockerItem.compartment_id).where(
            LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD]))).all()
        assert sorted(active) == sorted(compartments)


def test_staff_acting_before_the_papers_are_collected_loses_nothing(ctx):
    ticket = make_ticket(service_code="residence-permit")
    item = drop_off(ticket)
    workflow.apply_action(staff("staff-hq"), ticket.id, "accept")
    locker.collect(staff("staff-hq"), terminal(), item.id)
    locker.door_closed(item.compartment, actor=staff("staff-hq"))
    assert item.state == ItemState.DONE and locker.active_item(item.compartment) is None
    assert ticket.status == Status.ACCEPTED  # not moved back
    assert ticket.events[-1].action == "receive"


def test_a_ticket_closed_by_staff_still_records_the_pickup(ctx):
    ticket = complete_with_result(make_ticket())
    item = locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    locker.door_closed(item.compartment)
    _, code = locker.pickup_code_for_ticket(ticket)
    workflow.apply_action(staff("admin-hq"), ticket.id, "close")
    locker.pick_up(terminal(), code)
    locker.door_closed(item.compartment, actor_label="resident")
    assert item.state == ItemState.DONE and ticket.status == Status.CLOSED
    assert ticket.events[-1].action == "pick_up"
