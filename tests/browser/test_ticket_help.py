"""志愿云 for a request, in a browser: an elderly resident's home-visit ticket is offered to volunteers from
its page; a volunteer registers on a phone and signs up; when they arrive they scan the QR on the
resident's own ticket page, check in and out; staff confirm the minutes on the ticket."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import zxingcpp
from PIL import Image

from .pages import fits, register_volunteer, staff_sign_in
from .test_consultation import PHONE


def test_a_volunteer_helps_with_a_home_visit_and_checks_in_on_the_residents_phone(app, live_server, new_page, shot):
    from ..helpers import make_ticket

    with app.app_context():
        ticket = make_ticket(service_code="home-visit", name="王秀英", details="想请人陪同去医院复查")
        ticket_id, token = ticket.id, ticket.token
    desk = new_page(viewport={"width": 1280, "height": 1000})
    staff_sign_in(desk, "staff-hq", then=f"/staff/tickets/{ticket_id}")
    desk.fill("#f-wanted", "1")
    with desk.expect_navigation():
        desk.get_by_role("button", name="发布给志愿者").click()
    assert "已报名 0 / 1 人" in desk.locator("#ticket-volunteers").inner_text()

    helper = new_page(**PHONE)
    register_volunteer(app, helper, "孙志愿", "13700000001")
    offer = helper.locator("#volunteers li", has_text="居家养老上门服务预约")
    assert "王" not in offer.inner_text()
    with helper.expect_navigation():
        offer.get_by_role("button", name="报名").tap()
    assert "社区工作人员会给您打电话" in helper.locator("#volunteers").inner_text()
    assert fits(helper)
    shot(helper, "01-volunteer-signed-up")

    resident = new_page(**PHONE)
    resident.goto(f"/t/{token}")
    shot(resident, "02-residents-page-with-check-in-qr")
    assert fits(resident)
    [address] = [found.text for found in zxingcpp.read_barcodes(
        Image.open(io.BytesIO(resident.locator("#volunteer-check-in .notice-qr").screenshot())))]
    helper.goto(urlsplit(address).path)
    with helper.expect_navigation():
        helper.get_by_role("button", name="签到").tap()
    with helper.expect_navigation():
        helper.get_by_role("button", name="签退").tap()
    assert "工作人员将确认您的服务时长" in helper.locator("#volunteer-check").inner_text()

    desk.goto(f"/staff/tickets/{ticket_id}")
    row = desk.locator("#ticket-volunteers tr[data-shift]")
    assert "孙*愿" in row.inner_text()
    row.locator("input[name=minutes]").fill("50")
    with desk.expect_navigation():
        row.get_by_role("button", name="确认").click()
    shot(desk, "03-staff-confirmed")
    helper.goto("/v/")
    assert "0.8" in helper.locator("#ledger-total").inner_text()
