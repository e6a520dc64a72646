"""A drop-off at a locker whose lock board has gone silent, in Chromium: the resident still leaves
with the ticket number, its QR and what to do, within the time bound."""

from __future__ import annotations

import re
import time

from kiosk_app.extensions import db
from kiosk_app.services import terminals

from ..hardware.board_sim import BoardSimulator
from .pages import locker_screen, start_drop_off


def test_drop_off_with_a_silent_board_shows_the_ticket_and_where_to_go(app, live_server, new_page, shot, tmp_path):
    board = BoardSimulator(transport="socket")
    board.silent = True
    app.config["LOCK_PORT_DIR"] = str(tmp_path)
    try:
        with app.app_context():
            terminal = terminals.get_by_code("HQ-L1")
            terminal.lock_url = board.url
            db.session.commit()
        screen = locker_screen(app, new_page)
        start_drop_off(screen)
        started = time.monotonic()
        screen.get_by_role("button", name="提交并领取回执").click()
        screen.locator("#ticket-number").wait_for(timeout=5_000)
        elapsed = time.monotonic() - started
        assert elapsed < 5.0, f"the resident waited {elapsed:.1f} s"
        assert re.fullmatch(r"HQ-\d{6}-\d{3}", screen.locator("#ticket-number").inner_text())
        problem = screen.locator("#locker-problem").inner_text()
        assert "服务中心" in problem and "工作人员" in problem
        assert screen.locator("#ticket svg.qr").count() == 1
        assert board.commanded == [] and board.physically_open() == set()
        shot(screen, "01-silent-board-ticket")
    finally:
        board.stop()
