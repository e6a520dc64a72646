"""What a resident meets on the first day, in Chromium: the request form's details (its checkbox, its
checks as fields are left, its error summary, no console error) and their words kept as written."""

from __future__ import annotations

import re

from kiosk_app.extensions import db
from kiosk_app.models import Ticket

from .pages import fill_request, start_request, submit_request


def console_errors(page) -> list[str]:
    """What the page logs as errors; a form sent back with its errors (422, by design) is not one."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "status of 422" not in message.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_sms_checkbox_sits_beside_its_words_on_kiosk_phone_and_large_print(live_server, new_page, shot):
    for name, viewport, large in (("kiosk", {"width": 1080, "height": 1920}, False),
                                  ("phone", {"width": 390, "height": 844}, False),
                                  ("large", {"width": 1080, "height": 1920}, True)):
        page = new_page(viewport=viewport)
        start_request(page, "公共设施报修")
        if large:
            page.get_by_role("button", name=re.compile("大字")).first.click()
            page.locator("body.large-print").wait_for()
        page.locator("input[name=sms]").wait_for()
        page.evaluate("document.fonts.ready.then(() => true)")  # measured as laid out in its own font
        words = page.locator("label.check", has=page.locator("input[name=sms]"))
        label_box = words.bounding_box()
        box = page.locator("input[name=sms]").bounding_box()
        text_left = page.evaluate("""() => {
            const label = document.querySelector("input[name=sms]").closest("label");
            const range = document.createRange();
            range.selectNodeContents(label.lastChild);
            return range.getClientRects()[0].left;  // the words' first line (a phone may wrap them)
        }""")
        assert box["width"] <= 60 and box["height"] <= 60, name
        assert 0 <= text_left - (box["x"] + box["width"]) <= 24, name  # the box is right before its words
        assert label_box["y"] <= box["y"] and box["y"] + box["height"] <= label_box["y"] + label_box["height"], name
        shot(page, f"sms-checkbox-{name}")


def test_fields_put_right_on_leaving_them_update_the_summary_and_log_no_error(app, live_server, new_page, shot):
    page = new_page(viewport={"width": 390, "height": 844})
    errors = console_errors(page)
    start_request(page, "公共设施报修")
    page.fill("#f-name", "张")
    page.locator("#f-mobile").click()
    page.locator("#err-name", has_text="请填写完整的姓名").wait_for()
    page.get_by_role("button", name="提交并领取回执").click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "3 处" in summary.inner_text()  # the name, the mobile and the building
    # Each field put right and left: the summary counts down, the field's red frame goes.
    page.fill("#f-name", "张三")
    page.locator("#f-mobile").click()
    page.locator("#error-summary", has_text="2 处").wait_for()
    page.wait_for_function("""() => {
        const input = document.getElementById("f-name");
        return !input.closest(".field").classList.contains("invalid") && !input.hasAttribute("aria-invalid");
    }""")
    page.fill("#f-mobile", "13812345678")
    page.locator("#f-details").click()
    page.locator("#error-summary", has_text="1 处").wait_for()
    page.select_option("#f-building", index=1)
    summary.wait_for(state="hidden")
    shot(page, "summary-gone")
    assert errors == []


def test_a_residents_words_are_kept_as_written(app, live_server, new_page):
    page = new_page(viewport={"width": 390, "height": 844})
    start_request(page, "公共设施报修")
    fill_request(page, "阿卜杜·热合曼", "13812345678")
    written = "我在本社区住了半年，申请修灯。材料：无；位置：３号楼（东侧）！"
    page.fill("#f-details", written)
    submit_request(page)
    with app.app_context():
        ticket = db.session.scalars(db.select(Ticket).order_by(Ticket.id.desc())).first()
        assert (ticket.resident_name, ticket.details) == ("阿卜杜·热合曼", written)


def test_on_a_phone_the_ticket_page_offers_to_keep_the_link_not_to_scan_itself(app, live_server, new_page, shot):
    page = new_page(viewport={"width": 390, "height": 844})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    start_request(page, "公共设施报修")
    fill_request(page, "李四", "13812345678")
    submit_request(page)
    assert not page.get_by_text("用手机扫码").is_visible()
    assert not page.get_by_text("没有手机").is_visible()
    assert page.locator("#keep-link").is_visible()
    page.locator("#share-link").click()
    page.locator("#share-result", has_text="链接已复制").wait_for()
    assert "/t/" in page.evaluate("navigator.clipboard.readText()")
    shot(page, "phone-ticket")
