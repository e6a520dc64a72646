"""A state machine over what a cabinet goes through at night — drop-offs, doors opened and closed,
board faults and recoveries, jammed locks, the sweeper — against the real driver and a simulated
board on a socket.  Whatever the order:
- no compartment holds two items;
- no reservation is older than RESERVATION_TIMEOUT_SECONDS once the sweeper has run;
- no door is physically open that the app believes closed.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from flask import current_app
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from kiosk_app.extensions import db
from kiosk_app.models import Compartment, CompartmentState, DoorState, ItemKind, ItemState, LockerItem
from kiosk_app.models.base import utcnow
from kiosk_app.services import locker, terminals
from kiosk_app.services.locker import DoorReason

from ..helpers import assert_one_item_per_compartment, make_ticket, staff
from .board_sim import BoardSimulator


def terminal():
    return terminals.get_by_code("HQ-L1")


def compartment_of(lock: int) -> Compartment:
    return db.session.scalar(select(Compartment).filter_by(terminal_id=terminal().id, board=1, lock=lock))


class CabinetAtNight(RuleBasedStateMachine):
    board: BoardSimulator  # set by the test

    def __init__(self):
        super().__init__()
        self.board.recover()
        for sim in self.board.boards.values():
            sim.jammed.clear()
            for lock in sim.closed:
                sim.closed[lock] = True
        for item in db.session.scalars(select(LockerItem)):
            if item.state.active:
                item.state = ItemState.CANCELLED
        for compartment in db.session.scalars(select(Compartment)):
            compartment.state, compartment.door = CompartmentState.IN_SERVICE, DoorState.CLOSED
        db.session.execute(db.delete(locker.LockBoardState))
        db.session.commit()

    @rule(size=st.sampled_from(["S", "M"]))
    def drop_off(self, size):
        before = len(self.board.commanded)
        try:
            locker.reserve_and_open(terminal(), make_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF,
                                    min_size=locker.Size(size))
        except (locker.TerminalFull, locker.DoorFault, locker.LockerUnavailable):
            pass
        assert len(self.board.commanded) - before <= 1, "one drop-off commands one lock at most"

    @rule(data=st.data())
    def a_resident_closes_a_door(self, data):
        open_locks = sorted(lock for _board, lock in self.board.physically_open())
        if open_locks:
            self.board.close_door(data.draw(st.sampled_from(open_locks)))

    @rule(data=st.data())
    def the_door_page_polls(self, data):
        doors = list(db.session.scalars(select(Compartment).where(Compartment.terminal_id == terminal().id,
                                                                   Compartment.door != DoorState.CLOSED)))
        if doors:
            locker.refresh_door(data.draw(st.sampled_from(doors)))

    @rule(fault=st.sampled_from(["silent", "garbled", "every_third", "dies_after_open", "line_dropped"]))
    def the_board_misbehaves(self, fault):
        if fault == "silent":
            self.board.silent = True
        elif fault == "garbled":
            self.board.corrupt_every = 1
        elif fault == "every_third":
            self.board.corrupt_every = 3
        elif fault == "dies_after_open":
            self.board.after_open = "silent"
        else:
            self.board.drop_line()

    @rule(lock=st.integers(min_value=1, max_value=12))
    def a_lock_jams(self, lock):
        self.board.jam(lock)

    @rule()
    def the_board_recovers(self):
        self.board.recover()
        locker.check_boards(terminal())

    @rule()
    def time_passes_and_the_sweeper_runs(self):
        earlier = utcnow() - timedelta(seconds=current_app.config["RESERVATION_TIMEOUT_SECONDS"] + 1)
        for item in db.session.scalars(select(LockerItem).where(LockerItem.state == ItemState.RESERVED)):
            item.created_at = earlier
        db.session.commit()
        locker.sweep(terminal())

    @rule()
    def staff_check_the_compartments(self):
        """Staff close what stands open and put back what they checked."""
        for _board, lock in sorted(self.board.physically_open()):
            self.board.close_door(lock)
        if self.board.silent or self.board.corrupt_every == 1:
            return
        locker.check_boards(terminal())
        for compartment in locker.to_check(terminal()):
            try:
                locker.checked_empty(staff("staff-hq"), terminal(), compartment.id)
            except locker.DomainError:
                pass

    # ------------------------------------------------------------ invariants

    @invariant()
    def one_item_per_compartment(self):
        assert_one_item_per_compartment()

    @invariant()
    def no_reservation_outlives_the_timeout(self):
        limit = utcnow() - timedelta(seconds=current_app.config["RESERVATION_TIMEOUT_SECONDS"])
        assert not db.session.scalar(select(func.count()).select_from(LockerItem).where(
            LockerItem.state == ItemState.RESERVED, LockerItem.created_at < limit))

    @invariant()
    def no_door_open_that_the_app_believes_closed(self):
        believed = {(c.board, c.lock) for c in db.session.scalars(select(Compartment).where(
            Compartment.terminal_id == terminal().id, Compartment.door != DoorState.CLOSED))}
        assert self.board.physically_open() <= believed, (self.board.physically_open(), believed)


@pytest.fixture
def socket_board(app, tmp_path):
    simulator = BoardSimulator(transport="socket")
    app.config.update(LOCK_TIMEOUT=0.05, LOCK_RETRIES=1, LOCK_COMMAND_SECONDS=0.6, LOCK_PORT_DIR=str(tmp_path))
    with app.app_context():
        terminal().lock_url = simulator.url
        db.session.commit()
    yield simulator
    simulator.stop()


def test_the_cabinet_keeps_its_invariants_through_any_night(ctx, socket_board):
    CabinetAtNight.board = socket_board
    run_state_machine_as_test(CabinetAtNight, settings=settings(
        max_examples=12, stateful_step_count=20, deadline=None, database=None,
        derandomize=os.environ.get("CI", "").lower() == "true",
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
