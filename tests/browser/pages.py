"""Steps that several browser tests take the same way."""

from __future__ import annotations

import re

from ..helpers import STAFF_PASSWORD


def start_request(page, service: str, community: str = "HQ") -> None:
    """From a phone-mode browser: choose the community and open a service's form."""
    page.goto(f"/kiosk/community/{community}")
    page.get_by_role("link", name=re.compile(service)).click()
    begin(page)


def begin(page) -> None:
    """On a service's page: open its form and wait until its checks are bound (its deferred scripts
    have run); a field filled and left before then is checked only when the form is sent."""
    page.get_by_role("link", name="开始办理").click()
    page.wait_for_url(re.compile(r"/request"))
    page.wait_for_load_state("load")


def fill_request(page, name: str, mobile: str, building_index: int = 1) -> None:
    page.fill("#f-name", name)
    page.fill("#f-mobile", mobile)
    page.select_option("#f-building", index=building_index)


def submit_request(page) -> None:
    page.get_by_role("button", name="提交并领取回执").click()
    page.wait_for_url(re.compile(r"/kiosk/tickets/"))


def staff_sign_in(page, username: str, then: str = "/staff/") -> None:
    page.goto(f"/staff/login?next={then}")
    page.fill("#f-username", username)
    page.fill("#f-password", STAFF_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"**{then}")


def fits(page) -> bool:
    """Nothing wider than the screen: no sideways scrolling.  (On a phone the page's own width, not
    ``innerWidth``, which grows with what overflows.)"""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def register_volunteer(app, page, name: str, mobile: str, skills: str = "") -> None:
    """On a phone: register as a volunteer of HQ (志愿云) with the texted code."""
    from kiosk_app.extensions import db
    from kiosk_app.models import Notification

    page.goto("/kiosk/community/HQ")
    page.goto("/v/")
    page.fill("#f-v-name", name)
    page.fill("#f-v-mobile", mobile)
    page.fill("#f-v-skills", skills)
    with page.expect_navigation():
        page.get_by_role("button", name="发送验证码").tap()
    with app.app_context():
        message = db.session.scalars(db.select(Notification).filter_by(kind="volunteer_code")
                                     .order_by(Notification.id.desc())).first()
        code = re.search(r"\b(\d{6})\b", message.body).group(1)
    page.fill("#f-v-code", code)
    with page.expect_navigation():
        page.get_by_role("button", name="确认").tap()


def locker_screen(app, new_page, terminal_code: str = "HQ-L1"):
    """A new browser enrolled as a locker terminal's screen, on its home page."""
    from kiosk_app.services import terminals

    with app.app_context():
        code = terminals.issue_enrolment_code(terminals.get_by_code(terminal_code))
    screen = new_page()
    screen.goto("/kiosk/enrol")
    screen.fill("#f-code", code)
    screen.click("button[type=submit]")
    screen.wait_for_url("**/terminal/")
    return screen


def start_drop_off(screen, service: str = "居住证申领") -> None:
    """At the locker's home: choose a paperwork service and fill its form, ready to send."""
    screen.get_by_role("link", name=re.compile(service)).click()
    screen.fill("#f-name", "王五")
    screen.fill("#f-mobile", "13700001234")
    screen.select_option("#f-building", label="3号楼")
    screen.fill("#f-id_number", "11010519491231002X")
