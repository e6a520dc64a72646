"""Setting a terminal's lock line and checking the lockers from the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import ItemKind, ItemState, LockerItem
from kiosk_app.models.base import utcnow
from kiosk_app.services import locker, terminals

from ..helpers import make_ticket
from .board_sim import BoardSimulator


@pytest.mark.parametrize("url, stored", [
    ("/dev/ttyUSB0", "/dev/ttyUSB0"), ("socket://192.168.1.60:4001", "socket://192.168.1.60:4001"),
    ("agent", "agent"), ("sim", "sim://"),
])
def test_terminal_locks_sets_the_lock_line(app, url, stored):
    result = app.test_cli_runner().invoke(args=["terminal-locks", "HQ-L1", url])
    assert result.exit_code == 0 and stored in result.output
    with app.app_context():
        assert terminals.get_by_code("HQ-L1").lock_url == stored


@pytest.mark.parametrize("url", ["socket://no-port", "http://x:1", "COM3", "/dev/tty USB0", ""])
def test_terminal_locks_refuses_what_no_driver_can_use(app, url):
    result = app.test_cli_runner().invoke(args=["terminal-locks", "HQ-L1", url])
    assert result.exit_code != 0 and "sim://" in result.output
    with app.app_context():
        assert terminals.get_by_code("HQ-L1").lock_url == "sim://"


def test_terminal_locks_names_an_unknown_terminal(app):
    result = app.test_cli_runner().invoke(args=["terminal-locks", "NOPE", "agent"])
    assert result.exit_code != 0


def test_locker_check_records_a_silent_board_then_clears_it_and_sweeps(app, tmp_path):
    board = BoardSimulator(transport="socket")
    app.config["LOCK_PORT_DIR"] = str(tmp_path)
    runner = app.test_cli_runner()
    try:
        assert runner.invoke(args=["terminal-locks", "HQ-L1", board.url]).exit_code == 0
        with app.app_context():  # a reservation a killed worker left behind
            item = locker.reserve(terminals.get_by_code("HQ-L1"), make_ticket(), ItemKind.SUBMISSION)
            item.created_at = utcnow() - timedelta(seconds=app.config["RESERVATION_TIMEOUT_SECONDS"] + 1)
            db.session.commit()
        board.silent = True
        result = runner.invoke(args=["locker", "check", "HQ-L1"])
        assert result.exit_code == 0 and "board 1: " in result.output and "board 1: ok" not in result.output
        # A silent board cannot say the door stayed shut: the compartment is escalated, not given back.
        assert "released 0, escalated 1" in result.output
        with app.app_context():
            assert [b.number for b in locker.board_faults(terminals.get_by_code("HQ-L1"))] == [1]
            item = db.session.scalar(db.select(LockerItem))
            assert item.state == ItemState.CANCELLED and item.compartment.state.value == "check"
            # Another one left behind, swept once the board answers: its door reads shut, so it is released.
            other = locker.reserve(terminals.get_by_code("HQ-L1"), make_ticket(), ItemKind.SUBMISSION)
            other.created_at = utcnow() - timedelta(seconds=app.config["RESERVATION_TIMEOUT_SECONDS"] + 1)
            db.session.commit()
        board.recover()
        result = runner.invoke(args=["locker", "check"])
        assert "HQ-L1" in result.output and "board 1: ok" in result.output and "released 1, escalated 0" in result.output
        with app.app_context():
            assert locker.board_faults(terminals.get_by_code("HQ-L1")) == []
        assert board.commanded == []  # a check opens nothing
    finally:
        board.stop()
