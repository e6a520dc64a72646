"""Staff at a locker terminal: the way in and out, the short idle limit, and the community's bounds.

A terminal's screen is shared: whoever stands at it next must never find a member of staff still
signed in, so a staff session there ends on 退出, after TERMINAL_STAFF_IDLE_SECONDS without a touch,
and whenever the screen returns home.  A back-office session on a phone or PC keeps its own rules.
"""

import re
import time
from datetime import timedelta

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import (Compartment, DoorEvent, DoorState, ItemKind, ItemState, LockerItem, Status,
                              Ticket)
from kiosk_app.models.base import utcnow
from kiosk_app.services import terminals, workflow
from kiosk_app.web.auth import SEEN_KEY

from ..helpers import CSRF_RE, STAFF_PASSWORD, make_ticket, sign_in, staff
from .test_terminal import drop_off, enrolled, place_result, text


@pytest.fixture
def cabinet(app):
    return enrolled(app)


def sign_in_here(client, username="staff-hq"):
    """Tap 工作人员 on the terminal and sign in on the page it leads to."""
    to_login = client.get("/terminal/staff")
    assert to_login.status_code == 302 and to_login.headers["Location"].startswith("/staff/login?next=")
    login = client.get(to_login.headers["Location"])
    action = re.search(r'<form class="form" method="post" action="([^"]+)"', text(login)).group(1)
    return client.post(action.replace("&amp;", "&"), data={
        "csrf_token": CSRF_RE.search(text(login)).group(1), "username": username, "password": STAFF_PASSWORD})


def signed_out(client) -> bool:
    response = client.get("/terminal/staff")
    return response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def test_signing_in_at_the_terminal_lands_on_its_staff_page(cabinet):
    response = sign_in_here(cabinet)
    assert response.status_code == 303 and response.headers["Location"] == "/terminal/staff"
    page = text(cabinet.get("/terminal/staff"))
    assert "工作人员取放" in page and "办完请点“退出”" in page and 'id="staff-sign-out"' in page


