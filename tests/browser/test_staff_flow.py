"""A resident submits at the kiosk; a member of staff handles it; the resident's status page follows."""

from __future__ import annotations

import re

from kiosk_app.extensions import db
from kiosk_app.models import Ticket

from .pages import fill_request, staff_sign_in, start_request, submit_request


def submit_at_kiosk(page) -> str:
    start_request(page, "公共设施报修")
    fill_request(page, "张三", "13812345678")
    page.select_option("#f-building", label="1号楼")
    page.fill("#f-details", "1单元3楼楼道灯不亮")
    submit_request(page)
    return page.locator("#ticket-number").inner_text()


def test_staff_handle_a_kiosk_ticket_and_the_resident_sees_each_step(app, live_server, new_page, shot):
    kiosk = new_page()
    number = submit_at_kiosk(kiosk)
    with app.app_context():
        token = db.session.scalar(db.select(Ticket.token))
    resident = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    resident.goto(f"/t/{token}")
    assert resident.locator("#status-label").inner_text() == "已提交"

    desk = new_page(viewport={"width": 1400, "height": 900})
    staff_sign_in(desk, "grid-hq1")
    row = desk.locator(f"tr[data-number='{number}']")
    row.wait_for()
    assert row.locator(".badge.new").count() == 1
    assert "张*" in row.inner_text()
    shot(desk, "01-queue")

    # Find it by the last four digits of the mobile, as at a phone call.
    desk.locator("input[name=q]").press_sequentially("5678")
    desk.wait_for_url(re.compile(r"q=5678"), wait_until="commit")
    desk.locator("#queue-results tbody tr").first.wait_for()
    assert desk.locator("#queue-results tbody tr").count() == 1
    desk.locator(f"tr[data-number='{number}'] a").click()
    desk.get_by_role("heading", name=number).wait_for()

    desk.get_by_role("button", name="受理", exact=True).click()
    desk.locator("#ticket-status", has_text="已受理").wait_for()
    resident.reload()
    assert resident.locator("#status-label").inner_text() == "已受理"

    desk.get_by_role("button", name="开始办理", exact=True).click()
    desk.locator("#ticket-status", has_text="办理中").wait_for()
    desk.fill("#note-ask_info", "请拍一张楼道灯的照片发给网格员")
    desk.get_by_role("button", name="请居民补充材料", exact=True).click()
    desk.locator("#ticket-status", has_text="需补充材料").wait_for()
    shot(desk, "02-asked-for-information")
    resident.reload()
    assert resident.locator("#status-label").inner_text() == "需补充材料"
    assert "请拍一张楼道灯的照片" in resident.locator("#timeline").inner_text()
    shot(resident, "03-resident-asked")

    desk.get_by_role("button", name="继续办理", exact=True).click()
    desk.locator("#ticket-status", has_text="办理中").wait_for()
    desk.fill("#note-complete", "已更换楼道灯泡")
    desk.get_by_role("button", name="办理完成", exact=True).click()
    desk.locator("#ticket-status", has_text="已办理完成").wait_for()
    shot(desk, "04-completed")

    resident.reload()
    assert resident.locator("#status-label").inner_text() == "已办理完成"
    timeline = resident.locator("#timeline").inner_text()
    for step in ("申请已提交", "已受理", "办理中", "需补充材料", "已办理完成", "已更换楼道灯泡"):
        assert step in timeline
    shot(resident, "05-resident-completed")


def test_the_queue_refreshes_itself_and_keeps_the_filters(app, live_server, new_page):
    app.config["QUEUE_REFRESH_SECONDS"] = 1
    desk = new_page()
    staff_sign_in(desk, "staff-hq")
    desk.select_option("select[name=channel]", "phone")  # an ordinary browser submits as a phone
    desk.wait_for_url(re.compile(r"channel=phone"), wait_until="commit")
    kiosk = new_page()
    number = submit_at_kiosk(kiosk)
    desk.locator(f"tr[data-number='{number}']").wait_for(timeout=8_000)
    assert desk.locator("select[name=channel]").input_value() == "phone"


def test_the_back_office_keeps_a_phones_width_and_a_wide_table_scrolls_within_itself(app, live_server, new_page):
    """A grid worker opens the queue on a phone, a district admin the catalogue: the page never scrolls
    sideways (the buttons above and below stay on the screen); a table wider than the phone scrolls
    by itself."""
    from ..helpers import make_ticket
    from .pages import fits

    with app.app_context():
        make_ticket()
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    staff_sign_in(phone, "admin-district")
    for path in ("/staff/", "/staff/security", "/staff/admin/catalogue", "/staff/admin/org/ladder",
                 "/staff/admin/org/tags"):
        phone.goto(path)
        wide = phone.locator(".table-scroll").first
        assert fits(phone), path
        assert wide.evaluate("box => box.scrollWidth > box.clientWidth"), path  # the table's own scroll
        broken = phone.evaluate("""() => [...document.querySelectorAll('table th')].filter(th => th.innerText.trim()
            && th.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(th).lineHeight || 20)).length""")
        assert broken == 0, path  # no heading broken a character a line
