"""Every administration route, for every role: roles without administration are refused (403) all of
them, a community admin finds nothing of another community (404, or 403 where only district admins
may act), and nothing of that writes anything; every change a district admin makes leaves an audit
event."""

import io
import re

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Area, AuditEvent, Building, Compartment, Grid, GridLevel, Service, ServiceCategory, Tag
from kiosk_app.services.admin import account_sheet, catalogue_sheet, org_sheet

from ..helpers import CSRF_RE, audited_changes, sign_in, staff


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
            "tag_id": db.session.scalar(db.select(Tag.id).filter_by(code="veteran")),
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
        assert db.session.scalar(audited_changes(AuditEvent.id).limit(1)) is None


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
        assert db.session.scalar(audited_changes(AuditEvent.id).limit(1)) is None


def test_the_district_admin_reaches_every_communitys_pages(app):
    client = sign_in(app, "admin-district")
    for method, path, endpoint, _args in admin_routes(app, "XJ"):
        if method == "GET":
            assert client.get(path).status_code == 200, (path, endpoint)


# ---------------------------------------------------------------- every change leaves an audit event

def sheet(columns, row: dict) -> tuple:
    """A CSV upload with one row (the cells not given empty)."""
    lines = [",".join(columns), ",".join(row.get(column, "") for column in columns)]
    return io.BytesIO(("\ufeff" + "\r\n".join(lines) + "\r\n").encode()), "sheet.csv"


# (endpoint, path, form) in an order that works: each a change a district admin makes.  Field checks
# and hardware tests change nothing and are left out (NO_CHANGE); a new POST route must be added here.
NO_CHANGE = {"admin.account_check", "admin.service_check", "admin.terminal_check", "admin.terminal_test_locks",
             "admin.terminal_test_printer"}


