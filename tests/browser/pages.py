"""Steps that several browser tests take the same way."""

from __future__ import annotations

import re

from ..helpers import STAFF_PASSWORD


def start_request(page, service: str, community: str = "HQ") -> None:
    """From a phone-mode browser: choose the community and open a service's form."""
    page.goto(f"/kiosk/community/{community}")
    page.get_by_role("link", name=re.compile(service)).click()
    page.get_by_role("link", name="开始办理").click()


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
