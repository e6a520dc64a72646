"""Limits on abuse of the public endpoints (web/limits.py): a script sending a burst from one address, or
with one mobile number, or guessing sign-ins and enrolment codes, is stopped with a clear page in the
resident's language; a forged X-Forwarded-For changes nothing; Redis shares the counts between apps."""

import os

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Notification, Ticket

from ..conftest import IN_CI
from ..helpers import CSRF_RE, open_form, valid_form


def text(response) -> str:
    return response.get_data(as_text=True)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def burst(app, client, n, **form_changes):
    """``n`` submissions of the form as fast as they go; their statuses."""
    service_id, token, _key = open_form(client, app)
    statuses = []
    for i in range(n):
        data = {**valid_form(app, **form_changes), "csrf_token": token, "submission_key": f"key-{i}-{os.getpid()}",
                "sms": "1"}
        statuses.append(client.post(f"/kiosk/services/{service_id}/request", data=data))
    return statuses


def test_thirty_submissions_from_one_address_in_a_second_are_stopped_with_a_clear_message(app, resident):
    answers = burst(app, resident, 30)
    made = [a for a in answers if a.status_code == 303]
    refused = [a for a in answers if a.status_code == 429]
    assert len(made) + len(refused) == 30 and 1 <= len(made) <= 10
    page = text(refused[-1])
    assert "短时间内从这里提交的申请太多" in page or "最近用这个手机号码提交的申请太多了" in page
    assert refused[-1].headers["Retry-After"] == "60"
    assert count(app, Ticket) == len(made)
    assert count(app, Notification) <= 3  # the number's hourly share of texts, whatever was made


def test_a_mobile_number_is_limited_whichever_address_sends_it(app):
    statuses = []
    for n in range(8):  # eight addresses, one number
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        client.get("/kiosk/community/HQ")
        statuses += [a.status_code for a in burst(app, client, 1, mobile="13700001111")]
    assert statuses.count(303) == 5 and statuses.count(429) == 3


def test_another_spelling_of_the_number_is_the_same_number(app):
    spellings = ["13700001111", "+8613700001111", "8613700001111", "137 0000 1111", "１３７００００１１１１",
                 "+86 137-0000-1111", "13700001111"]
    statuses = []
    for n, spelling in enumerate(spellings):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.1.{n + 1}"
        client.get("/kiosk/community/HQ")
        statuses += [a.status_code for a in burst(app, client, 1, mobile=spelling)]
    assert statuses.count(303) == 5 and statuses.count(429) == 2


def test_a_forged_forwarded_for_changes_nothing_without_a_trusted_proxy(app, resident):
    service_id, token, _key = open_form(resident, app)
    statuses = []
    for i in range(15):
        data = {**valid_form(app, mobile=f"1370000{i:04d}"), "csrf_token": token, "submission_key": f"forged-{i}"}
        statuses.append(resident.post(f"/kiosk/services/{service_id}/request", data=data,
                                      headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code)
    assert statuses.count(303) == 10 and statuses.count(429) == 5


def test_behind_a_trusted_proxy_only_the_address_it_wrote_counts(make_app):
    from kiosk_app.services import seed

    from ..helpers import STAFF_PASSWORD

    app = make_app(TRUSTED_PROXIES=1)
    with app.app_context():
        seed.seed_demo(staff_password=STAFF_PASSWORD)
    client = app.test_client()
    token = CSRF_RE.search(text(client.get("/staff/login"))).group(1)
    statuses = []
    for i in range(25):  # the client writes any address it likes; the proxy appends the real one last
        statuses.append(client.post("/staff/login", data={"csrf_token": token, "username": f"user{i}",
                                                         "password": "wrong"},
                                    headers={"X-Forwarded-For": f"198.51.100.{i}, 192.0.2.7"}).status_code)
    assert statuses.count(429) == 5  # twenty a minute from 192.0.2.7, whatever came before it


def test_password_spraying_across_usernames_is_stopped_per_address(app, client):
    token = CSRF_RE.search(text(client.get("/staff/login"))).group(1)
    answers = [client.post("/staff/login", data={"csrf_token": token, "username": f"user{i}", "password": "x"})
               for i in range(50)]
    assert [a.status_code for a in answers].count(429) == 30
    assert "此处尝试次数过多" in text(answers[-1])


def test_enrolment_codes_and_field_checks_are_limited(app, client):
    token = CSRF_RE.search(text(client.get("/kiosk/enrol"))).group(1)
    codes = [client.post("/kiosk/enrol", data={"csrf_token": token, "code": f"GUESS{i:04d}"}).status_code
             for i in range(12)]
    assert codes.count(429) == 2
    assert client.post("/api/terminal/enrol", json={"code": "GUESS"}).status_code == 429  # one count for both
    client.get("/kiosk/community/HQ")
    service_id, token, _key = open_form(client, app)
    app.config["LIMIT_FIELD_CHECKS"] = "5 per minute"
    checks = [client.post(f"/kiosk/services/{service_id}/check/mobile", data={"csrf_token": token, "mobile": "1"},
                          headers={"HX-Request": "true"}).status_code for _ in range(7)]
    assert checks == [200] * 5 + [429] * 2


def redis_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"CI needs Redis at {url}: {error}", pytrace=False)
        pytest.skip(f"no Redis at {url}: {error}")
    return url


def test_with_redis_every_app_shares_the_counts(make_app):
    import redis

    url = redis_url()
    redis.Redis.from_url(url).flushdb()
    first, second = make_app(RATELIMIT_STORAGE_URI=url), make_app(RATELIMIT_STORAGE_URI=url)
    statuses = []
    for app in (first, second, first, second):
        client = app.test_client()
        token = CSRF_RE.search(text(client.get("/kiosk/enrol"))).group(1)
        statuses += [client.post("/kiosk/enrol", data={"csrf_token": token, "code": "NOPE"}).status_code
                     for _ in range(3)]
    assert statuses.count(429) == 2  # ten an hour from this address, across both apps
    redis.Redis.from_url(url).flushdb()
