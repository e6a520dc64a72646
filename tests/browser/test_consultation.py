"""民议 · 民决 · 民办 · 民评 in a browser: staff open a consultation for a building and print its notice; a
resident scans the notice's QR on a phone, confirms the household with a texted code, comments and
votes; another household votes at the community's kiosk with an ID card; staff close it and the result
notice shows the counts and the rule; a task is offered to volunteers, a volunteer registers, signs up and
checks in and out with the task's QR; the task is done and the resident judges the result."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlsplit

import zxingcpp
from PIL import Image

from kiosk_app.extensions import db
from kiosk_app.models import Consultation
from kiosk_app.models.base import utcnow
from kiosk_app.services.consultations import Phase

from ..integration.test_consultations import code_sent_to, household, local, move_to
from .pages import fits, register_volunteer, staff_sign_in

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_building_decides_a_matter_from_the_notice_to_the_result(app, live_server, new_page, shot):
    from kiosk_app.services import archive

    from ..helpers import building_of, staff
    from .test_kiosk_flow import enrol_as_kiosk

    with app.app_context():
        household(0, room="301", mobile="13900000001")
        archive.create_household(staff("admin-hq"), building_of("HQ", 0).id, {
            "unit": "1", "room": "302", "name": "钱大伯", "id_number": "11010519491231002X", "tags": [],
            "basis": "consent", "basis_on": "2026-11-01"})
    now = utcnow()
    desk = new_page(viewport={"width": 1280, "height": 1000})
    staff_sign_in(desk, "admin-hq", then="/staff/consultations/")
    desk.click("#new-consultation")
    desk.fill("#f-title", "1号楼加装电梯")
    desk.fill("#f-matter", "拟在1号楼加装电梯，费用按楼层分摊。是否同意？")
    desk.check("input[name=scope][value=buildings]")
    desk.select_option("#f-buildings", label="1号楼")
    for name, moment in (("discussion_from", now - timedelta(minutes=5)), ("discussion_to", now + timedelta(days=1)),
                         ("vote_from", now + timedelta(days=1)), ("vote_to", now + timedelta(days=2))):
        desk.fill(f"#f-{name}", local(moment))
    with desk.expect_navigation():
        desk.get_by_role("button", name="保存草稿").click()
    with desk.expect_navigation():
        desk.click("#publish")
    assert "已发布" in desk.locator(".flash").inner_text()
    desk.click("#notice-link")
    shot(desk, "01-notice")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(desk.locator(".notice-qr").screenshot())))
    [address] = [code.text for code in decoded]
    path = urlsplit(address).path
    assert path.startswith("/c/")

    phone = new_page(**PHONE)
    phone.goto(path)
    assert "1号楼加装电梯" in phone.locator("h1").inner_text()
    phone.fill("#f-mobile", "13900000001")
    with phone.expect_navigation():
        phone.get_by_role("button", name="发送验证码").tap()
    with app.app_context():
        consultation = db.session.scalar(db.select(Consultation).filter_by(title="1号楼加装电梯"))
        consultation_id, code = consultation.id, code_sent_to(consultation)
    phone.fill("#f-code", code)
    with phone.expect_navigation():
        phone.get_by_role("button", name="确认").tap()
    assert "您代表 1号楼 赵*妈 户参与" in phone.locator("#voter").inner_text()
    phone.fill("#f-body", "同意，老人上下楼太难了。参考 https://example.org/" + "elevator-retrofit-" * 12)
    with phone.expect_navigation():
        phone.get_by_role("button", name="发表意见").tap()
    assert "老人上下楼太难了" in phone.locator("#comments").inner_text()
    assert fits(phone)  # a long link in a comment wraps
    shot(phone, "02-discussion")

    with app.app_context():
        move_to(db.session.get(Consultation, consultation_id), Phase.VOTING)
    phone.reload()
    phone.locator("#vote-form label.choice", has_text="同意").first.tap()
    with phone.expect_navigation():
        phone.get_by_role("button", name="投票", exact=True).tap()
    assert "您户已投票：同意" in phone.locator("#household-vote").inner_text()
    shot(phone, "03-voted")
    kiosk = new_page(viewport={"width": 1080, "height": 1920})
    enrol_as_kiosk(app, kiosk)
    kiosk.click("#consultations-tile")
    kiosk.get_by_role("link", name="1号楼加装电梯").click()
    kiosk.fill("#f-id-number", "11010519491231002X")
    kiosk.locator("#kiosk-vote-form label.choice", has_text="同意").first.click()
    with kiosk.expect_navigation():
        kiosk.locator("#kiosk-vote-form").get_by_role("button", name="投票").click()
    assert "您户的投票已记录" in kiosk.locator("#kiosk-voted").inner_text()
    assert kiosk.locator("#voter").count() == 0  # nobody stays confirmed on the kiosk
    shot(kiosk, "04-kiosk-voted")
    desk.goto(f"/staff/consultations/{consultation_id}")
    assert "已投票：2 户（共 2 户）" in desk.locator("#turnout").inner_text()

    with app.app_context():
        move_to(db.session.get(Consultation, consultation_id), Phase.COUNTING)
    desk.reload()
    with desk.expect_navigation():
        desk.click("#close")
    assert "通过" in desk.locator("#outcome").inner_text()  # 2 of 2 voted, both agree
    desk.click("#notice-link")
    notice = desk.locator("#notice").inner_text()
    assert "表决结果公示" in notice and "2 户中有 2 户投票" in notice and "2/3" in notice
    shot(desk, "05-result-notice")

    desk.goto(f"/staff/consultations/{consultation_id}")
    desk.fill("#f-task-title", "请电梯公司安装电梯")
    desk.select_option("#f-task-owner-kind", "organisation")
    desk.fill("#f-task-owner", "某某电梯公司")
    desk.fill("#f-task-due", "2027-06-30")
    with desk.expect_navigation():
        desk.get_by_role("button", name="添加任务").click()
    desk.fill("#tasks input[name=wanted]", "1")
    with desk.expect_navigation():
        desk.get_by_role("button", name="发布给志愿者").click()
    desk.get_by_role("link", name="打印签到二维码").click()
    [check_address] = [code.text for code in zxingcpp.read_barcodes(
        Image.open(io.BytesIO(desk.locator(".notice-qr").screenshot())))]
    helper = new_page(**PHONE)
    register_volunteer(app, helper, "孙志愿", "13700000001", "搬运")
    with helper.expect_navigation():
        helper.locator("#volunteers li", has_text="请电梯公司安装电梯").get_by_role("button", name="报名").tap()
    helper.goto(urlsplit(check_address).path)
    with helper.expect_navigation():
        helper.get_by_role("button", name="签到").tap()
    with helper.expect_navigation():
        helper.get_by_role("button", name="签退").tap()
    assert "工作人员将确认您的服务时长" in helper.locator("#volunteer-check").inner_text()
    shot(helper, "06-volunteer-checked-out")
    desk.goto(f"/staff/consultations/{consultation_id}")
    desk.select_option("#tasks form select", "done")
    desk.fill("#tasks form input[name=progress]", "已安装完毕，验收合格。")
    with desk.expect_navigation():
        desk.locator("#tasks li form").get_by_role("button", name="保存").click()
    phone.goto(path)
    assert "已安装完毕" in phone.locator("#tasks").inner_text()
    phone.locator("#judge-form label.choice", has_text="非常满意").tap()
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交评价").tap()
    assert "平均 5.0 分" in phone.locator("#judgement-summary").inner_text()
    shot(phone, "07-judged")
