"""The resident's flow, walked through in Chromium: kiosk, phone, no JavaScript, idle reset."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from kiosk_app.extensions import db
from kiosk_app.models import Status, Ticket, TicketEvent, TicketEventKind
from kiosk_app.models.base import utcnow
from kiosk_app.services import terminals

from .pages import begin, fill_request, start_request, submit_request


def enrol_as_kiosk(app, page):
    with app.app_context():
        code = terminals.issue_enrolment_code(terminals.get_by_code("HQ-K1"))
    page.goto("/kiosk/enrol")
    page.fill("#f-code", code)
    page.click("button[type=submit]")
    page.wait_for_url("**/kiosk/")


def decode_qr(page) -> str:
    png = page.locator("svg.qr").screenshot()
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, "the QR code on screen did not decode"
    return results[0].text


def tickets_in_db(app):
    with app.app_context():
        return db.session.scalars(db.select(Ticket)).all()


def test_kiosk_flow_in_chinese_from_home_to_status_page(app, live_server, new_page, shot):
    page = new_page()
    enrol_as_kiosk(app, page)

    # Home: Chinese, the community's name, big targets and big text.
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator(".brand-community").inner_text() == "红旗路社区"
    page.get_by_role("heading", name="请问您要办理什么？").wait_for()
    font_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_px >= 24  # 18 pt
    for box in [t.bounding_box() for t in page.locator("a.tile").all()] + \
               [b.bounding_box() for b in page.locator("button.pref").all()]:
        assert box["width"] >= 60 and box["height"] >= 60
    shot(page, "01-home")

    # A service: what it needs and how long it takes.
    page.get_by_role("link", name=re.compile("公共设施报修")).click()
    page.get_by_role("heading", name="公共设施报修").wait_for()
    assert "3 个工作日" in page.inner_text("main")
    shot(page, "02-service")
    begin(page)

    # The form: a wrong mobile is pointed out as soon as the field is left (htmx).
    page.fill("#f-name", "张三")
    page.fill("#f-mobile", "12345")
    page.locator("#f-name").click()
    page.locator("#err-mobile", has_text="手机号码应为11位数字。").wait_for()
    shot(page, "03-inline-error")
    page.fill("#f-mobile", "13812345678")
    page.locator("#f-name").click()
    page.locator("#err-mobile").wait_for(state="hidden")
    page.select_option("#f-building", label="2号楼")
    page.fill("#f-details", "2单元楼道灯不亮，晚上看不见台阶。")
    page.get_by_role("button", name="提交并领取回执").click()

    # The ticket: number, QR, expected completion.
    page.wait_for_url(re.compile(r"/kiosk/tickets/"))
    [ticket] = tickets_in_db(app)
    assert page.locator("#ticket-number").inner_text() == ticket.number
    assert f"{ticket.due_date.month}月{ticket.due_date.day}日" in page.locator("#due-date").inner_text()
    assert "张*" in page.inner_text("main") and "138****5678" in page.inner_text("main")
    assert page.locator("#receipt-printed").inner_text() == "回执已打印，请取走。"  # the demo's simulated printer
    shot(page, "04-ticket")

    # The QR on screen leads to the status page.
    url = decode_qr(page)
    assert url == f"{live_server}/t/{ticket.token}"
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(url)
    assert phone.locator("#status-label").inner_text() == "已提交"
    assert "申请已提交" in phone.locator("#timeline").inner_text()
    assert phone.locator("#masked-name").inner_text() == "张*"
    shot(phone, "05-status-on-phone")


def test_phone_flow_with_a_mistake_then_lookup_by_number(app, live_server, new_page, shot):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto("/kiosk/")
    page.get_by_role("link", name="新建路社区").click()
    page.get_by_role("link", name=re.compile("居住证申领")).click()
    begin(page)
    page.fill("#f-name", "李四")
    page.fill("#f-mobile", "13912345678")
    page.select_option("#f-building", label="商住楼")
    page.fill("#f-id_number", "110105194912310021")  # wrong check digit
    page.get_by_role("button", name="提交并领取回执").click()
    page.locator("#err-id_number", has_text="身份证号码校验不通过").wait_for()
    assert page.input_value("#f-name") == "李四"  # nothing typed is lost
    shot(page, "01-form-error")
    page.fill("#f-id_number", "11010519491231002x")
    page.get_by_role("button", name="提交并领取回执").click()
    page.wait_for_url(re.compile(r"/kiosk/tickets/"))
    no_sideways_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_sideways_scroll
    shot(page, "02-ticket")
    [ticket] = tickets_in_db(app)
    assert ticket.number.startswith("XJ-") and ticket.id_number == "11010519491231002X"

    page.goto("/t/")
    page.fill("#f-number", ticket.number)
    page.fill("#f-last4", "0000")
    page.get_by_role("button", name="查询").click()
    page.locator("#lookup-error", has_text="没有与该编号和手机后四位相符的回执").wait_for()
    page.fill("#f-last4", "5678")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/t/found")
    assert page.locator("#status-label").inner_text() == "已提交"
    shot(page, "03-status")


def test_the_status_page_refreshes_itself(app, live_server, new_page):
    app.config["STATUS_REFRESH_SECONDS"] = 1
    page = new_page()
    start_request(page, "环境卫生问题反映")
    fill_request(page, "王五", "13700001111")
    submit_request(page)
    page.get_by_role("link", name="查看办理进度").click()
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        ticket.status = Status.ACCEPTED
        ticket.events.append(TicketEvent(action=TicketEventKind.ACCEPT, from_status=Status.SUBMITTED,
                                         to_status=Status.ACCEPTED, created_at=utcnow()))
        db.session.commit()
    page.locator("#status-label", has_text="已受理").wait_for(timeout=5_000)


def test_double_tap_on_submit_makes_one_ticket(app, live_server, new_page):
    page = new_page()
    start_request(page, "邻里纠纷调解")
    fill_request(page, "赵六", "13600002222", building_index=2)
    page.get_by_role("button", name="提交并领取回执").dblclick()
    page.wait_for_url(re.compile(r"/kiosk/tickets/"))
    page.reload()
    assert len(tickets_in_db(app)) == 1


def test_the_form_works_with_javascript_off(app, live_server, new_page, shot):
    page = new_page(java_script_enabled=False)
    start_request(page, "公共设施报修")
    page.fill("#f-name", "孙七")
    page.fill("#f-mobile", "1380000")
    page.get_by_role("button", name="提交并领取回执").click()
    assert page.locator("#err-mobile").inner_text() == "手机号码应为11位数字。"
    assert page.locator("#err-building").inner_text() == "请从列表中选择您所在的楼栋。"
    shot(page, "01-errors-without-js")
    page.fill("#f-mobile", "13800001234")
    page.select_option("#f-building", index=1)
    page.get_by_role("button", name="提交并领取回执").click()
    page.wait_for_url(re.compile(r"/kiosk/tickets/"))
    assert len(tickets_in_db(app)) == 1


def test_idle_kiosk_returns_home_and_forgets(app, live_server, new_page, shot):
    app.config["KIOSK_IDLE_SECONDS"] = 2
    page = new_page()
    enrol_as_kiosk(app, page)
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Large print").click()
    page.locator("body.large-print").wait_for()
    page.get_by_role("link", name=re.compile("Repair of shared facilities")).click()
    page.get_by_role("link", name="Start").click()
    page.fill("#f-name", "Someone Else")
    # Nobody touches the screen: after two seconds the kiosk is home again, in Chinese, normal print.
    page.get_by_role("heading", name="请问您要办理什么？").wait_for(timeout=8_000)
    assert "large-print" not in (page.locator("body").get_attribute("class") or "")
    page.go_back()
    page.wait_for_load_state()
    assert "Someone Else" not in page.content()
    # Back from the start page after a reset stays there: not the last resident's form, not even empty.
    page.get_by_role("heading", name="请问您要办理什么？").wait_for()
    assert "/kiosk/services/" not in page.url
    shot(page, "01-after-idle")


def test_an_idle_kiosk_asks_first_and_continue_keeps_the_form(app, live_server, new_page, shot):
    # Wide enough windows that a slow, busy machine still clicks within them.
    app.config.update(KIOSK_IDLE_SECONDS=16, KIOSK_IDLE_WARNING_SECONDS=10)
    page = new_page(viewport={"width": 1080, "height": 1920})
    enrol_as_kiosk(app, page)
    page.get_by_role("link", name=re.compile("公共设施报修")).click()
    begin(page)
    page.fill("#f-name", "张三")
    dialog = page.get_by_role("alertdialog", name="还在吗？")
    dialog.wait_for(timeout=15_000)  # after six quiet seconds
    assert re.search(r"\b([1-9]|10) 秒后", dialog.inner_text())
    continue_box = page.get_by_role("button", name="继续").bounding_box()
    assert continue_box["y"] > 1920 / 3 and continue_box["height"] >= 60
    shot(page, "01-still-there")
    page.get_by_role("button", name="继续").click()
    dialog.wait_for(state="hidden")
    assert page.input_value("#f-name") == "张三" and "/request" in page.url
    # Asked again and not answered: home, and the form is gone.
    dialog.wait_for(timeout=15_000)
    page.get_by_role("heading", name="请问您要办理什么？").wait_for(timeout=20_000)
    assert "张三" not in page.content()


@pytest.mark.parametrize("button, size", [("大字模式", 32)])
def test_large_print_is_one_tap_away(app, live_server, new_page, shot, button, size):
    page = new_page()
    page.goto("/kiosk/community/HQ")
    page.get_by_role("button", name=button).click()
    page.locator("body.large-print").wait_for()
    page.wait_for_load_state("load")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= size
    shot(page, "01-large-print")


def test_a_ticket_prints_as_an_80mm_receipt(app, live_server, new_page, shot):
    page = new_page(viewport={"width": 302, "height": 900})  # 80 mm at 96 dpi
    start_request(page, "公共设施报修")
    fill_request(page, "周八", "13500003333")
    submit_request(page)
    assert page.locator("#print-receipt").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible() and not page.locator("#print-receipt").is_visible()
    assert page.locator("#ticket-number").is_visible() and page.locator("svg.qr").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 302
    assert "红旗路社区" in page.locator("p.print-only").inner_text()
    shot(page, "01-receipt-print-media")
    pdf = page.pdf(width="80mm", print_background=False)
    assert pdf.startswith(b"%PDF")


def test_a_printer_out_of_paper_at_the_kiosk_and_in_the_back_office(app, live_server, new_page, shot):
    from .pages import staff_sign_in

    with app.app_context():
        terminal = terminals.get_by_code("HQ-K1")
        terminal.printer_url = "dummy://?fault=paper_out"
        db.session.commit()
    page = new_page()
    enrol_as_kiosk(app, page)
    page.get_by_role("link", name=re.compile("公共设施报修")).click()
    begin(page)
    fill_request(page, "张三", "13812345678")
    page.uncheck("input[name=sms]")  # declined messages at first
    submit_request(page)

    # The ticket stands; the screen says plainly why there is no paper and what to do instead.
    failed = page.locator("#receipt-failed")
    assert "回执未能打印：打印机缺纸。" in failed.inner_text()
    assert "请用手机拍下下方二维码" in failed.inner_text()
    decode_qr(page)  # the QR to photograph is there and readable
    shot(page, "01-no-receipt")
    page.locator("#send-sms").click()
    page.locator("#sms-coming", has_text="138****5678").wait_for()
    assert len(tickets_in_db(app)) == 1

    # Staff see the fault on the terminal view; after loading paper a test page clears it.
    office = new_page()
    staff_sign_in(office, "admin-hq", then="/staff/terminals")
    office.locator("[data-terminal=HQ-K1]", has_text="打印机缺纸").wait_for()
    office.locator("[data-terminal=HQ-K1] a").click()
    office.locator("#printer-fault", has_text="打印机缺纸").wait_for()
    shot(office, "02-printer-fault")
    with app.app_context():
        terminal = terminals.get_by_code("HQ-K1")
        terminal.printer_url = "dummy://"
        db.session.commit()
    office.locator("#printer-test").click()
    office.locator("#printer-ok", has_text="测试页已打印").wait_for()
    shot(office, "03-printer-ok")
