"""Terminals in the browser (/staff/admin/terminals): create, enrol, revoke, compartments, tests."""

import json
import re

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, Compartment, Terminal

from ..helpers import CSRF_RE, audited_changes, community, sign_in

CODE_RE = re.compile(r'id="enrolment-code"><code>([^<]+)</code>')


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client, url="/staff/admin/terminals") -> str:
    return CSRF_RE.search(text(client.get(url))).group(1)


def terminal_id(app, code) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Terminal.id).filter_by(code=code))


def new_terminal(app, client, **changes):
    with app.app_context():
        hq = community("HQ").id
    form = {"code": "HQ-L2", "kind": "locker", "community_id": str(hq), "name_zh": "红旗路二号智能柜",
            "name_en": "Hongqi Road locker 2", "lock_url": "sim://", "printer_url": "dummy://", **changes}
    return client.post("/staff/admin/terminals/new", data={"csrf_token": token(client), **form})


@pytest.mark.parametrize("username", ["staff-hq", "volunteer-hq", "grid-hq1"])
def test_roles_without_administration_are_refused_terminals(app, username):
    client = sign_in(app, username)
    target = terminal_id(app, "HQ-L1")
    for url in ("/staff/admin/terminals", "/staff/admin/terminals/new", f"/staff/admin/terminals/{target}"):
        assert client.get(url).status_code == 403, url


def test_another_communitys_terminal_is_not_found(app):
    admin = sign_in(app, "admin-hq")
    other = terminal_id(app, "XJ-L1")
    assert admin.get(f"/staff/admin/terminals/{other}").status_code == 404
    assert admin.post(f"/staff/admin/terminals/{other}/revoke", data={"csrf_token": token(admin)}).status_code == 404
    assert 'data-terminal="XJ-L1"' not in text(admin.get("/staff/admin/terminals"))
    with app.app_context():
        xj = community("XJ").id
    assert new_terminal(app, admin, community_id=str(xj)).status_code == 422


def test_a_new_locker_is_wired_enrolled_and_takes_a_drop_off(app):
    admin = sign_in(app, "admin-hq")
    assert new_terminal(app, admin).status_code == 303
    target = terminal_id(app, "HQ-L2")
    for number, lock in ((1, 1), (2, 2)):
        response = admin.post(f"/staff/admin/terminals/{target}/compartments", data={
            "csrf_token": token(admin), "number": str(number), "size": "M", "board": "1", "lock": str(lock)})
        assert response.status_code == 303
    clash = admin.post(f"/staff/admin/terminals/{target}/compartments", data={
        "csrf_token": token(admin), "number": "3", "size": "M", "board": "1", "lock": "2"})
    assert clash.status_code == 409
    bad = admin.post(f"/staff/admin/terminals/{target}/compartments", data={
        "csrf_token": token(admin), "number": "x", "size": "XL", "board": "0", "lock": "99"})
    assert bad.status_code == 422
    page = text(admin.post(f"/staff/admin/terminals/{target}/enrolment", data={"csrf_token": token(admin)}))
    code = CODE_RE.search(page).group(1)
    assert "<svg" in page and f"code={code}" in page
    screen = app.test_client()
    enrol_page = text(screen.get(f"/kiosk/enrol?code={code}"))
    assert f'value="{code}"' in enrol_page
    response = screen.post("/kiosk/enrol", data={"csrf_token": CSRF_RE.search(enrol_page).group(1), "code": code})
    assert response.status_code in (302, 303)
    assert "/terminal/dropoff/" in text(screen.get("/terminal/"))  # the locker's own screen
    lines = text(admin.post(f"/staff/admin/terminals/{target}/test-locks", data={"csrf_token": token(admin)}))
    assert 'id="lock-answers"' in lines
    printed = admin.post(f"/staff/admin/terminals/{target}/test-printer", data={"csrf_token": token(admin)})
    assert 'id="printer-answer"' in text(printed)
    # Revoked, the screen is a stranger again.
    admin.post(f"/staff/admin/terminals/{target}/revoke", data={"csrf_token": token(admin)})
    assert "/terminal/dropoff/" not in text(screen.get("/terminal/"))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Compartment).filter_by(terminal_id=target)) == 2
        actions = [(e.entity, e.action) for e in db.session.scalars(audited_changes())]
        assert actions[0] == ("terminal", "create") and ("compartment", "create") in actions
        assert ("terminal", "disable") == actions[-1]


def test_a_bad_lock_line_or_printer_is_refused_with_what_is_accepted(app):
    admin = sign_in(app, "admin-hq")
    target = terminal_id(app, "HQ-L1")
    response = admin.post(f"/staff/admin/terminals/{target}", data={
        "csrf_token": token(admin), "name_zh": "红旗路智能柜", "lock_url": "ftp://nowhere", "printer_url": "laser://x"})
    assert response.status_code == 422
    page = text(response)
    assert 'id="err-lock_url"' in page and 'id="err-printer_url"' in page and "ftp://nowhere" in page
    with app.app_context():
        assert db.session.get(Terminal, target).lock_url == "sim://"
        assert db.session.scalar(audited_changes(AuditEvent.id).limit(1)) is None
    with app.app_context():
        name_en = db.session.get(Terminal, target).name_en
    admin.post(f"/staff/admin/terminals/{target}", data={
        "csrf_token": token(admin), "name_zh": "红旗路智能柜（东门）", "name_en": name_en, "lock_url": "sim://",
        "printer_url": "none"})
    with app.app_context():
        [event] = db.session.scalars(audited_changes())
        assert json.loads(event.after) == {"name_zh": "红旗路智能柜（东门）", "printer_url": "none"}
