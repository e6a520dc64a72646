"""Receipts at a terminal: printed once when a ticket is issued or a result is picked up; a printer
that is off, out of paper or silent never stops a ticket, the screen says so, staff see the fault."""

import re
import time

import pytest

from kiosk_app.extensions import db
from kiosk_app.hardware import printers
from kiosk_app.models import Notification, PrintJob, PrintState, Ticket
from kiosk_app.services import terminals

from ..helpers import csrf_token, open_form, sign_in, valid_form
from ..web.test_terminal import enrolled, place_result
from .fake_printer import FakePrinter, closed_port, decoded_qr_codes


def text(response) -> str:
    return response.get_data(as_text=True)


def set_printer(app, url, code="HQ-K1"):
    with app.app_context():
        terminal = terminals.get_by_code(code)
        terminal.printer_url = url
        db.session.commit()


@pytest.fixture
def kiosk(app):
    return enrolled(app, "HQ-K1")


@pytest.fixture
def printer():
    fake = FakePrinter("ok")
    yield fake
    fake.close()


def submit(app, client, **changes):
    service_id, token, key = open_form(client, app)
    response = client.post(f"/kiosk/services/{service_id}/request",
                           data={**valid_form(app, **{"sms": "1", **changes}), "csrf_token": token,
                                 "submission_key": key})
    assert response.status_code == 303
    return response.headers["Location"]


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_the_kiosk_prints_the_receipt_once_with_a_qr_of_the_status_page(app, kiosk, printer):
    set_printer(app, printer.url)
    location = submit(app, kiosk)
    page = text(kiosk.get(location))
    assert 'id="receipt-printed"' in page and "回执已打印，请取走。" in page
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        number, status_url = ticket.number, f"http://kiosk.test/t/{ticket.token}"
    assert wait_for(lambda: printer.received.endswith(b"\x1dV\x00"))
    assert number.encode() in printer.received
    assert status_url in decoded_qr_codes(bytes(printer.received))
    kiosk.get(location)  # shown again: not printed again
    assert printer.connections == 1
    with app.app_context():
        job = db.session.scalar(db.select(PrintJob))
        assert job.state == PrintState.PRINTED and job.kind == "ticket"
        assert terminals.get_by_code("HQ-K1").printer_state == "ok"


def test_a_printer_with_a_chinese_font_gets_gb18030(app, kiosk, printer):
    set_printer(app, printer.url + "?chinese=gb18030")
    kiosk.get(submit(app, kiosk))
    assert wait_for(lambda: printer.received.endswith(b"\x1dV\x00"))
    assert b"\x1c\x26" + "红旗路社区".encode("gb18030") in printer.received


@pytest.mark.parametrize("mode, reason", [
    ("paper_out", "打印机缺纸"),
    ("offline", "打印机未开机或未连接"),
    ("silent", "打印机没有响应"),
    ("switched off", "打印机未开机或未连接"),
])
def test_a_printer_fault_still_issues_the_ticket_and_says_so(app, kiosk, mode, reason):
    fake = None if mode == "switched off" else FakePrinter(mode)
    set_printer(app, fake.url if fake else f"tcp://127.0.0.1:{closed_port()}")
    try:
        started = time.monotonic()
        location = submit(app, kiosk)
        page = text(kiosk.get(location))
        elapsed = time.monotonic() - started
    finally:
        if fake:
            fake.close()
    assert elapsed < 10  # bounded by the printer timeout (0.5 s in tests), never a hang
    assert 'id="receipt-failed"' in page and reason in page
    assert "请用手机拍下下方二维码" in page and "<svg" in page  # the QR to photograph
    assert 'id="sms-coming"' in page and "138****5678" in page
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        assert ticket.number in page
        job = db.session.scalar(db.select(PrintJob))
        assert job.state == PrintState.FAILED and job.ticket_id == ticket.id
        assert terminals.get_by_code("HQ-K1").printer_fault is not None


def test_a_resident_who_declined_messages_may_ask_for_one_when_nothing_printed(app, kiosk):
    set_printer(app, "dummy://?fault=paper_out")
    location = submit(app, kiosk, sms="")
    page = text(kiosk.get(location))
    assert 'id="send-sms"' in page and 'id="sms-coming"' not in page
    token = location.rsplit("/", 1)[-1]
    form = csrf_token(kiosk, location)
    assert kiosk.post(f"/kiosk/ticket/{token}/sms", data={"csrf_token": form}).status_code == 303
    assert kiosk.post(f"/kiosk/ticket/{token}/sms", data={"csrf_token": form}).status_code == 303  # twice: one text
    assert 'id="sms-coming"' in text(kiosk.get(location))
    with app.app_context():
        messages = db.session.scalars(db.select(Notification)).all()
        assert [m.kind for m in messages] == ["issued"]


