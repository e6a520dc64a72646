"""The org tree in the browser (/staff/admin/org): streets, communities, grids, buildings, posts, ladder."""

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Area, AuditEvent, Building, Grid, GridLevel, StaffGrid

from ..helpers import CSRF_RE, audited_changes, building_of, community, make_ticket, sign_in, staff


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client, url="/staff/admin/org") -> str:
    return CSRF_RE.search(text(client.get(url))).group(1)


def post(client, url, **data):
    return client.post(url, data={"csrf_token": token(client), **data})


def ids(app, model, **lookup):
    with app.app_context():
        return db.session.scalar(db.select(model.id).filter_by(**lookup))


@pytest.mark.parametrize("username", ["staff-hq", "volunteer-hq", "grid-hq1"])
def test_roles_without_administration_are_refused_the_org_tree(app, username):
    client = sign_in(app, username)
    hq = ids(app, Area, code="HQ")
    for url in ("/staff/admin/org", f"/staff/admin/org/areas/{hq}", "/staff/admin/org/ladder"):
        assert client.get(url).status_code == 403, url


def test_a_community_admin_keeps_their_buildings_but_not_the_tree(app):
    admin = sign_in(app, "admin-hq")
    hq, xj = ids(app, Area, code="HQ"), ids(app, Area, code="XJ")
    page = text(admin.get("/staff/admin/org"))
    assert 'data-area="HQ"' in page and 'data-area="XJ"' not in page and 'id="new-street"' not in page
    assert admin.get(f"/staff/admin/org/areas/{xj}").status_code == 404
    assert post(admin, "/staff/admin/org/areas/new", code="ZZ", name_zh="新街道").status_code == 403
    assert post(admin, f"/staff/admin/org/areas/{hq}/grids", code="G9", name_zh="第九网格").status_code == 403
    g1 = ids(app, Grid, community_id=hq, code="G1")
    response = post(admin, f"/staff/admin/org/areas/{hq}/buildings", code="B7", name_zh="7号楼", grid_id=str(g1),
                    units="3", position="7")
    assert response.status_code == 303
    with app.app_context():
        building = db.session.scalar(db.select(Building).filter_by(community_id=hq, code="B7"))
        assert building.units == 3 and building.grid_id == g1
    xj_grid = ids(app, Grid, community_id=xj, code="G1")
    refused = post(admin, f"/staff/admin/org/areas/{hq}/buildings", code="B8", name_zh="8号楼", grid_id=str(xj_grid),
                   units="0")
    assert refused.status_code == 422 and 'id="err-grid_id"' in text(refused) and 'id="err-units"' in text(refused)


def test_the_district_admin_grows_the_tree_down_to_a_building_a_resident_can_choose(app):
    admin = sign_in(app, "admin-district")
    assert post(admin, "/staff/admin/org/areas/new", code="NS", name_zh="新城街道").status_code == 303
    street = ids(app, Area, code="NS")
    assert post(admin, "/staff/admin/org/areas/new", code="NC", name_zh="新城社区", parent_id=str(street)).status_code == 303
    nc = ids(app, Area, code="NC")
    assert post(admin, f"/staff/admin/org/areas/{nc}/grids", code="G1", name_zh="第一网格").status_code == 303
    grid = ids(app, Grid, community_id=nc, code="G1")
    assert post(admin, f"/staff/admin/org/areas/{nc}/buildings", code="1", name_zh="新城1号楼", grid_id=str(grid),
                units="2").status_code == 303
    resident = app.test_client()
    resident.get("/kiosk/community/NC")
    home = text(resident.get("/kiosk/"))
    assert "公共设施报修" in home  # a new community offers the whole catalogue
    with app.app_context():
        from ..helpers import service_by_code

        repair = service_by_code("facility-repair").id
        kinds = [(e.entity, e.action) for e in db.session.scalars(audited_changes())]
    assert "新城1号楼" in text(resident.get(f"/kiosk/services/{repair}/request"))
    assert kinds == [("area", "create"), ("area", "create"), ("grid", "create"), ("building", "create")]
    duplicate = post(admin, "/staff/admin/org/areas/new", code="HQ", name_zh="重复")
    assert duplicate.status_code == 422 and "代码已被占用" in text(duplicate)


