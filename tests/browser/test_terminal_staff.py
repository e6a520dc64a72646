"""Staff at a locker terminal's screen in Chromium: in from the home screen, collect, 退出, and a
session that ends by itself when the screen is left alone."""

from __future__ import annotations

import re

from kiosk_app.extensions import db
from kiosk_app.models import Status, Ticket

from ..helpers import STAFF_PASSWORD
from .pages import locker_screen, start_drop_off

DOOR_PAGE = re.compile(r"/terminal/items/[^/]+$")


def staff_tap(screen) -> None:
    """From the terminal's home screen, tap 工作人员."""
    screen.get_by_role("link", name=re.compile("^工作人员")).click()


def sign_in_here(screen, username: str = "staff-hq") -> None:
    screen.wait_for_url(re.compile(r"/staff/login\?next="))
    screen.fill("#f-username", username)
    screen.fill("#f-password", STAFF_PASSWORD)
    screen.get_by_role("button", name="登录", exact=True).click()
    screen.wait_for_url(re.compile(r"/terminal/staff$"))


def test_staff_sign_in_collect_sign_out_and_an_idle_session_ends(app, live_server, new_page, shot):
    screen = locker_screen(app, new_page)

    # A resident hands in papers and closes the door.
    start_drop_off(screen)
    screen.get_by_role("button", name="提交并领取回执").click()
    screen.wait_for_url(DOOR_PAGE)
    screen.get_by_role("button", name="关上柜门（演示柜）").click()
    screen.wait_for_url(re.compile(r"/kiosk/tickets/"))
    number = screen.locator("#ticket-number").inner_text()
    screen.goto("/")  # an enrolled locker's start page is its home screen
    screen.wait_for_url("**/terminal/")

    # Staff tap 工作人员, sign in, and land on the terminal's staff page.
    staff_tap(screen)
    sign_in_here(screen)
    assert number in screen.locator("#collect-form").inner_text()
    assert screen.get_by_role("button", name="退出", exact=True).is_visible()
    shot(screen, "01-staff-page")
    screen.get_by_role("button", name="打开所选柜门").click()
    screen.wait_for_url(DOOR_PAGE)
    screen.get_by_role("button", name="关上柜门（演示柜）").click()
    screen.wait_for_url(re.compile(r"/done$"))
    with app.app_context():
        assert db.session.scalar(db.select(Ticket)).status == Status.RECEIVED

    # 退出: back home, and the next tap on 工作人员 asks for a password.
    screen.goto("/terminal/staff")
    screen.get_by_role("button", name="退出", exact=True).click()
    screen.wait_for_url(re.compile(r"/terminal/$"))
    shot(screen, "02-signed-out-home")
    staff_tap(screen)
    screen.wait_for_url(re.compile(r"/staff/login\?next="))
    assert screen.locator("#f-password").is_visible()
    shot(screen, "03-password-again")

    # Signed in again and then left alone: the screen goes home by itself and the session is over.
    app.config["TERMINAL_STAFF_IDLE_SECONDS"] = 3
    sign_in_here(screen)
    assert screen.locator("#idle-reset").get_attribute("data-idle-seconds") == "3"
    screen.wait_for_url(re.compile(r"/terminal/$"), timeout=15_000)
    shot(screen, "04-home-by-itself")
    staff_tap(screen)
    screen.wait_for_url(re.compile(r"/staff/login\?next="))
    assert screen.locator("#f-password").is_visible()
