"""Two-factor sign-in (TOTP): a district admin without it reaches nothing but its set-up; with it, the
password alone signs nobody in, a code is taken once, wrong codes lock, an admin resets it for a lost
phone; anyone may turn it on."""

import re

import pyotp
import pytest

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent
from kiosk_app.models.base import utcnow

from ..helpers import CSRF_RE, STAFF_PASSWORD, sign_in, staff


@pytest.fixture
def app(app):
    app.config["TWO_FACTOR_ROLES"] = "district_admin"
    return app


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client, url="/staff/security") -> str:
    return CSRF_RE.search(text(client.get(url))).group(1)


def code(secret: str, steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(int(utcnow().timestamp()) + steps * totp.interval)


def set_up(client) -> str:
    """Turn two factors on from the set-up page; returns the secret."""
    return set_up_with_code(client)[0]


def set_up_with_code(client) -> tuple[str, str]:
    """Turn two factors on from the set-up page; returns the secret and the code that did it."""
    page = text(client.get("/staff/security/two-factor"))
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', page).group(1)
    assert 'id="two-factor-qr"' in page and "<svg" in page
    used = code(secret)
    response = client.post("/staff/security/two-factor", data={"csrf_token": token(client, "/staff/security/two-factor"),
                                                              "code": used})
    assert response.status_code == 303
    return secret, used


def password_step(app, username="admin-district"):
    client = app.test_client()
    login = CSRF_RE.search(text(client.get("/staff/login"))).group(1)
    response = client.post("/staff/login", data={"csrf_token": login, "username": username,
                                                  "password": STAFF_PASSWORD})
    return client, response


def test_a_district_admin_without_two_factors_reaches_only_its_set_up(app):
    admin = sign_in(app, "admin-district")
    for path in ("/staff/", "/staff/admin/", "/staff/admin/audit", "/staff/security"):
        response = admin.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/staff/security/two-factor")
    assert admin.get("/staff/security/two-factor").status_code == 200
    secret = set_up(admin)
    assert admin.get("/staff/admin/audit").status_code == 200
    with app.app_context():
        assert staff("admin-district").totp_secret == secret
        assert db.session.scalar(db.select(AuditEvent).filter_by(action="two_factor_on")) is not None
    # A community admin is not made to (the setting names district admins only).
    assert sign_in(app, "admin-hq").get("/staff/").status_code == 200


def test_the_secret_being_set_up_stays_on_the_server_and_is_the_same_on_reload(app):
    admin = sign_in(app, "staff-hq")
    shown = [re.search(r'id="two-factor-secret">([A-Z2-7]+)<', text(admin.get("/staff/security/two-factor"))).group(1)
             for _ in range(2)]
    assert shown[0] == shown[1]
    cookie = app.session_interface.get_signing_serializer(app).loads(admin.get_cookie("session").value)
    assert shown[0] not in repr(cookie)
    # Another browser of the same account is shown a secret of its own.
    other = sign_in(app, "staff-hq")
    assert shown[0] not in text(other.get("/staff/security/two-factor"))


def test_with_two_factors_the_password_alone_signs_nobody_in_and_a_code_is_taken_once(app):
    secret = set_up(sign_in(app, "admin-district"))
    client, response = password_step(app)
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/login/code")
    assert client.get("/staff/").status_code in (302, 303)  # not signed in yet
    wrong = client.post("/staff/login/code", data={"csrf_token": token(client, "/staff/login/code"), "code": "000000"})
    assert wrong.status_code == 422 and "验证码不正确" in text(wrong)
    right = code(secret, 1)  # a code of the next step (a phone's clock a little ahead)
    ok = client.post("/staff/login/code", data={"csrf_token": token(client, "/staff/login/code"), "code": right})
    assert ok.status_code == 303 and client.get("/staff/").status_code == 200
    # The same code again, from another browser that knows the password: refused.
    thief, _ = password_step(app)
    again = thief.post("/staff/login/code", data={"csrf_token": token(thief, "/staff/login/code"), "code": right})
    assert again.status_code == 422 and thief.get("/staff/").status_code in (302, 303)


def test_wrong_codes_lock_the_second_step(app):
    set_up(sign_in(app, "admin-district"))
    client, _ = password_step(app)
    statuses = [client.post("/staff/login/code", data={"csrf_token": token(client, "/staff/login/code"),
                                                       "code": f"{n:06d}"}).status_code for n in range(7)]
    assert statuses[:5] == [422] * 5 and statuses[5:] == [429, 429]


def test_an_admin_resets_it_for_a_lost_phone_and_the_account_sets_it_up_again(app):
    set_up(sign_in(app, "admin-district"))
    with app.app_context():
        member = staff("admin-district").id
        # A second district admin does the reset.
        other = staff("admin-hq")
        other.role, other.area_id = staff("admin-district").role, staff("admin-district").area_id
        db.session.commit()
    helper = sign_in(app, "admin-hq")
    set_up(helper)
    response = helper.post(f"/staff/admin/accounts/{member}/two-factor/reset",
                           data={"csrf_token": token(helper, f"/staff/admin/accounts/{member}")})
    assert response.status_code == 303
    client, response = password_step(app)
    assert response.headers["Location"].endswith("/staff/")  # no code asked: it is off
    assert client.get("/staff/admin/").headers["Location"].endswith("/staff/security/two-factor")


def test_anyone_may_turn_it_on_and_off_with_a_current_code(app):
    desk = sign_in(app, "staff-hq")
    assert desk.get("/staff/").status_code == 200  # not made to
    secret, used = set_up_with_code(desk)  # the code that turned it on: taken, it turns nothing off
    desk.post("/staff/security/two-factor/off", data={"csrf_token": token(desk), "code": used})
    with app.app_context():
        assert staff("staff-hq").totp_secret == secret
    off = desk.post("/staff/security/two-factor/off", data={"csrf_token": token(desk), "code": code(secret, 1)})
    assert off.status_code == 303
    with app.app_context():
        assert staff("staff-hq").totp_secret is None
