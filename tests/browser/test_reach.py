"""A portrait kiosk (1080×1920) mounted at standing height: every button a resident needs lies in the
lower two thirds of the screen, where a resident in a wheelchair or a short elderly resident reaches
it, and within the screen; the ticket's QR code reads from a phone at arm's length."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image

from .pages import begin, locker_screen, start_drop_off
from .test_kiosk_flow import enrol_as_kiosk

PORTRAIT = {"width": 1080, "height": 1920}
TOP_THIRD = PORTRAIT["height"] / 3


def viewport_shot(shot):
    """Screenshots of the screen as the resident sees it (the viewport, not the whole page)."""
    return lambda page, name: shot(page, name, full_page=False)


def out_of_reach(page, selector: str) -> list[str]:
    """The targets matching ``selector`` that are not within the lower two thirds of the screen."""
    found = page.locator(selector)
    assert found.count() > 0, f"nothing matches {selector}"
    wrong = []
    for index in range(found.count()):
        target = found.nth(index)
        if not target.is_visible():
            continue
        box = target.bounding_box()
        if box["y"] < TOP_THIRD or box["y"] + box["height"] > PORTRAIT["height"]:
            wrong.append(f"{(target.inner_text() or target.get_attribute('value') or '').strip()[:20]!r} "
                         f"at {box['y']:.0f}–{box['y'] + box['height']:.0f}")
    return wrong


def test_a_residents_buttons_are_within_reach_on_the_kiosk(app, live_server, new_page, shot):
    page = new_page(viewport=PORTRAIT)
    shot = viewport_shot(shot)
    enrol_as_kiosk(app, page)
    shot(page, "01-home")
    assert out_of_reach(page, "a.tile") == []
    assert out_of_reach(page, "button.pref") == []
    page.get_by_role("link", name=re.compile("居住证申领")).click()
    shot(page, "02-service")
    assert out_of_reach(page, "main .actions .button") == []
    begin(page)
    shot(page, "03-form")
    assert out_of_reach(page, "#request-form button[type=submit], #request-form .actions .button") == []
    page.fill("#f-name", "张三")
    page.fill("#f-mobile", "13812345678")
    page.select_option("#f-building", index=1)
    page.fill("#f-id_number", "11010519491231002X")
    page.get_by_role("button", name="提交并领取回执").click()
    page.wait_for_url(re.compile(r"/kiosk/tickets/"))
    shot(page, "04-ticket")
    assert out_of_reach(page, "#finish, #print-receipt") == []
    # The QR code: large enough for a phone at arm's length, and read even from a half-size picture.
    qr = page.locator("svg.qr")
    assert qr.bounding_box()["width"] >= 320
    full = Image.open(io.BytesIO(page.screenshot()))
    half = full.resize((full.width // 2, full.height // 2), Image.LANCZOS)
    decoded = zxingcpp.read_barcodes(half)
    assert [code.text for code in decoded if "/t/" in code.text], "the half-size screenshot's QR did not read"


def test_a_residents_buttons_are_within_reach_at_the_locker(app, live_server, new_page, shot):
    shot = viewport_shot(shot)
    screen = locker_screen(app, new_page)
    screen.set_viewport_size(PORTRAIT)
    screen.reload()
    shot(screen, "01-home")
    assert out_of_reach(screen, "main a.button, main a.tile") == []
    screen.goto("/terminal/pickup")
    shot(screen, "02-keypad")
    assert out_of_reach(screen, ".keypad button") == []
    screen.goto("/terminal/")
    start_drop_off(screen)
    screen.get_by_role("button", name="提交并领取回执").click()
    screen.wait_for_url(re.compile(r"/terminal/items/[\w-]+$"))
    shot(screen, "03-door")
    assert out_of_reach(screen, "#close-door, .door-page form button") == []
    # The door to find: the cabinet drawn as it stands, the open door marked, its number huge.
    assert screen.locator(".door-page .cabinet .door.door-open", has_text="5").count() == 1
    assert screen.locator("#door-number").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 120
