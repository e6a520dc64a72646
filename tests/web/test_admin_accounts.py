"""Accounts in the browser (/staff/admin/accounts) and the audit trail (/staff/admin/audit)."""

import csv
import io
import json
import re

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, Role, Staff

from ..helpers import CSRF_RE, HX, STAFF_PASSWORD, audited_changes, community, csrf_token, sign_in, staff

PASSWORD_RE = re.compile(r'id="one-time-password"><code>([^<]+)</code>')


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client, url="/staff/admin/accounts/new") -> str:
    return CSRF_RE.search(text(client.get(url))).group(1)


def new_account(client, **fields):
    form = {"username": "liu-hq", "display_name": "刘社工", "role": "community_staff", "area_id": "", **fields}
    return client.post("/staff/admin/accounts/new", data={"csrf_token": token(client), **form})


def audit_events(entity="staff"):
    return list(db.session.scalars(audited_changes().filter_by(entity=entity)))


def account_id(app, username):
    with app.app_context():
        return staff(username).id


# ---------------------------------------------------------------- who may use the pages

@pytest.mark.parametrize("username", ["staff-hq", "volunteer-hq", "grid-hq1"])
def test_roles_without_administration_are_refused_every_admin_page(app, username):
    client = sign_in(app, username)
    target = account_id(app, "staff-hq")
    for url in ("/staff/admin/", "/staff/admin/accounts", "/staff/admin/accounts/new",
                f"/staff/admin/accounts/{target}", "/staff/admin/audit", "/staff/admin/audit.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/staff/admin/accounts/{target}/disable", data={"csrf_token": csrf_token(client, "/staff/")}
                       ).status_code == 403
    assert 'id="nav-admin"' not in text(client.get("/staff/"))
    with app.app_context():
        assert staff("staff-hq").active


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/admin/accounts")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_a_community_admin_sees_only_the_staff_of_their_community(app):
    client = sign_in(app, "admin-hq")
    listing = text(client.get("/staff/admin/accounts"))
    assert 'data-account="staff-hq"' in listing and 'data-account="grid-hq1"' in listing
    assert 'data-account="staff-xj"' not in listing  # another community
    assert 'data-account="admin-district"' not in listing and 'data-account="admin-hq"' not in listing
    for other in ("staff-xj", "admin-district"):
        assert client.get(f"/staff/admin/accounts/{account_id(app, other)}").status_code == 404
        response = client.post(f"/staff/admin/accounts/{account_id(app, other)}/disable",
                               data={"csrf_token": token(client)})
        assert response.status_code == 404
    with app.app_context():
        assert staff("staff-xj").active and staff("admin-district").active


def test_the_district_admin_sees_every_account_of_the_district_and_searches_them(app):
    client = sign_in(app, "admin-district")
    listing = text(client.get("/staff/admin/accounts"))
    for username in ("staff-hq", "staff-xj", "admin-hq", "admin-district"):
        assert f'data-account="{username}"' in listing
    found = text(client.get("/staff/admin/accounts?q=xj"))
    assert 'data-account="staff-xj"' in found and 'data-account="staff-hq"' not in found
    assert client.get("/staff/admin/accounts?page=abc&q=%25").status_code == 200


# ---------------------------------------------------------------- creating an account

def test_a_new_account_gets_a_one_time_password_to_change_at_first_sign_in(app):
    admin = sign_in(app, "admin-hq")
    with app.app_context():
        hq = community("HQ").id
    response = new_account(admin, area_id=str(hq))
    assert response.status_code == 200
    password = PASSWORD_RE.search(text(response)).group(1)
    assert len(password) == 14 and response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        created = staff("liu-hq")
        assert created.role == Role.COMMUNITY_STAFF and created.area_id == hq and created.must_change_password
        assert password not in created.password_hash
        [event] = audit_events()
        assert (event.action, event.entity_id, event.actor_label) == ("create", created.id, "admin-hq")
        assert json.loads(event.after)["role"] == "community_staff"

    newcomer = sign_in(app, "liu-hq", password)
    response = newcomer.get("/staff/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/password")
    assert newcomer.get("/staff/tickets/1").status_code == 303
    page = text(newcomer.get("/staff/password"))
    response = newcomer.post("/staff/password", data={"csrf_token": CSRF_RE.search(page).group(1), "current": password,
                                                     "new": "my-own-password-1", "repeat": "my-own-password-1"})
    assert response.status_code == 303
    again = sign_in(app, "liu-hq", "my-own-password-1")
    assert again.get("/staff/").status_code == 200


