"""The cloud locker in Chromium: drop-off at the demo terminal, collection, return and pickup with the code."""

from __future__ import annotations

import re

from kiosk_app.extensions import db
from kiosk_app.models import Status, Ticket

from .pages import locker_screen, staff_sign_in, start_drop_off


def test_drop_off_collect_return_and_pick_up(app, live_server, new_page, shot):
    screen = locker_screen(app, new_page)
    assert screen.locator(".door").count() == 12
    shot(screen, "01-terminal-home")

    # 22:00, a resident hands in papers.
    start_drop_off(screen)
    screen.get_by_role("button", name="提交并领取回执").click()
    screen.wait_for_url(re.compile(r"/terminal/items/[\w-]+$"))
    assert screen.locator("#door-number").inner_text() == "5"
    assert screen.locator("#door-status").inner_text() == "柜门已打开。"
    shot(screen, "02-door-open")
    screen.get_by_role("button", name="关上柜门（演示柜）").click()
    screen.wait_for_url(re.compile(r"/kiosk/tickets/"))
    assert "5 号格口" in screen.locator("#in-locker").inner_text()
    shot(screen, "03-ticket-issued")
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        number, token = ticket.number, ticket.token

    # Morning: staff collect at the cabinet.
    staff_sign_in(screen, "staff-hq")
    screen.goto("/terminal/staff")
    assert number in screen.locator("#collect-form").inner_text()
    shot(screen, "04-staff-at-cabinet")
    screen.get_by_role("button", name="打开所选柜门").click()
    screen.wait_for_url(re.compile(r"/terminal/items/[\w-]+$"))
    screen.get_by_role("button", name="关上柜门（演示柜）").click()
    screen.wait_for_url(re.compile(r"/done$"))
    with app.app_context():
        assert db.session.scalar(db.select(Ticket)).status == Status.RECEIVED

    # The certificate is ready: staff complete the ticket and place it in the locker.
    desk = new_page()
    staff_sign_in(desk, "staff-hq")
    desk.goto("/staff/?status=all")
    desk.locator(f"tr[data-number='{number}'] a").click()
    desk.get_by_role("button", name="受理", exact=True).click()
    desk.locator("#ticket-status", has_text="已受理").wait_for()
    desk.get_by_role("button", name="开始办理", exact=True).click()
    desk.locator("#ticket-status", has_text="办理中").wait_for()
    desk.fill("#note-complete", "居住证已制作完成，请到云柜领取")
    desk.check("input[name=physical_result]")
    desk.get_by_role("button", name="办理完成", exact=True).click()
    desk.locator("#ticket-status", has_text="已办理完成").wait_for()

    screen.goto("/terminal/staff")
    screen.get_by_role("button", name="为它打开一个格口").click()
    screen.wait_for_url(re.compile(r"/terminal/items/[\w-]+$"))
    result_door = screen.locator("#door-number").inner_text()
    screen.get_by_role("button", name="关上柜门（演示柜）").click()
    screen.wait_for_url(re.compile(r"/done$"))

    # The resident sees the code on their phone and picks the result up.
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(f"/t/{token}")
    pickup_code = phone.locator("#pickup-code").inner_text().replace(" ", "")  # shown as 4 + 4 digits
    assert re.fullmatch(r"\d{8}", pickup_code)
    assert f"{result_door} 号格口" in phone.locator("#pickup").inner_text()
    shot(phone, "05-pickup-code")

    screen.goto("/terminal/pickup")
    for digit in pickup_code:
        screen.locator(f".key[data-key='{digit}']").click()
    assert screen.input_value("#f-code") == pickup_code
    shot(screen, "06-keypad")
    screen.get_by_role("button", name="开门", exact=True).click()
    screen.wait_for_url(re.compile(r"/terminal/items/[\w-]+$"))
    assert screen.locator("#door-number").inner_text() == result_door
    screen.get_by_role("button", name="关上柜门（演示柜）").click()
    screen.wait_for_url(re.compile(r"/done$"))
    assert "感谢您取走办理结果" in screen.inner_text("main")
    phone.reload()
    assert phone.locator("#status-label").inner_text() == "已办结"
    shot(phone, "07-closed")
