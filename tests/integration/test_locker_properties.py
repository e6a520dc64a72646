"""Property-based test of the locker's invariants over random sequences of what people do.

Whatever order drop-offs, cancellations, door closings, collections, returns, pickups,
take-backs and door faults come in:
- a compartment holds at most one item, and a faulty one takes no new item;
- every active item belongs to exactly one ticket, and a ticket has at most one active item of a kind;
- every door that is open has an "opened" door event that is its latest;
- a result waiting behind a closed door has a code; papers, cancelled and taken-back results never do.
"""

import os
from datetime import timedelta

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from kiosk_app.extensions import db
from kiosk_app.models import (Compartment, CompartmentState, DoorEvent, DoorState, ItemKind, ItemState, LockerItem,
                              Size, Terminal)
from kiosk_app.models.base import utcnow
from kiosk_app.services import locker, workflow
from kiosk_app.services.errors import DomainError
from kiosk_app.services.locker import DoorReason, SimulatedDoors

from ..helpers import assert_one_item_per_compartment, make_ticket, staff


def terminal():
    return db.session.scalar(select(Terminal).filter_by(code="HQ-L1"))


def items(state=None, kind=None):
    stmt = select(LockerItem).join(Compartment).where(Compartment.terminal_id == terminal().id)
    if state is not None:
        stmt = stmt.where(LockerItem.state == state)
    if kind is not None:
        stmt = stmt.where(LockerItem.kind == kind)
    return list(db.session.scalars(stmt.order_by(LockerItem.id)))


class LockerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Start each run from an empty, working cabinet.
        for item in items():
            if item.state.active:
                item.state, item.pickup_code_hash = ItemState.CANCELLED, None
        for compartment in db.session.scalars(select(Compartment)):
            compartment.state, compartment.door = CompartmentState.IN_SERVICE, DoorState.CLOSED
        db.session.commit()
        SimulatedDoors.jammed.clear()
        self.codes: dict[int, str] = {}

    def _open(self):
        return list(db.session.scalars(select(Compartment).where(Compartment.terminal_id == terminal().id,
                                                                  Compartment.door == DoorState.OPEN)))

    @rule(size=st.sampled_from(list(Size)))
    def drop_off(self, size):
        try:
            locker.reserve_and_open(terminal(), make_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF, min_size=size)
        except (locker.TerminalFull, locker.DoorFault):
            pass

    @rule(data=st.data())
    def close_a_door(self, data):
        doors = self._open()
        if doors:
            compartment = data.draw(st.sampled_from(doors))
            item = locker.door_closed(compartment)
            if item is not None and item.kind == ItemKind.RESULT and item.state == ItemState.HELD:
                self.codes[item.id] = locker.pickup_code(item)

    @rule(data=st.data())
    def cancel(self, data):
        reserved = items(ItemState.RESERVED, ItemKind.SUBMISSION)
        if reserved:
            locker.cancel_drop_off(data.draw(st.sampled_from(reserved)))

    @rule(data=st.data())
    def collect(self, data):
        held = [i for i in items(ItemState.HELD, ItemKind.SUBMISSION) if i.compartment.door == DoorState.CLOSED]
        if held:
            try:
                locker.collect(staff("staff-hq"), terminal(), data.draw(st.sampled_from(held)).id)
            except locker.DoorFault:
                pass

    @rule()
    def place_a_result(self):
        ticket = make_ticket()
        admin = staff("admin-hq")
        workflow.apply_action(admin, ticket.id, "accept")
        workflow.apply_action(admin, ticket.id, "complete", note="好了", physical_result=True)
        try:
            locker.start_return(admin, terminal(), ticket.id)
        except (locker.TerminalFull, locker.DoorFault):
            pass

    @rule(data=st.data(), right=st.booleans())
    def pick_up(self, data, right):
        held = [i for i in items(ItemState.HELD, ItemKind.RESULT) if i.id in self.codes]
        db.session.execute(db.delete(locker.throttle.Throttle))  # keep the keypad usable in long runs
        db.session.commit()
        if held:
            item = data.draw(st.sampled_from(held))
            code = self.codes[item.id] if right else f"{(int(self.codes[item.id]) + 1) % 10 ** 8:08d}"
            try:
                opened = locker.pick_up(terminal(), code)
                assert right and opened.id == item.id
            except locker.DoorFault:
                pass
            except DomainError:
                assert not right, "the right code of a held result must open its door"

    @rule(data=st.data())
    def take_back(self, data):
        held = [i for i in items(ItemState.HELD, ItemKind.RESULT) if i.compartment.door == DoorState.CLOSED]
        if held:
            item = data.draw(st.sampled_from(held))
            item.pickup_expires_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            try:
                locker.take_back(staff("staff-hq"), terminal(), item.id)
            except locker.DoorFault:
                pass
            self.codes.pop(item.id, None)

    @rule(number=st.integers(min_value=1, max_value=12))
    def jam_a_door(self, number):
        SimulatedDoors.jammed.add((terminal().id, 1, number))

    @rule()
    def repair_doors(self):
        SimulatedDoors.jammed.clear()

    # ------------------------------------------------------------ invariants

    @invariant()
    def one_item_per_compartment(self):
        assert_one_item_per_compartment()

    @invariant()
    def faulty_compartments_hold_nothing_new(self):
        for item in items(ItemState.RESERVED):
            assert item.compartment.state == CompartmentState.IN_SERVICE or item.compartment.door == DoorState.OPEN

    @invariant()
    def every_active_item_has_its_ticket(self):
        active = [i for i in items() if i.state.active]
        assert all(i.ticket is not None for i in active)
        pairs = [(i.ticket_id, i.kind) for i in active]
        assert len(pairs) == len(set(pairs))

    @invariant()
    def open_doors_were_opened(self):
        for compartment in self._open():
            last = db.session.scalar(select(DoorEvent.event).where(DoorEvent.compartment_id == compartment.id)
                                     .order_by(DoorEvent.id.desc()).limit(1))
            assert last == "opened"

    @invariant()
    def only_waiting_results_have_codes(self):
        for item in items():
            has_code = bool(item.pickup_code_hash)
            if item.kind == ItemKind.SUBMISSION or item.state in (ItemState.CANCELLED, ItemState.TAKEN_BACK):
                assert not has_code
            elif item.state == ItemState.HELD and item.compartment.door == DoorState.CLOSED:
                assert has_code


def test_locker_invariants_hold_for_any_sequence(ctx):
    # No shrinking phase: each step touches the database, and a failure prints its whole sequence anyway.
    run_state_machine_as_test(LockerMachine, settings=settings(
        max_examples=15, stateful_step_count=25, deadline=None, database=None,
        derandomize=os.environ.get("CI", "").lower() == "true",  # CI: the same sequences every run
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
