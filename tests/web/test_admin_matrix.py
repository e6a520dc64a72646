"""Every administration route, for every role: roles without administration are refused (403) all of
them, a community admin finds nothing of another community (404, or 403 where only district admins
may act), and nothing of that writes anything."""

import re

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Area, AuditEvent, Building, Compartment, Grid, GridLevel, Service, ServiceCategory

from ..helpers import CSRF_RE, sign_in, staff


def values(app, community_code: str) -> dict:
    """An object of each kind the admin routes take, of one community (catalogue items are the district's)."""
    with app.app_context():
        area = db.session.scalar(db.select(Area).filter_by(code=community_code))
        from kiosk_app.models import Terminal

        locker = db.session.scalar(db.select(Terminal).filter_by(code=f"{community_code}-L1"))
        return {
            "staff_id": staff(f"staff-{community_code.lower()}").id,
            "area_id": area.id, "community_id": area.id,
            "grid_id": db.session.scalar(db.select(Grid.id).filter_by(community_id=area.id, code="G1")),
            "building_id": db.session.scalar(db.select(Building.id).filter_by(community_id=area.id).limit(1)),
            "terminal_id": locker.id,
            "compartment_id": db.session.scalar(db.select(Compartment.id).filter_by(terminal_id=locker.id).limit(1)),
            "service_id": db.session.scalar(db.select(Service.id).filter_by(code="facility-repair")),
            "category_id": db.session.scalar(db.select(ServiceCategory.id).limit(1)),
            "level_id": db.session.scalar(db.select(GridLevel.id).filter_by(code="worker")),
            "field": "code", "day": "2031-03-10",
        }


def admin_routes(app, community_code: str):
    given = values(app, community_code)
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path, arguments = rule.rule, rule.arguments - set(rule.defaults or {})
        for name in arguments:
            choices = getattr(rule._converters[name], "items", None)  # any(...): its first choice
            value = sorted(choices)[0] if choices else given[name]
            path = re.sub(rf"<(?:[^:>]+:)?{name}>", str(value), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, rule.endpoint, arguments


def send(client, method, path, token):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": token, "code": "ZZ9", "name_zh": "x", "offered": "1"})


@pytest.mark.parametrize("username", ["staff-hq", "volunteer-hq", "grid-hq1"])
def test_roles_without_administration_are_refused_every_admin_route(app, username):
    client = sign_in(app, username)
    token = CSRF_RE.search(client.get("/staff/").get_data(as_text=True)).group(1)
    routes = list(admin_routes(app, "HQ"))
    assert len(routes) > 50
    for method, path, endpoint, _args in routes:
        assert send(client, method, path, token).status_code == 403, (method, path, endpoint)
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.id).limit(1)) is None


DISTRICT_ONLY = {"admin.audit_page", "admin.audit_export", "admin.service_new", "admin.service_edit",
                 "admin.service_save", "admin.service_active", "admin.service_check", "admin.category_new",
                 "admin.category_edit", "admin.category_save", "admin.category_active", "admin.area_create",
                 "admin.area_update", "admin.area_active", "admin.grid_create", "admin.grid_update",
                 "admin.grid_active", "admin.level_save", "admin.calendar_page", "admin.calendar_set",
                 "admin.calendar_remove", "admin.org_import_page", "admin.org_import", "admin.org_sheet",
                 "admin.catalogue_import_page", "admin.catalogue_import", "admin.catalogue_sheet"}
# What names an object of one community (the rest is the district's catalogue, or the admin's own lists).
SCOPED = {"staff_id", "area_id", "community_id", "grid_id", "building_id", "terminal_id", "compartment_id"}


def test_a_community_admin_finds_nothing_of_another_community(app):
    client = sign_in(app, "admin-hq")
    token = CSRF_RE.search(client.get("/staff/").get_data(as_text=True)).group(1)
    checked = 0
    for method, path, endpoint, args in admin_routes(app, "XJ"):
        if not (args & SCOPED or endpoint in DISTRICT_ONLY):
            continue
        checked += 1
        status = send(client, method, path, token).status_code
        # Out of reach and out of role at once: either answer reveals nothing.
        expected = {403, 404} if endpoint in DISTRICT_ONLY else {404}
        assert status in expected, (method, path, endpoint, status)
    assert checked > 40
    # In its own community, what only district admins may do is refused as such.
    for method, path, endpoint, _args in admin_routes(app, "HQ"):
        if endpoint in DISTRICT_ONLY:
            assert send(client, method, path, token).status_code == 403, (method, path, endpoint)
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.id).limit(1)) is None


def test_the_district_admin_reaches_every_communitys_pages(app):
    client = sign_in(app, "admin-district")
    for method, path, endpoint, _args in admin_routes(app, "XJ"):
        if method == "GET":
            assert client.get(path).status_code == 200, (path, endpoint)