def test_a_phone_or_another_browser_never_prints(app, resident):
    set_printer(app, "dummy://")
    before = len(printers.SIMULATED)
    resident.get(submit(app, resident))
    assert len(printers.SIMULATED) == before
    with app.app_context():
        assert db.session.scalar(db.select(PrintJob)) is None


def test_staff_see_the_printer_fault_and_a_test_page_clears_it(app, kiosk):
    set_printer(app, "dummy://?fault=paper_out")
    kiosk.get(submit(app, kiosk))
    admin = sign_in(app, "admin-hq")
    listing = text(admin.get("/staff/terminals"))
    assert re.search(r'data-terminal="HQ-K1">.*?打印机故障：打印机缺纸', listing, re.S)
    with app.app_context():
        terminal_id = terminals.get_by_code("HQ-K1").id
    view = text(admin.get(f"/staff/terminals/{terminal_id}"))
    assert 'id="printer-fault"' in view and "打印机缺纸" in view
    token = csrf_token(admin, f"/staff/terminals/{terminal_id}")
    still = admin.post(f"/staff/terminals/{terminal_id}/printer-test", data={"csrf_token": token})
    assert still.status_code == 409 and 'id="printer-fault"' in text(still)
    set_printer(app, "dummy://")  # paper loaded
    fixed = admin.post(f"/staff/terminals/{terminal_id}/printer-test", data={"csrf_token": token})
    assert fixed.status_code == 200 and 'id="printer-ok"' in text(fixed) and "测试页已打印" in text(fixed)
    assert "打印机故障" not in text(admin.get("/staff/terminals"))


def test_only_admins_of_its_community_may_test_a_printer(app):
    with app.app_context():
        xj_kiosk = terminals.get_by_code("XJ-K1").id
        hq_kiosk = terminals.get_by_code("HQ-K1").id
    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/")
    assert admin.post(f"/staff/terminals/{xj_kiosk}/printer-test", data={"csrf_token": token}).status_code == 404
    worker = sign_in(app, "staff-hq")
    token = csrf_token(worker, "/staff/")
    assert worker.post(f"/staff/terminals/{hq_kiosk}/printer-test", data={"csrf_token": token}).status_code == 403


def test_the_locker_prints_a_pickup_slip_when_a_result_is_picked_up(app, client):
    cabinet = enrolled(app)
    token, number = place_result(app)
    code = re.search(r'id="pickup-code">(\d{4} \d{4})<', text(client.get(f"/t/{token}"))).group(1)
    form = csrf_token(cabinet, "/terminal/pickup")
    door = cabinet.post("/terminal/pickup", data={"csrf_token": form, "code": code}).headers["Location"]
    done = cabinet.post(f"{door}/close", data={"csrf_token": form}).headers["Location"]
    before = len(printers.SIMULATED)
    page = text(cabinet.get(done))
    assert 'id="slip-printed"' in page
    cabinet.get(done)
    assert len(printers.SIMULATED) == before + 1
    slip_text, slip_bytes = printers.SIMULATED[-1]
    assert "取件凭条" in slip_text and f"{number} 号柜门" in slip_text
    assert f"http://kiosk.test/t/{token}" in decoded_qr_codes(slip_bytes)


def test_a_drop_off_receipt_says_which_compartment_holds_the_papers(app):
    from ..web.test_terminal import drop_off

    cabinet = enrolled(app)
    door = drop_off(app, cabinet).headers["Location"]
    form = csrf_token(cabinet, door)
    issued = cabinet.post(f"{door}/close", data={"csrf_token": form}).headers["Location"]
    assert 'id="receipt-printed"' in text(cabinet.get(issued))
    receipt_text, _data = printers.SIMULATED[-1]
    assert "您的材料已放入 5 号格口" in receipt_text


def test_the_printer_is_set_per_terminal_from_the_command_line(app):
    runner = app.test_cli_runner()
    wrong = runner.invoke(args=["terminal-printer", "HQ-K1", "tcp://p.local?chinese=big5"])
    assert wrong.exit_code != 0 and "chinese=big5" in wrong.output
    right = runner.invoke(args=["terminal-printer", "HQ-K1", "tcp://192.168.1.50:9100?chinese=gb18030"])
    assert right.exit_code == 0, right.output
    with app.app_context():
        assert terminals.get_by_code("HQ-K1").printer_url == "tcp://192.168.1.50:9100?chinese=gb18030"
    assert runner.invoke(args=["terminal-printer", "NOPE-K1", "none"]).exit_code != 0