def changes(v: dict) -> list[tuple[str, str, dict]]:
    base, hq_grid = "/staff/admin", v["grid_id"]
    return [
        ("admin.account_create", f"{base}/accounts/new",
         {"username": "new.one", "display_name": "新人", "role": "community_staff", "area_id": v["area_id"]}),
        ("admin.account_update", f"{base}/accounts/{v['staff_id']}",
         {"display_name": "王社工（改）", "role": "community_staff", "area_id": v["area_id"]}),
        ("admin.account_reset", f"{base}/accounts/{v['staff_id']}/reset", {}),
        ("admin.account_unlock", f"{base}/accounts/{v['staff_id']}/unlock", {}),
        ("admin.account_two_factor_reset", f"{base}/accounts/{v['staff_id']}/two-factor/reset", {}),
        ("admin.account_active", f"{base}/accounts/{v['staff_id']}/disable", {}),
        ("admin.account_post_add", f"{base}/accounts/{v['staff_id']}/posts",
         {"grid_id": hq_grid, "level_id": v["level_id"]}),
        ("admin.account_post_remove", f"{base}/accounts/{v['staff_id']}/posts/{hq_grid}/remove", {}),
        ("admin.grid_post_add", f"{base}/org/grids/{hq_grid}/posts", {"staff_id": v["staff_id"],
                                                                        "level_id": v["level_id"]}),
        ("admin.grid_post_remove", f"{base}/org/grids/{hq_grid}/posts/{v['staff_id']}/remove", {}),
        ("admin.area_create", f"{base}/org/areas/new", {"code": "NS", "name_zh": "南山街道"}),
        ("admin.area_update", f"{base}/org/areas/{v['area_id']}", {"name_zh": "红旗路社区（改）"}),
        ("admin.grid_create", f"{base}/org/areas/{v['area_id']}/grids", {"code": "G8", "name_zh": "第八网格"}),
        ("admin.grid_update", f"{base}/org/grids/{hq_grid}", {"name_zh": "第一网格（改）"}),
        ("admin.building_create", f"{base}/org/areas/{v['area_id']}/buildings",
         {"code": "B99", "name_zh": "99号楼", "grid_id": hq_grid, "units": "2"}),
        ("admin.building_update", f"{base}/org/buildings/{v['building_id']}",
         {"name_zh": "1号楼（改）", "grid_id": hq_grid, "units": "3"}),
        ("admin.building_active", f"{base}/org/buildings/{v['building_id']}/retire", {}),
        ("admin.area_active", f"{base}/org/areas/{v['area_id']}/retire", {}),
        ("admin.grid_active", f"{base}/org/grids/{v['new_grid_id']}/retire", {}),
        ("admin.level_save", f"{base}/org/ladder", {"code": "helper", "name_zh": "协管员", "rank": "6"}),
        ("admin.level_save", f"{base}/org/ladder/{v['level_id']}", {"name_zh": "网格员（改）", "rank": "3"}),
        ("admin.tag_save", f"{base}/org/tags", {"code": "pregnant", "name_zh": "孕产妇", "position": "20",
                                                 "sensitive": "1"}),
        ("admin.tag_save", f"{base}/org/tags/{v['tag_id']}", {"name_zh": "退役军人（改）", "position": "7",
                                                                "active": "1"}),
        ("admin.calendar_set", f"{base}/calendar", {"day": "2031-03-10", "workday": "0", "note": "区里放假"}),
        ("admin.calendar_remove", f"{base}/calendar/2031-03-10/remove", {}),
        ("admin.category_save", f"{base}/catalogue/categories/new", {"code": "pets", "name_zh": "宠物"}),
        ("admin.category_save", f"{base}/catalogue/categories/{v['category_id']}", {"name_zh": "证明（改）"}),
        ("admin.category_active", f"{base}/catalogue/categories/{v['category_id']}/retire", {}),
        ("admin.service_save", f"{base}/catalogue/services/new",
         {"code": "dog-licence", "category_id": v["category_id"], "kind": "request", "name_zh": "犬只登记",
          "deadline_days": "5", "papers_size": "M"}),
        ("admin.service_save", f"{base}/catalogue/services/{v['service_id']}",
         {"category_id": v["category_id"], "kind": "request", "name_zh": "报修（改）", "deadline_days": "4",
          "papers_size": "M"}),
        ("admin.service_active", f"{base}/catalogue/services/{v['service_id']}/retire", {}),
        ("admin.catalogue_offer", f"{base}/catalogue/offer/{v['area_id']}/{v['service_id']}",
         {"offered": "1", "note_zh": "一楼二号窗口"}),
        ("admin.terminal_create", f"{base}/terminals/new",
         {"code": "HQ-K9", "kind": "kiosk", "community_id": v["area_id"], "name_zh": "新终端", "printer_url": "none"}),
        ("admin.terminal_update", f"{base}/terminals/{v['terminal_id']}",
         {"name_zh": "智能柜（改）", "lock_url": "sim://", "printer_url": "none"}),
        ("admin.terminal_enrolment", f"{base}/terminals/{v['terminal_id']}/enrolment", {}),
        ("admin.terminal_revoke", f"{base}/terminals/{v['terminal_id']}/revoke", {}),
        ("admin.terminal_compartment", f"{base}/terminals/{v['terminal_id']}/compartments",
         {"number": "40", "size": "S", "board": "3", "lock": "1"}),
        ("admin.terminal_compartment", f"{base}/terminals/{v['terminal_id']}/compartments/{v['compartment_id']}",
         {"number": "1", "size": "L", "board": "1", "lock": "1"}),
        ("admin.org_import", f"{base}/org/import", {"action": "import", "file": sheet(org_sheet.COLUMNS, {
            "street_code": "JE", "community_code": "HQ", "grid_code": "G9", "grid_name_zh": "第九网格"})}),
        ("admin.accounts_import", f"{base}/accounts/import", {"action": "import", "file": sheet(
            account_sheet.COLUMNS, {"username": "sheet.one", "display_name": "表格", "role": "volunteer",
                                    "area_code": "HQ"})}),
        ("admin.catalogue_import", f"{base}/catalogue/import", {"action": "import", "file": sheet(
            catalogue_sheet.COLUMNS, {"category_code": "pets", "code": "cat-licence", "name_zh": "猫咪登记"})}),
    ]


def test_every_change_an_admin_makes_leaves_an_audit_event(app):
    v = values(app, "HQ")
    with app.app_context():
        v["new_grid_id"] = db.session.scalar(db.select(Grid.id).filter_by(community_id=v["area_id"], code="G3"))
        db.session.execute(db.update(Building).where(Building.grid_id == v["new_grid_id"])
                           .values(grid_id=v["grid_id"]))
        db.session.commit()
    client = sign_in(app, "admin-district")
    token = CSRF_RE.search(client.get("/staff/").get_data(as_text=True)).group(1)
    table = changes(v)
    posted = {endpoint for endpoint, _path, _form in table}
    routes = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("admin.") and "POST" in rule.methods}
    assert routes - NO_CHANGE == posted, "every admin POST route is tried here"

    def audit_count():
        with app.app_context():
            return db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))

    for endpoint, path, form in table:
        before = audit_count()
        response = client.post(path, data={"csrf_token": token, **form}, content_type="multipart/form-data")
        assert response.status_code in (200, 303), (endpoint, path, response.status_code,
                                                    response.get_data(as_text=True)[-1500:])
        assert audit_count() > before, (endpoint, path)
