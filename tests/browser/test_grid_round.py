"""A grid worker's round on a phone: a household due for a visit, the visit recorded in one tap, the
grid plan's building changing colour; an admin puts a site plan behind the plan and drags a building
to its place on it."""

from __future__ import annotations

from kiosk_app.services import archive

from ..helpers import building_of, staff
from .pages import fits, staff_sign_in

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_grid_worker_records_a_visit_on_the_round_and_the_plan_follows(app, live_server, new_page, shot):
    with app.app_context():
        archive.create_household(staff("admin-hq"), building_of("HQ", 0).id, {
            "unit": "1", "room": "301", "name": "张桂兰", "birth_date": "1941-05-02", "mobile": "13912345678",
            "tags": ["lives_alone"], "basis": "consent", "basis_on": "2026-11-20"})
    phone = new_page(**PHONE)
    staff_sign_in(phone, "grid-hq1", then="/staff/archive/round")
    item = phone.locator("#round-not-visited li[data-household]")
    assert item.count() == 1 and "张*兰" in item.inner_text() and "从未走访" in item.inner_text()
    building = phone.locator("g.plan-building[data-building='B01']")
    assert "heat-some" in building.get_attribute("class")
    assert fits(phone)  # no sideways scrolling
    shot(phone, "01-round")
    with phone.expect_navigation():
        item.get_by_role("button", name="今日已走访，一切正常").tap()
    assert phone.locator("#round-not-visited li[data-household]").count() == 0
    assert "heat-none" in phone.locator("g.plan-building[data-building='B01']").get_attribute("class")
    assert "走访记录已保存" in phone.locator(".flash").inner_text()
    shot(phone, "02-visited")


def test_an_admin_puts_a_site_plan_behind_the_plan_and_drags_a_building_onto_it(app, live_server, new_page, shot,
                                                                                tmp_path):
    from PIL import Image, ImageDraw

    from kiosk_app.extensions import db
    from kiosk_app.models import Building, Grid

    with app.app_context():
        building = building_of("HQ", 0)
        grid_id, building_id = building.grid_id, building.id
        assert db.session.get(Grid, grid_id) is not None
    desk = new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(desk, "admin-hq", then=f"/staff/archive/grids/{grid_id}/plan")
    drawing = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(drawing).rectangle((150, 100, 350, 250), outline="black", width=6)  # a courtyard's block
    drawing.save(tmp_path / "site-plan.png")
    desk.set_input_files("#f-site-plan", tmp_path / "site-plan.png")
    with desk.expect_response(lambda response: "/site-plan?" in response.url) as picture:
        with desk.expect_navigation():
            desk.get_by_role("button", name="上传").click()
    assert picture.value.status == 200 and picture.value.headers["content-type"] == "image/png"
    assert "总平面图已保存" in desk.locator(".flash").inner_text()
    assert desk.locator("svg.plan image.plan-site").count() == 1
    desk.locator("svg.plan").scroll_into_view_if_needed()
    target = desk.locator("g.plan-building[data-building='B01'] rect")
    box = target.bounding_box()
    plan = desk.locator("svg.plan").bounding_box()
    desk.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    desk.mouse.down()
    desk.mouse.move(plan["x"] + plan["width"] * 0.3, plan["y"] + plan["height"] * 0.25, steps=8)
    desk.mouse.up()
    desk.locator("g.plan-building[data-building='B01'][data-placed]").wait_for(state="attached")
    assert desk.url.endswith("/plan")  # the drag did not open the register
    with app.app_context():
        placed = db.session.get(Building, building_id)
        assert 250 <= placed.plan_x <= 350 and 200 <= placed.plan_y <= 300
    desk.reload()
    assert "translate(" in desk.locator("g.plan-building[data-building='B01']").get_attribute("transform")
    shot(desk, "03-plan")


def test_a_file_shown_in_full_is_corrected_on_a_phone(app, live_server, new_page, shot):
    with app.app_context():
        household = archive.create_household(staff("admin-hq"), building_of("HQ", 0).id, {
            "unit": "1", "room": "302", "name": "王建国", "birth_date": "1950-01-02", "mobile": "13912340000",
            "tags": [], "basis": "consent", "basis_on": "2026-11-20"})
        child = archive.add_member(staff("admin-hq"), household.id, {"name": "王小红", "relation": "child",
                                                                      "birth_date": "1980-03-04"})
        household_id, child_id = household.id, child.id
    phone = new_page(**PHONE)
    staff_sign_in(phone, "grid-hq1", then=f"/staff/archive/households/{household_id}")
    assert phone.locator("#correct-members").count() == 0  # masked: nothing to correct yet
    with phone.expect_navigation():
        phone.get_by_role("button", name="显示姓名和号码（查看将被记录）").tap()
    phone.locator(f"#member-{child_id} summary").tap()
    phone.fill(f"#m{child_id}-mobile", "13912341111")
    shot(phone, "04-correcting")
    with phone.expect_navigation():
        phone.locator(f"#member-{child_id}").get_by_role("button", name="保存更正").tap()
    assert "成员信息已更正" in phone.locator(".flash").inner_text()
    assert "139****1111" in phone.locator("table.members").inner_text()
    with phone.expect_navigation():
        phone.get_by_role("button", name="显示姓名和号码（查看将被记录）").tap()
    phone.locator(f"#member-{child_id} summary").tap()
    phone.fill(f"#m{child_id}-left", "2026-11-30")
    with phone.expect_navigation():
        phone.get_by_role("button", name="登记该成员迁出").tap()
    assert "2026-11-30" in phone.locator(f"tr[data-member='{child_id}']").inner_text()
    assert fits(phone)
    shot(phone, "05-left")