@pytest.mark.parametrize("target, lands", [
    ("/terminal/staff", "/terminal/staff"),
    ("/terminal/staff?x=1", "/terminal/staff?x=1"),
    ("/terminal/pickup", "/staff/"),  # a resident page is no place to land after signing in
    ("/terminal/staffroom", "/staff/"),
    ("//evil.example/terminal/staff", "/staff/"),
    ("/terminal/staff\r\nSet-Cookie: x=1", "/staff/"),
    ("/terminal/staff\\..\\x", "/staff/"),
])
def test_only_local_staff_pages_are_followed_after_signing_in(client, target, lands):
    token = CSRF_RE.search(text(client.get("/staff/login"))).group(1)
    response = client.post("/staff/login", query_string={"next": target},
                           data={"csrf_token": token, "username": "staff-hq", "password": STAFF_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == lands


def test_sign_out_at_the_terminal_returns_home_and_the_next_tap_asks_for_a_password(cabinet):
    sign_in_here(cabinet)
    page = text(cabinet.get("/terminal/staff"))
    form = re.search(r'<form[^>]*id="staff-sign-out"[^>]*>', page).group(0)
    assert 'method="post"' in form and 'action="/terminal/staff/sign-out"' in form
    response = cabinet.post("/terminal/staff/sign-out", data={"csrf_token": CSRF_RE.search(page).group(1)})
    assert response.status_code == 303 and response.headers["Location"] == "/terminal/"
    assert signed_out(cabinet)
    assert cabinet.get("/staff/").status_code == 302  # the back office is closed too


def test_sign_out_needs_the_form_token(cabinet):
    sign_in_here(cabinet)
    assert cabinet.post("/terminal/staff/sign-out").status_code == 400
    assert cabinet.get("/terminal/staff").status_code == 200


def test_a_quiet_terminal_signs_staff_out(app, cabinet):
    sign_in_here(cabinet)
    with cabinet.session_transaction() as session:
        session[SEEN_KEY] = int(time.time()) - app.config["TERMINAL_STAFF_IDLE_SECONDS"] - 1
    assert signed_out(cabinet)


def test_the_short_limit_holds_on_every_page_of_the_terminal(app, cabinet):
    sign_in_here(cabinet)
    app.config["TERMINAL_STAFF_IDLE_SECONDS"] = -1
    assert cabinet.get("/terminal/pickup").status_code == 200  # a resident's page, as anyone's
    app.config["TERMINAL_STAFF_IDLE_SECONDS"] = 120
    assert signed_out(cabinet)


def test_background_polls_do_not_keep_a_terminal_session_alive(app, cabinet):
    sign_in_here(cabinet)
    limit = app.config["TERMINAL_STAFF_IDLE_SECONDS"]
    quiet = int(time.time()) - limit + 5
    with cabinet.session_transaction() as session:
        session[SEEN_KEY] = quiet
    poll = {"HX-Request": "true", "X-Background": "1"}
    assert cabinet.get("/terminal/phone-qr", headers=poll).status_code == 200
    with cabinet.session_transaction() as session:
        assert session[SEEN_KEY] == quiet
    with cabinet.session_transaction() as session:
        session[SEEN_KEY] = quiet - 10
    cabinet.get("/terminal/phone-qr", headers=poll)
    assert signed_out(cabinet)


def test_a_touch_keeps_a_terminal_session_alive(app, cabinet):
    sign_in_here(cabinet)
    quiet = int(time.time()) - app.config["TERMINAL_STAFF_IDLE_SECONDS"] + 5
    with cabinet.session_transaction() as session:
        session[SEEN_KEY] = quiet
    assert cabinet.get("/terminal/staff").status_code == 200
    with cabinet.session_transaction() as session:
        assert session[SEEN_KEY] > quiet


def test_the_kiosk_idle_reset_signs_staff_out(cabinet):
    sign_in_here(cabinet)
    token = CSRF_RE.search(text(cabinet.get("/terminal/staff"))).group(1)
    response = cabinet.post("/kiosk/reset", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/terminal/"
    assert signed_out(cabinet)


def test_the_terminal_home_signs_staff_out(cabinet):
    sign_in_here(cabinet)
    home = text(cabinet.get("/terminal/"))
    assert "王社工" not in home
    assert signed_out(cabinet)


def test_the_staff_page_returns_home_sooner_than_a_residents_page(app, cabinet):
    app.config.update(KIOSK_IDLE_SECONDS=90, TERMINAL_STAFF_IDLE_SECONDS=40)
    assert 'data-idle-seconds="90"' in text(cabinet.get("/terminal/pickup"))
    sign_in_here(cabinet)
    page = text(cabinet.get("/terminal/staff"))
    assert 'data-idle-seconds="40"' in page and "40 秒内无操作也会自动退出" in page
    app.config.update(TERMINAL_STAFF_IDLE_SECONDS=300)
    page = text(cabinet.get("/terminal/staff"))
    assert 'data-idle-seconds="90"' in page and "90 秒内无操作也会自动退出" in page


def test_a_back_office_browser_keeps_its_session(app):
    desk = sign_in(app, "staff-hq")
    token = CSRF_RE.search(text(desk.get("/staff/"))).group(1)
    app.config["TERMINAL_STAFF_IDLE_SECONDS"] = -1
    desk.post("/kiosk/reset", data={"csrf_token": token})
    desk.get("/terminal/")
    assert desk.get("/staff/").status_code == 200


# ---------------------------------------------------------------- another community's staff

@pytest.fixture
def hq_cabinet_in_use(app, cabinet):
    """HQ-L1 with papers to collect, a result to place, one to take back, and a door left open."""
    location = drop_off(app, cabinet).headers["Location"]
    token = CSRF_RE.search(text(cabinet.get(location))).group(1)
    cabinet.post(f"{location}/close", data={"csrf_token": token})
    place_result(app)
    open_location = drop_off(app, cabinet).headers["Location"]
    with app.app_context():
        admin = staff("admin-hq")
        papers = db.session.scalar(db.select(LockerItem).filter_by(kind=ItemKind.SUBMISSION,
                                                                   state=ItemState.HELD))
        stale = db.session.scalar(db.select(LockerItem).filter_by(kind=ItemKind.RESULT, state=ItemState.HELD))
        stale.pickup_expires_at = utcnow() - timedelta(days=1)
        db.session.commit()
        left_open = db.session.scalar(db.select(LockerItem).filter_by(kind=ItemKind.SUBMISSION,
                                                                      state=ItemState.RESERVED))
        assert open_location.endswith(left_open.token) and left_open.compartment.door == DoorState.OPEN
        ready = make_ticket()
        workflow.apply_action(admin, ready.id, "accept")
        workflow.apply_action(admin, ready.id, "complete", note="证明已开具", physical_result=True)
        db.session.commit()
        return {"papers": papers.id, "stale": stale.id, "left_open": left_open.id,
                "open_door": left_open.compartment_id, "ready": ready.id}


def test_another_communitys_staff_can_do_nothing_at_this_terminal(app, cabinet, hq_cabinet_in_use):
    ids = hq_cabinet_in_use
    with app.app_context():
        door_events = db.session.scalar(db.select(db.func.count(DoorEvent.id)))
        xj_id = staff("staff-xj").id
    sign_in_here(cabinet, "staff-xj")
    token = CSRF_RE.search(text(cabinet.get("/staff/"))).group(1)
    page = cabinet.get("/terminal/staff")
    assert page.status_code == 404 and "此终端不属于您的社区" in text(page)
    for url, data in [
        ("/terminal/staff/collect", {"item": ids["papers"]}),
        (f"/terminal/staff/return/{ids['ready']}", {}),
        (f"/terminal/staff/take-back/{ids['stale']}", {}),
        (f"/terminal/staff/doors/{ids['open_door']}/close", {}),
    ]:
        response = cabinet.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 404, url
        assert "此终端不属于您的社区" in text(response), url
    with app.app_context():
        assert db.session.get(LockerItem, ids["papers"]).state == ItemState.HELD
        stale = db.session.get(LockerItem, ids["stale"])
        assert stale.state == ItemState.HELD and stale.pickup_code_hash
        left_open = db.session.get(LockerItem, ids["left_open"])
        assert left_open.state == ItemState.RESERVED and left_open.compartment.door == DoorState.OPEN
        ready = db.session.get(Ticket, ids["ready"])
        assert ready.status == Status.COMPLETED
        assert db.session.scalar(db.select(LockerItem.id).filter_by(ticket_id=ready.id,
                                                                    kind=ItemKind.RESULT)) is None
        assert db.session.scalar(db.select(db.func.count(DoorEvent.id))) == door_events
        assert db.session.scalar(db.select(DoorEvent.id).filter_by(actor_staff_id=xj_id)) is None


def test_this_communitys_staff_can_do_each_of_it(app, cabinet, hq_cabinet_in_use):
    """The same requests that another community's staff are refused work for this community's."""
    ids = hq_cabinet_in_use
    sign_in_here(cabinet)
    token = CSRF_RE.search(text(cabinet.get("/terminal/staff"))).group(1)
    response = cabinet.post(f"/terminal/staff/doors/{ids['open_door']}/close", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/terminal/staff"
    for url, data in [
        ("/terminal/staff/collect", {"item": ids["papers"]}),
        (f"/terminal/staff/return/{ids['ready']}", {}),
        (f"/terminal/staff/take-back/{ids['stale']}", {}),
    ]:
        opened = cabinet.post(url, data={"csrf_token": token, **data})
        assert opened.status_code == 303 and opened.headers["Location"].startswith("/terminal/items/"), url
        assert cabinet.get(opened.headers["Location"]).status_code == 200  # the door page is this screen's
    with app.app_context():
        assert db.session.get(LockerItem, ids["left_open"]).compartment.door == DoorState.CLOSED
        assert db.session.get(LockerItem, ids["papers"]).compartment.door == DoorState.OPEN
        assert db.session.get(LockerItem, ids["stale"]).pickup_code_hash is None


def test_a_door_of_another_terminal_is_not_closed_from_here(app, cabinet):
    with app.app_context():
        other = terminals.get_by_code("XJ-L1")
        compartment_id = db.session.scalar(db.select(Compartment.id).filter_by(terminal_id=other.id,
                                                                               number=1))
    sign_in_here(cabinet)
    token = CSRF_RE.search(text(cabinet.get("/terminal/staff"))).group(1)
    assert cabinet.post(f"/terminal/staff/doors/{compartment_id}/close",
                        data={"csrf_token": token}).status_code == 404
