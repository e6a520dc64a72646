"""The service catalogue in the browser (/staff/admin/catalogue)."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, CommunityService, Service, Ticket

from ..helpers import CSRF_RE, audited_changes, community, make_ticket, service_by_code, sign_in

NEW_ITEM = {"code": "bike-shed", "category_id": "", "kind": "request", "name_zh": "非机动车棚申请",
            "name_en": "Bicycle shed application", "summary_zh": "申请使用小区非机动车棚。", "deadline_days": "3",
            "papers_size": "M", "position": "9", "icon": "🚲", "needs_paperwork": "1", "papers_in_locker": "1"}


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client, url="/staff/admin/catalogue") -> str:
    return CSRF_RE.search(text(client.get(url))).group(1)


def category_id(app, code="community") -> int:
    from kiosk_app.models import ServiceCategory

    with app.app_context():
        return db.session.scalar(db.select(ServiceCategory.id).filter_by(code=code))


def create_item(app, client, **changes):
    form = {**NEW_ITEM, "category_id": str(category_id(app, _first_category(app))), **changes}
    return client.post("/staff/admin/catalogue/services/new", data={"csrf_token": token(client), **form})


def _first_category(app) -> str:
    from kiosk_app.models import ServiceCategory

    with app.app_context():
        return db.session.scalar(db.select(ServiceCategory.code).order_by(ServiceCategory.position))


def kiosk(app, code="HQ"):
    client = app.test_client()
    client.get(f"/kiosk/community/{code}")
    return client


@pytest.mark.parametrize("username", ["staff-hq", "volunteer-hq", "grid-hq1"])
def test_roles_without_administration_are_refused_the_catalogue(app, username):
    client = sign_in(app, username)
    for url in ("/staff/admin/catalogue", "/staff/admin/catalogue/services/new", "/staff/admin/catalogue/categories/new"):
        assert client.get(url).status_code == 403, url


def test_a_community_admin_chooses_what_their_community_offers_but_not_the_catalogue(app):
    admin = sign_in(app, "admin-hq")
    page = text(admin.get("/staff/admin/catalogue"))
    assert 'data-offer="HQ:facility-repair:yes"' in page and "XJ:" not in page
    with app.app_context():
        repair, xj, hq = service_by_code("facility-repair").id, community("XJ").id, community("HQ").id
    for url in ("/staff/admin/catalogue/services/new", f"/staff/admin/catalogue/services/{repair}"):
        assert admin.get(url).status_code == 403
    assert admin.post(f"/staff/admin/catalogue/services/{repair}/retire",
                      data={"csrf_token": token(admin)}).status_code == 403
    # Another community's offering is out of reach.
    assert admin.post(f"/staff/admin/catalogue/offer/{xj}/{repair}",
                      data={"csrf_token": token(admin), "offered": ""}).status_code == 404
    # Its own: a local note, then not offered at all.
    admin.post(f"/staff/admin/catalogue/offer/{hq}/{repair}",
               data={"csrf_token": token(admin), "offered": "1", "note_zh": "请到一楼2号窗口", "note_en": "Desk 2"})
    assert "请到一楼2号窗口" in text(kiosk(app).get(f"/kiosk/services/{repair}"))
    admin.post(f"/staff/admin/catalogue/offer/{hq}/{repair}", data={"csrf_token": token(admin), "offered": ""})
    assert "公共设施报修" not in text(kiosk(app).get("/kiosk/"))
    assert kiosk(app).get(f"/kiosk/services/{repair}").status_code == 404
    assert "公共设施报修" in text(kiosk(app, "XJ").get("/kiosk/"))
    with app.app_context():
        assert db.session.get(CommunityService, (hq, repair)) is None
        changes = [json.loads(e.after) for e in db.session.scalars(audited_changes().filter_by(entity="service"))]
        assert changes == [{"note_zh": "请到一楼2号窗口", "note_en": "Desk 2"},
                           {"offered": False, "note_zh": "", "note_en": ""}]


def test_a_new_item_is_on_every_kiosk_at_once_and_audited(app):
    admin = sign_in(app, "admin-district")
    assert "非机动车棚申请" not in text(kiosk(app).get("/kiosk/"))
    response = create_item(app, admin)
    assert response.status_code == 303
    assert "非机动车棚申请" in text(kiosk(app).get("/kiosk/"))
    assert "非机动车棚申请" in text(kiosk(app, "XJ").get("/kiosk/"))
    with app.app_context():
        item = db.session.scalar(db.select(Service).filter_by(code="bike-shed"))
        assert item.deadline_days == 3 and item.needs_paperwork and item.icon == "🚲"
        [event] = db.session.scalars(audited_changes().filter_by(entity="service", action="create"))
        assert json.loads(event.after)["name_zh"] == "非机动车棚申请"


def test_the_item_form_refuses_what_is_wrong_and_keeps_what_was_typed(app):
    admin = sign_in(app, "admin-district")
    response = create_item(app, admin, code="facility-repair", name_zh="", deadline_days="0", kind="guidance",
                           guidance_zh="", papers_size="XL", category_id="999999")
    assert response.status_code == 422
    page = text(response)
    for field in ("code", "name_zh", "deadline_days", "guidance_zh", "papers_size", "category_id"):
        assert f'id="err-{field}"' in page and f'aria-invalid="true"' in page, field
    assert "代码已被占用" in page and "Bicycle shed application" in page
    with app.app_context():
        assert db.session.scalar(db.select(Service).filter_by(code="facility-repair")).name_zh == "公共设施报修"
        assert db.session.scalar(audited_changes(AuditEvent.id).limit(1)) is None
    check = admin.post("/staff/admin/catalogue/services/check/deadline_days",
                       data={"csrf_token": token(admin), "deadline_days": "abc"})
    assert "1 至 365" in text(check)


def test_a_ticket_keeps_the_name_it_was_issued_under(app):
    with app.app_context():
        ticket = make_ticket()
        token_, repair = ticket.token, ticket.service_id
    admin = sign_in(app, "admin-district")
    form = {**NEW_ITEM, "code": "", "category_id": str(category_id(app, _first_category(app))),
            "name_zh": "公共设施维修（新）", "name_en": "Repairs (new)", "papers_size": "S"}
    assert admin.post(f"/staff/admin/catalogue/services/{repair}",
                      data={"csrf_token": token(admin), **form}).status_code == 303
    assert "公共设施报修" in text(app.test_client().get(f"/t/{token_}"))
    assert "公共设施维修（新）" in text(kiosk(app).get("/kiosk/"))
    with app.app_context():
        newer = make_ticket()
        assert newer.service_name == "公共设施维修（新）"
        assert db.session.scalar(db.select(Ticket).filter_by(token=token_)).service_name == "公共设施报修"


def test_a_retired_item_leaves_the_kiosks_but_stays_in_history_and_comes_back(app):
    with app.app_context():
        ticket = make_ticket()
        token_, repair, number = ticket.token, ticket.service_id, ticket.number
    admin = sign_in(app, "admin-district")
    admin.post(f"/staff/admin/catalogue/services/{repair}/retire", data={"csrf_token": token(admin)})
    resident = kiosk(app)
    assert "公共设施报修" not in text(resident.get("/kiosk/"))
    assert resident.get(f"/kiosk/services/{repair}").status_code == 404
    assert resident.get(f"/kiosk/services/{repair}/request").status_code == 404
    assert "公共设施报修" in text(app.test_client().get(f"/t/{token_}"))
    queue = text(sign_in(app, "staff-hq").get("/staff/"))
    assert number in queue and "公共设施报修" in queue
    assert "retired" in text(admin.get("/staff/admin/catalogue")) or "已停用" in text(admin.get("/staff/admin/catalogue"))
    admin.post(f"/staff/admin/catalogue/services/{repair}/restore", data={"csrf_token": token(admin)})
    assert "公共设施报修" in text(kiosk(app).get("/kiosk/"))
    with app.app_context():
        assert [e.action for e in db.session.scalars(audited_changes().filter_by(entity="service"))] == \
            ["retire", "restore"]


def test_a_retired_category_takes_its_items_off_the_kiosks(app):
    admin = sign_in(app, "admin-district")
    category = category_id(app, _first_category(app))
    with app.app_context():
        names = [s.name_zh for s in db.session.scalars(db.select(Service).filter_by(category_id=category,
                                                                                      active=True))]
    admin.post(f"/staff/admin/catalogue/categories/{category}/retire", data={"csrf_token": token(admin)})
    home = text(kiosk(app).get("/kiosk/"))
    assert names and all(name not in home for name in names)
    response = admin.post("/staff/admin/catalogue/categories/new", data={
        "csrf_token": token(admin), "code": "Bad Code", "name_zh": "", "position": "x"})
    assert response.status_code == 422


SERVE = """
import sys
from werkzeug.serving import make_server
from kiosk_app import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "PUBLIC_BASE_URL": "http://kiosk.test",
                  "CACHE_SECONDS": 60, "CACHE_CHECK_SECONDS": 0.25})
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def test_a_change_made_through_one_process_is_on_another_processs_kiosk_within_a_second(app, database_url):
    """Two app processes on one database (as two servers behind a balancer): the other keeps the
    catalogue for a minute, yet shows the new item within a second of the change."""
    root = Path(__file__).resolve().parents[2]
    other = subprocess.Popen([sys.executable, "-c", SERVE, database_url], cwd=root, stdout=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": str(root)}, text=True)
    try:
        port = int(other.stdout.readline())
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        browser.open(f"http://127.0.0.1:{port}/kiosk/community/HQ").read()

        def home() -> str:
            return browser.open(f"http://127.0.0.1:{port}/kiosk/").read().decode()

        assert "非机动车棚申请" not in home()  # now kept there, for a minute
        admin = sign_in(app, "admin-district")
        assert create_item(app, admin).status_code == 303
        changed, seen = time.monotonic(), False
        while not seen and time.monotonic() - changed < 1.0:
            seen = "非机动车棚申请" in home()
            time.sleep(0.05)
        assert seen, "the other process still showed the old catalogue a second after the change"
    finally:
        other.terminate()
        other.wait(timeout=10)
        other.stdout.close()