def test_a_retired_building_leaves_the_form_but_its_tickets_keep_it(app):
    with app.app_context():
        building = building_of("HQ", 0)
        ticket = make_ticket()
        building_id, name, number = building.id, building.name_zh, ticket.number
        repair = ticket.service_id
    admin = sign_in(app, "admin-hq")
    post(admin, f"/staff/admin/org/buildings/{building_id}/retire")
    resident = app.test_client()
    resident.get("/kiosk/community/HQ")
    assert f'<option value="{building_id}"' not in text(resident.get(f"/kiosk/services/{repair}/request"))
    queue = text(sign_in(app, "staff-hq").get(f"/staff/?q={number}"))
    assert number in queue
    post(admin, f"/staff/admin/org/buildings/{building_id}/restore")
    assert f'<option value="{building_id}"' in text(resident.get(f"/kiosk/services/{repair}/request"))
    assert name in text(resident.get(f"/kiosk/services/{repair}/request"))


def test_a_grid_with_buildings_is_not_retired_and_posts_are_given_from_the_grid(app):
    admin = sign_in(app, "admin-district")
    hq = ids(app, Area, code="HQ")
    g3 = ids(app, Grid, community_id=hq, code="G3")
    refused = post(admin, f"/staff/admin/org/grids/{g3}/retire")
    assert refused.status_code == 409
    with app.app_context():
        assert db.session.get(Grid, g3).active
        worker, level = staff("grid-hq1").id, db.session.scalar(db.select(GridLevel.id).filter_by(code="worker"))
    assert post(admin, f"/staff/admin/org/grids/{g3}/posts", staff_id=str(worker), level_id=str(level)).status_code == 303
    assert 'data-post="grid-hq1"' in text(admin.get(f"/staff/admin/org/grids/{g3}"))
    with app.app_context():
        assert db.session.get(StaffGrid, (worker, g3)) is not None
    post(admin, f"/staff/admin/org/grids/{g3}/posts/{worker}/remove")
    with app.app_context():
        assert db.session.get(StaffGrid, (worker, g3)) is None


def test_the_grid_ladder_is_data_the_district_admin_edits(app):
    admin = sign_in(app, "admin-district")
    leader = ids(app, GridLevel, code="leader")
    assert post(admin, f"/staff/admin/org/ladder/{leader}", name_zh="网格长（片长）", name_en="Grid leader",
                rank="2").status_code == 303
    assert post(admin, "/staff/admin/org/ladder", code="helper", name_zh="网格协管员", rank="6").status_code == 303
    bad = post(admin, "/staff/admin/org/ladder", code="x", name_zh="", rank="0")
    assert bad.status_code == 422
    page = text(admin.get("/staff/admin/org/ladder"))
    assert "网格长（片长）" in page and 'data-level="helper"' in page
    community_admin = sign_in(app, "admin-hq")
    assert post(community_admin, "/staff/admin/org/ladder", code="other", name_zh="其他", rank="7").status_code == 403


def test_a_district_day_off_moves_the_deadlines_of_requests_handed_in_afterwards(app):
    from datetime import date, datetime, timezone

    from kiosk_app.services import workdays

    friday = datetime(2031, 3, 7, 10, tzinfo=timezone.utc)  # a year the national calendar does not know
    with app.app_context():
        assert workdays.due_date_for(friday, 1) == date(2031, 3, 10)  # Monday
    admin = sign_in(app, "admin-district")
    assert post(admin, "/staff/admin/calendar", day="2031-03-10", workday="0", note="区级调休").status_code == 303
    assert post(admin, "/staff/admin/calendar", day="2031-03-15", workday="1", note="调休上班").status_code == 303
    with app.app_context():
        assert workdays.due_date_for(friday, 1) == date(2031, 3, 11)
        assert workdays.due_date_for(friday, 5) == date(2031, 3, 15)  # the Saturday is worked
        assert [e.action for e in db.session.scalars(audited_changes().filter_by(entity="calendar"))] == \
            ["create", "create"]
    assert 'data-day="2031-03-10"' in text(admin.get("/staff/admin/calendar"))
    bad = post(admin, "/staff/admin/calendar", day="not-a-day", workday="maybe")
    assert bad.status_code == 422 and 'id="err-day"' in text(bad) and 'id="err-workday"' in text(bad)
    post(admin, "/staff/admin/calendar/2031-03-10/remove")
    with app.app_context():
        assert workdays.due_date_for(friday, 1) == date(2031, 3, 10)
    assert post(sign_in(app, "admin-hq"), "/staff/admin/calendar", day="2031-03-12", workday="0").status_code == 403
