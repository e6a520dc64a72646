"""The locker terminal's pages: drop-off with a door, pickup with a code, staff at the cabinet."""

import re

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Channel, DoorState, ItemState, LockerItem, Status, Ticket
from kiosk_app.services import locker, terminals

from ..helpers import (CSRF_RE, HX, KEY_RE, STAFF_PASSWORD, completed, csrf_token, make_ticket, service_by_code, staff,
                       valid_form)


def text(response) -> str:
    return response.get_data(as_text=True)


def enrolled(app, code="HQ-L1"):
    client = app.test_client()
    with app.app_context():
        enrolment = terminals.issue_enrolment_code(terminals.get_by_code(code))
    client.post("/kiosk/enrol", data={"csrf_token": csrf_token(client, "/kiosk/enrol"), "code": enrolment})
    return client


@pytest.fixture
def cabinet(app):
    return enrolled(app)


def test_an_ordinary_browser_is_not_a_terminal(client):
    assert "This device is not a locker terminal" in text(client.get("/terminal/")) or \
        "本设备不是云柜终端" in text(client.get("/terminal/"))
    assert client.get("/terminal/pickup").status_code == 404


def test_the_terminal_home_offers_pickup_drop_off_and_shows_the_cabinet(cabinet):
    assert cabinet.get("/").headers["Location"] == "/terminal/"
    page = text(cabinet.get("/terminal/"))
    assert "居住证申领" in page and "公共设施报修" not in page  # paperwork services only
    assert page.count('data-door="') == 12
    assert "<span>小格</span>" in page and "<span>S</span>" not in page


def drop_off(app, client, service_code="residence-permit"):
    with app.app_context():
        service_id = service_by_code(service_code).id
    page = text(client.get(f"/terminal/dropoff/{service_id}"))
    data = {**valid_form(app, id_number="11010519491231002X"), "csrf_token": CSRF_RE.search(page).group(1),
            "submission_key": KEY_RE.search(page).group(1)}
    return client.post(f"/terminal/dropoff/{service_id}", data=data)


def test_drop_off_opens_a_door_and_issues_the_ticket_when_it_closes(app, cabinet):
    response = drop_off(app, cabinet)
    assert response.status_code == 303 and response.headers["Location"].startswith("/terminal/items/")
    door_page = text(cabinet.get(response.headers["Location"]))
    assert re.search(r'id="door-number">5<', door_page)  # the first M compartment
    assert "柜门已打开。" in door_page and 'hx-trigger="every 1s"' in door_page
    item_url = response.headers["Location"]
    poll = cabinet.get(f"{item_url}/door", headers=HX)
    assert poll.status_code == 200 and 'id="door-state"' in text(poll)
    closed = cabinet.post(f"{item_url}/close", data={"csrf_token": CSRF_RE.search(door_page).group(1)}, headers=HX)
    assert closed.status_code == 204 and closed.headers["HX-Redirect"].startswith("/kiosk/tickets/")
    ticket_page = text(cabinet.get(closed.headers["HX-Redirect"]))
    assert "您的材料已放入 5 号格口" in ticket_page
    # … and does not then ask for the papers it just took.
    assert "请将本业务所需材料送到社区服务中心" not in ticket_page and "材料" in ticket_page
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        assert ticket.channel == Channel.LOCKER and ticket.terminal.code == "HQ-L1"
        item = db.session.scalar(db.select(LockerItem))
        assert item.state == ItemState.HELD and item.compartment.door == DoorState.CLOSED


def test_a_door_page_of_another_terminal_is_404(app, cabinet):
    location = drop_off(app, cabinet).headers["Location"]
    other = enrolled(app, "XJ-L1")
    assert other.get(location).status_code == 404
    assert other.post(f"{location}/close", data={"csrf_token": csrf_token(other, "/terminal/")}).status_code == 404