def test_the_account_form_checks_each_field_and_keeps_what_was_typed(app):
    admin = sign_in(app, "admin-hq")
    response = new_account(admin, username="staff-hq", display_name="", role="district_admin", area_id="99999")
    assert response.status_code == 422
    page = text(response)
    assert "用户名已被占用" in page or "This username is taken." in page
    assert 'id="err-display_name"' in page and 'id="err-role"' in page and 'id="err-area_id"' in page
    assert 'value="staff-hq"' in page
    with app.app_context():
        assert audit_events() == []
    check = admin.post("/staff/admin/accounts/check/username", data={"username": "a b", "csrf_token": token(admin)},
                       headers=HX)
    assert check.status_code == 200 and 'id="err-username"' in text(check) and "hidden" not in text(check)
    fine = admin.post("/staff/admin/accounts/check/username", data={"username": "new-person",
                                                                     "csrf_token": token(admin)}, headers=HX)
    assert "hidden" in text(fine)


def test_a_community_admin_cannot_make_admins_or_accounts_elsewhere(app):
    admin = sign_in(app, "admin-hq")
    with app.app_context():
        xj = community("XJ").id
        hq = community("HQ").id
    assert new_account(admin, role="community_admin", area_id=str(hq)).status_code == 422
    assert new_account(admin, area_id=str(xj)).status_code == 422
    with app.app_context():
        assert staff("liu-hq") is None


def test_a_district_admin_belongs_to_the_district(app):
    admin = sign_in(app, "admin-district")
    with app.app_context():
        hq = community("HQ").id
        district = staff("admin-district").area_id
    assert new_account(admin, role="district_admin", area_id=str(hq)).status_code == 422
    assert new_account(admin, role="district_admin", area_id=str(district)).status_code == 200


# ---------------------------------------------------------------- changing one

def test_disabling_an_account_signs_it_out_everywhere_and_stops_sign_in(app):
    worker = sign_in(app, "staff-hq")
    assert worker.get("/staff/").status_code == 200
    admin = sign_in(app, "admin-hq")
    target = account_id(app, "staff-hq")
    response = admin.post(f"/staff/admin/accounts/{target}/disable", data={"csrf_token": token(admin)})
    assert response.status_code == 303
    assert worker.get("/staff/").status_code == 302  # its session is gone
    client = app.test_client()
    response = client.post("/staff/login", data={"csrf_token": csrf_token(client, "/staff/login"),
                                                 "username": "staff-hq", "password": STAFF_PASSWORD})
    assert response.status_code == 401
    admin.post(f"/staff/admin/accounts/{target}/enable", data={"csrf_token": token(admin)})
    assert sign_in(app, "staff-hq").get("/staff/").status_code == 200
    with app.app_context():
        assert [e.action for e in audit_events()] == ["disable", "enable"]


def test_nobody_disables_themselves_or_the_last_district_admin(app):
    admin = sign_in(app, "admin-district")
    me = account_id(app, "admin-district")
    response = admin.post(f"/staff/admin/accounts/{me}/disable", data={"csrf_token": token(admin)})
    assert response.status_code == 409 and "不能停用自己的账号。" in text(response)
    with app.app_context():
        assert staff("admin-district").active and audit_events() == []


def test_a_reset_shows_a_new_one_time_password_and_ends_the_old_sessions(app):
    worker = sign_in(app, "staff-hq")
    admin = sign_in(app, "admin-hq")
    target = account_id(app, "staff-hq")
    response = admin.post(f"/staff/admin/accounts/{target}/reset", data={"csrf_token": token(admin)})
    password = PASSWORD_RE.search(text(response)).group(1)
    assert worker.get("/staff/").status_code == 302
    fresh = sign_in(app, "staff-hq", password)
    assert fresh.get("/staff/").headers["Location"].endswith("/staff/password")
    with app.app_context():
        [event] = audit_events()
        assert event.action == "reset_password" and password not in event.after + event.before


def test_an_account_locked_by_wrong_passwords_is_shown_and_unlocked(app):
    client = app.test_client()
    login_token = csrf_token(client, "/staff/login")
    for _ in range(6):
        client.post("/staff/login", data={"csrf_token": login_token, "username": "staff-hq", "password": "wrong"})
    admin = sign_in(app, "admin-hq")
    target = account_id(app, "staff-hq")
    assert 'id="unlock"' in text(admin.get(f"/staff/admin/accounts/{target}"))
    admin.post(f"/staff/admin/accounts/{target}/unlock", data={"csrf_token": token(admin)})
    assert sign_in(app, "staff-hq").get("/staff/").status_code == 200


