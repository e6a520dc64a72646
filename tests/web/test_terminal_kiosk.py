"""An enrolled kiosk: fixed community, idle reset, tickets marked as kiosk submissions."""

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Channel, Ticket
from kiosk_app.services import terminals

from ..helpers import csrf_token, open_form, valid_form


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def kiosk(app):
    """A browser enrolled as the Hongqi Road kiosk through the enrolment page."""
    client = app.test_client()
    with app.app_context():
        code = terminals.issue_enrolment_code(terminals.get_by_code("HQ-K1"))
    response = client.post("/kiosk/enrol", data={"csrf_token": csrf_token(client, "/kiosk/enrol"), "code": code})
    assert response.status_code == 303
    assert "kiosk_terminal=" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    return client


def test_a_wrong_enrolment_code_is_refused(client):
    response = client.post("/kiosk/enrol", data={"csrf_token": csrf_token(client, "/kiosk/enrol"), "code": "WRONG"})
    assert response.status_code == 403
    assert "登记码无效" in text(response)
    assert "Set-Cookie" not in response.headers or "kiosk_terminal" not in response.headers["Set-Cookie"]


def test_root_is_the_kiosk_home_on_an_enrolled_kiosk(kiosk, client):
    assert kiosk.get("/").headers["Location"] == "/kiosk/"
    assert client.get("/").status_code == 200  # elsewhere: the landing page


def test_the_kiosk_belongs_to_its_community(kiosk):
    assert "红旗路社区" in text(kiosk.get("/kiosk/"))
    kiosk.get("/kiosk/community/XJ")
    page = text(kiosk.get("/kiosk/"))
    assert "红旗路社区" in page and "新建路社区" not in page


def test_kiosk_pages_carry_the_idle_reset_and_phones_do_not(app, kiosk, resident):
    app.config["KIOSK_IDLE_SECONDS"] = 45
    page = text(kiosk.get("/kiosk/"))
    assert 'id="idle-reset"' in page and 'data-idle-seconds="45"' in page
    assert "js/kiosk.js" in page
    assert 'id="idle-reset"' not in text(resident.get("/kiosk/"))


def test_idle_reset_forgets_the_language_and_print_size(kiosk):
    token = csrf_token(kiosk)
    kiosk.post("/prefs", data={"csrf_token": token, "lang": "en", "large": "1", "next": "/kiosk/"})
    assert "large-print" in text(kiosk.get("/kiosk/"))
    response = kiosk.post("/kiosk/reset", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk/"
    page = text(kiosk.get("/kiosk/"))
    assert '<html lang="zh-CN">' in page and "large-print" not in page


def test_kiosk_tickets_record_the_terminal_and_channel(app, kiosk):
    service_id, token, key = open_form(kiosk, app)
    kiosk.post(f"/kiosk/services/{service_id}/request",
               data={**valid_form(app), "csrf_token": token, "submission_key": key})
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        assert ticket.channel == Channel.KIOSK
        assert ticket.terminal.code == "HQ-K1"


def test_a_revoked_kiosk_is_an_ordinary_browser_again(app, kiosk):
    with app.app_context():
        terminals.revoke(terminals.get_by_code("HQ-K1"))
    assert kiosk.get("/").status_code == 200
    assert "请选择您所在的社区" in text(kiosk.get("/kiosk/"))


@pytest.mark.parametrize("cookie", ["99999999999999999999999.x", "².x", "1.", ".", "x" * 3000])
def test_a_broken_terminal_cookie_is_just_an_ordinary_browser(client, cookie):
    client.set_cookie("kiosk_terminal", cookie)
    for path in ("/", "/kiosk/", "/t/"):
        assert client.get(path).status_code == 200