def test_cancelling_a_drop_off_withdraws_the_ticket(app, cabinet):
    location = drop_off(app, cabinet).headers["Location"]
    token = CSRF_RE.search(text(cabinet.get(location))).group(1)
    cancelled = cabinet.post(f"{location}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(Ticket)).status == Status.WITHDRAWN
    # The door it opened is still open: the screen stays on it and says to close it, until it is.
    assert cancelled.headers["Location"] == location
    page = text(cabinet.get(location))
    assert "您已取消。请关好柜门并稍候" in page and 'id="door-number">5<' in page and "回执编号" not in page
    assert "请关好柜门" in text(cabinet.get(f"{location}/door", headers=HX))
    closed = cabinet.post(f"{location}/close", data={"csrf_token": token}, headers=HX)
    assert closed.headers["HX-Redirect"] == "/terminal/"
    assert cabinet.get(f"{location}/door", headers=HX).headers["HX-Redirect"] == "/terminal/"
    with app.app_context():
        assert db.session.scalar(db.select(LockerItem)).compartment.door == DoorState.CLOSED


def test_a_full_cabinet_still_issues_the_ticket_and_says_where_to_go(app, cabinet):
    with app.app_context():
        t = terminals.get_by_code("HQ-L1")
        for _ in range(8):
            locker.reserve(t, make_ticket(), locker.ItemKind.SUBMISSION, locker.Size.M)
    response = drop_off(app, cabinet)
    assert response.headers["Location"].startswith("/kiosk/tickets/")
    page = text(cabinet.get(response.headers["Location"]))
    assert 'data-problem="locker_full"' in page and "没有空闲的合适格口" in page and 'id="ticket-number"' in page


def place_result(app):
    with app.app_context():
        ticket = completed(make_ticket(), physical_result=True)
        admin = staff("admin-hq")
        item = locker.start_return(admin, terminals.get_by_code("HQ-L1"), ticket.id)
        locker.door_closed(item.compartment, actor=admin)
        return ticket.token, item.compartment.number


def test_pickup_with_the_code_from_the_status_page(app, cabinet, client):
    token, number = place_result(app)
    status_page = text(client.get(f"/t/{token}"))
    assert 'id="rating"' not in status_page  # the result is still in the locker: not rated yet
    shown = re.search(r'id="pickup-code">(\d{4} \d{4})<', status_page).group(1)  # grouped for reading
    code = shown.replace(" ", "")
    assert f"{number} 号格口" in status_page
    form_token = csrf_token(cabinet, "/terminal/pickup")
    wrong = cabinet.post("/terminal/pickup", data={"csrf_token": form_token,
                                                   "code": "00000000" if code != "00000000" else "11111111"})
    assert wrong.status_code == 422 and "此取件码无法在本柜开门" in text(wrong)
    right = cabinet.post("/terminal/pickup", data={"csrf_token": form_token, "code": shown})  # space and all
    assert right.status_code == 303
    door_page = text(cabinet.get(right.headers["Location"]))
    assert f'id="door-number">{number}<' in door_page and "请取出全部物品" in door_page
    closed = cabinet.post(f"{right.headers['Location']}/close", data={"csrf_token": form_token})
    assert closed.status_code == 303 and "/done" in closed.headers["Location"]
    done_page = text(cabinet.get(closed.headers["Location"]))
    assert "感谢您取走办理结果" in done_page and "您对本次服务满意吗？" in done_page
    rated = cabinet.post(closed.headers["Location"].replace("/done", "/rating"),
                         data={"csrf_token": form_token, "level": "5"})
    assert rated.status_code == 303
    assert "您的评价：" in text(cabinet.get(closed.headers["Location"]))
    after = text(client.get(f"/t/{token}"))
    assert 'id="status-label">已办结<' in after and "<strong>结果已取走</strong>" in after  # a step of its own
    assert 'id="pickup-code"' not in after


def test_wrong_codes_make_the_screen_wait_in_chinese_and_its_idle_reset_does_not_clear_it(app, cabinet, client):
    token, number = place_result(app)
    code = re.search(r'id="pickup-code">(\d{4} \d{4})<', text(client.get(f"/t/{token}"))).group(1)
    form_token = csrf_token(cabinet, "/terminal/pickup")
    wrong = "00000000" if code != "0000 0000" else "11111111"
    assert "8位" in text(cabinet.get("/terminal/pickup")) and "8位" in text(cabinet.get("/terminal/"))
    short = cabinet.post("/terminal/pickup", data={"csrf_token": form_token, "code": "123456"})
    assert short.status_code == 422 and "取件码为8位数字" in text(short)
    for _ in range(3):
        refused = cabinet.post("/terminal/pickup", data={"csrf_token": form_token, "code": wrong})
        assert refused.status_code == 422 and "此取件码无法在本柜开门" in text(refused)
    fourth = cabinet.post("/terminal/pickup", data={"csrf_token": form_token, "code": wrong})
    assert fourth.status_code == 422 and "请10秒钟后再试" in text(fourth)
    waiting = cabinet.post("/terminal/pickup", data={"csrf_token": form_token, "code": code})
    assert waiting.status_code == 429 and "本屏幕或手机输错取件码次数过多，请10秒钟后再试。" in text(waiting)
    # The screen's idle reset does not wipe its wait: a guesser cannot start afresh by tapping "Finish".
    cabinet.post("/kiosk/reset", data={"csrf_token": form_token})
    still = cabinet.post("/terminal/pickup", data={"csrf_token": form_token, "code": code})
    assert still.status_code == 429 and "请10秒钟后再试" in text(still)
    # A resident with their phone at the locker is not slowed by the screen's mistakes.
    with app.app_context():
        terminals.enrol(terminals.issue_enrolment_code(terminals.get_by_code("HQ-L1")))
    phone = app.test_client()
    phone.get(fresh_link(app))
    opened = phone.post("/terminal/pickup", data={"csrf_token": csrf_token(phone, "/terminal/pickup"), "code": code})
    assert opened.status_code == 303
    assert f'id="door-number">{number}<' in text(phone.get(opened.headers["Location"]))


def test_staff_collect_at_the_cabinet(app, cabinet):
    location = drop_off(app, cabinet).headers["Location"]
    token = CSRF_RE.search(text(cabinet.get(location))).group(1)
    cabinet.post(f"{location}/close", data={"csrf_token": token})
    assert cabinet.get("/terminal/staff").headers["Location"].startswith("/staff/login")
    login_token = csrf_token(cabinet, "/staff/login")
    cabinet.post("/staff/login", data={"csrf_token": login_token, "username": "staff-hq", "password": STAFF_PASSWORD})
    page = text(cabinet.get("/terminal/staff"))
    item_id = re.search(r'name="item" value="(\d+)"', page).group(1)
    opened = cabinet.post("/terminal/staff/collect", data={"csrf_token": CSRF_RE.search(page).group(1), "item": item_id})
    assert opened.status_code == 303
    cabinet.post(f"{opened.headers['Location']}/close", data={"csrf_token": CSRF_RE.search(page).group(1)})
    with app.app_context():
        assert db.session.scalar(db.select(Ticket)).status == Status.RECEIVED


def test_staff_of_another_community_cannot_use_this_cabinet(app, cabinet):
    login_token = csrf_token(cabinet, "/staff/login")
    cabinet.post("/staff/login", data={"csrf_token": login_token, "username": "staff-xj", "password": STAFF_PASSWORD})
    assert cabinet.get("/terminal/staff").status_code == 404


# ---------------------------------------------------------------- the rotating QR: phones at the locker



def fresh_link(app, code="HQ-L1"):
    with app.test_request_context():
        return "/terminal/phone/" + terminals.phone_link_token(terminals.get_by_code(code))


def test_the_screen_shows_a_qr_that_changes_every_minute(app, cabinet):
    page = text(cabinet.get("/terminal/"))
    assert 'id="phone-qr"' in page and 'hx-trigger="every 60s"' in page and '<svg class="qr"' in page
    fragment = cabinet.get("/terminal/phone-qr", headers=HX)
    assert text(fragment).lstrip().startswith('<figure id="phone-qr"')


def test_a_phone_with_a_fresh_code_drops_off_at_that_locker(app, client):
    with app.app_context():
        terminals.enrol(terminals.issue_enrolment_code(terminals.get_by_code("HQ-L1")))
    response = client.get(fresh_link(app))
    assert response.status_code == 303 and response.headers["Location"] == "/terminal/"
    page = text(client.get("/terminal/"))
    assert 'id="phone-bound"' in page and 'id="phone-qr"' not in page and "/terminal/staff" not in page
    opened = drop_off(app, client)
    assert opened.headers["Location"].startswith("/terminal/items/")
    with app.app_context():
        assert db.session.scalar(db.select(Ticket)).terminal.code == "HQ-L1"


@pytest.mark.parametrize("spoil", ["stale", "forged", "revoked"])
def test_an_old_forged_or_revoked_code_opens_nothing(app, client, spoil):
    with app.app_context():
        terminals.enrol(terminals.issue_enrolment_code(terminals.get_by_code("HQ-L1")))
    link = fresh_link(app)
    if spoil == "stale":
        app.config["PHONE_QR_SECONDS"] = -1
    elif spoil == "forged":
        link = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    else:
        with app.app_context():
            terminals.revoke(terminals.get_by_code("HQ-L1"))
    response = client.get(link)
    assert response.status_code == 410 and "请重新扫描云柜屏幕上的二维码" in text(response)
    assert client.get("/terminal/pickup").status_code == 404


def test_a_phone_binding_expires(app, client):
    with app.app_context():
        terminals.enrol(terminals.issue_enrolment_code(terminals.get_by_code("HQ-L1")))
    client.get(fresh_link(app))
    app.config["PHONE_LINK_SECONDS"] = -1
    with app.app_context():
        service_id = service_by_code("residence-permit").id
    assert client.get(f"/terminal/dropoff/{service_id}").status_code == 404


def test_pickup_from_the_status_page_after_scanning_the_locker(app, client):
    with app.app_context():
        terminals.enrol(terminals.issue_enrolment_code(terminals.get_by_code("HQ-L1")))
    token, number = place_result(app)
    assert 'id="open-from-phone"' not in text(client.get(f"/t/{token}"))
    form_token = csrf_token(client, f"/t/{token}")
    refused = client.post(f"/t/{token}/pickup", data={"csrf_token": form_token})
    assert refused.status_code == 409
    client.get(fresh_link(app))
    page = text(client.get(f"/t/{token}"))
    assert f"立即打开 {number} 号柜门" in page
    opened = client.post(f"/t/{token}/pickup", data={"csrf_token": form_token})
    assert opened.status_code == 303 and opened.headers["Location"].startswith("/terminal/items/")
    assert f'id="door-number">{number}<' in text(client.get(opened.headers["Location"]))


# ---------------------------------------------------------------- admins: the live view and out of service

def test_admins_see_each_terminal_live_and_take_a_compartment_out_of_service(app):
    from ..helpers import sign_in

    with app.app_context():
        terminal_id = terminals.get_by_code("HQ-L1").id
        xj_terminal = terminals.get_by_code("XJ-L1").id
    admin = sign_in(app, "admin-hq")
    assert "红旗路社区云柜" in text(admin.get("/staff/terminals")) and "新建路" not in text(admin.get("/staff/terminals"))
    page = text(admin.get(f"/staff/terminals/{terminal_id}"))
    assert page.count('data-door="') == 12 and 'hx-trigger="every 5s"' in page
    # Sizes in words, and "in service" is not the terminal's "occupied".
    assert "<td>中格</td>" in page and "正常启用" in page and "使用中" not in page
    with app.app_context():
        compartment_id = db.session.scalar(db.select(locker.Compartment.id).filter_by(terminal_id=terminal_id, number=5))
    token = CSRF_RE.search(page).group(1)
    fragment = admin.post(f"/staff/terminals/{terminal_id}/compartments/{compartment_id}/out-of-service",
                          data={"csrf_token": token}, headers=HX)
    assert fragment.status_code == 200 and text(fragment).lstrip().startswith('<section id="terminal-cabinet"')
    with app.app_context():
        ticket = make_ticket(service_code="residence-permit")
        item = locker.reserve(terminals.get_by_code("HQ-L1"), ticket, locker.ItemKind.SUBMISSION, locker.Size.M)
        assert item.compartment.number == 6  # 5 is out of service
    busy = db_compartment_id(app, terminal_id, 6)
    refused = admin.post(f"/staff/terminals/{terminal_id}/compartments/{busy}/out-of-service", data={"csrf_token": token})
    assert refused.status_code == 409 and "仍有物品" in text(refused)
    assert admin.post(f"/staff/terminals/{terminal_id}/compartments/{compartment_id}/in-service",
                      data={"csrf_token": token}).status_code == 200
    assert admin.get(f"/staff/terminals/{xj_terminal}").status_code == 404
    assert sign_in(app, "staff-hq").get(f"/staff/terminals/{terminal_id}").status_code == 403


def db_compartment_id(app, terminal_id, number):
    with app.app_context():
        return db.session.scalar(db.select(locker.Compartment.id).filter_by(terminal_id=terminal_id, number=number))