def test_changing_role_or_area_restarts_the_accounts_sessions_and_is_audited(app):
    worker = sign_in(app, "staff-hq")
    admin = sign_in(app, "admin-district")
    target = account_id(app, "staff-hq")
    with app.app_context():
        xj = community("XJ").id
    response = admin.post(f"/staff/admin/accounts/{target}", data={
        "csrf_token": token(admin), "display_name": "王社工", "role": "community_staff", "area_id": str(xj)})
    assert response.status_code == 303
    assert worker.get("/staff/").status_code == 302
    with app.app_context():
        [event] = audit_events()
        assert json.loads(event.after) == {"area_id": xj} and "area_id" in json.loads(event.before)


def test_grid_posts_are_given_and_taken_from_the_account_page(app):
    admin = sign_in(app, "admin-hq")
    target = account_id(app, "grid-hq1")
    with app.app_context():
        from kiosk_app.models import Grid, GridLevel

        grid = db.session.scalar(db.select(Grid).filter_by(community_id=community("HQ").id, code="G3"))
        other = db.session.scalar(db.select(Grid).filter_by(community_id=community("XJ").id))
        level = db.session.scalar(db.select(GridLevel).filter_by(code="worker"))
        grid_id, other_id, level_id = grid.id, other.id, level.id
    response = admin.post(f"/staff/admin/accounts/{target}/posts",
                          data={"csrf_token": token(admin), "grid_id": other_id, "level_id": level_id})
    assert response.status_code == 422  # a grid of another community
    admin.post(f"/staff/admin/accounts/{target}/posts",
               data={"csrf_token": token(admin), "grid_id": grid_id, "level_id": level_id})
    assert 'data-post="G3"' in text(admin.get(f"/staff/admin/accounts/{target}"))
    admin.post(f"/staff/admin/accounts/{target}/posts/{grid_id}/remove", data={"csrf_token": token(admin)})
    assert 'data-post="G3"' not in text(admin.get(f"/staff/admin/accounts/{target}"))
    with app.app_context():
        assert [e.action for e in audit_events()] == ["add_post", "remove_post"]


# ---------------------------------------------------------------- the audit trail

def test_the_audit_trail_is_for_district_admins_filtered_and_exported(app):
    admin = sign_in(app, "admin-hq")
    target = account_id(app, "staff-hq")
    admin.post(f"/staff/admin/accounts/{target}/disable", data={"csrf_token": token(admin)})
    admin.post(f"/staff/admin/accounts/{target}/enable", data={"csrf_token": token(admin)})
    assert admin.get("/staff/admin/audit").status_code == 403
    district = sign_in(app, "admin-district")
    page = text(district.get("/staff/admin/audit"))
    assert page.count(f'data-audit="staff:{target}:') == 2
    only = text(district.get("/staff/admin/audit?action=disable&actor=admin-hq"))
    assert only.count('data-audit="staff:') == 1
    assert text(district.get("/staff/admin/audit?actor=nobody")).count('data-audit="staff:') == 0
    exported = district.get("/staff/admin/audit.csv?action=disable")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][1] == "admin-hq"
    assert district.get("/staff/admin/audit?from=not-a-date&page=-3").status_code == 200
    # Nothing edits or deletes an entry.
    assert district.post("/staff/admin/audit", data={"csrf_token": token(district)}).status_code == 405


def test_exported_cells_never_run_as_formulas(app):
    district = sign_in(app, "admin-district")
    with app.app_context():
        hq = community("HQ").id
    new_account(district, display_name="=HYPERLINK(\"http://x\")", area_id=str(hq))
    rows = list(csv.reader(io.StringIO(district.get("/staff/admin/audit.csv").get_data(as_text=True))))
    assert all(not cell.startswith("=") for row in rows for cell in row)
    assert any("'{" in cell or "HYPERLINK" in cell for row in rows for cell in row)


def test_create_admin_on_an_empty_database_makes_the_district_and_its_first_admin(make_app):
    from kiosk_app.models import Area, GridLevel

    app = make_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "zhang", "--password", "a-strong-password", "--district-code",
                                 "GX", "--district-name", "高新区"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.scalar(db.select(Staff).filter_by(username="zhang"))
        assert admin.role == Role.DISTRICT_ADMIN and admin.area.code == "GX" and admin.area.name_zh == "高新区"
        assert db.session.scalar(db.select(db.func.count()).select_from(GridLevel)) == 5
        assert {e.entity for e in db.session.scalars(audited_changes())} == {"area", "staff"}
    again = runner.invoke(args=["create-admin", "zhang", "--password", "a-strong-password"])
    assert again.exit_code == 1 and "用户名已被占用" in again.output
    short = runner.invoke(args=["create-admin", "li", "--password", "short"])
    assert short.exit_code == 1
    second = runner.invoke(args=["create-admin", "li-wei", "--password", "another-strong-one"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Area)) == 1
