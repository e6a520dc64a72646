"""The archive's pages: the overview, a building's register, a household's file, for each role."""

import io
import re

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, Household

from ..helpers import building_of, csrf_token, make_ticket, sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


def members(page: str) -> str:
    """The file's table of members (the forms below it name every tag)."""
    return re.search(r'<table class="queue members">.*?</table>', page, re.S).group(0)


HEAD = {"unit": "1", "room": "502", "name": "刘秀英", "birth_date": "1943-02-11", "mobile": "13811112222",
        "id_number": "", "tags": ["lives_alone", "chronic_illness"], "basis": "consent", "basis_on": "2026-11-02"}


def new_household(app, client, building_index=0, **changes) -> int:
    with app.app_context():
        building_id = building_of("HQ", building_index).id
    response = client.post(f"/staff/archive/buildings/{building_id}/households",
                           data={**HEAD, **changes, "csrf_token": csrf_token(client, "/staff/archive/")})
    assert response.status_code == 303, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_community_admin_makes_a_file_and_reads_it_masked_then_in_full(app):
    admin = sign_in(app, "admin-hq")
    overview = text(admin.get("/staff/archive/"))
    assert "第一网格" in overview and 'data-building="B01"' in overview
    with app.app_context():
        building_id = building_of("HQ", 0).id
    refused = admin.post(f"/staff/archive/buildings/{building_id}/households",
                         data={**HEAD, "name": "", "mobile": "123", "room": "", "csrf_token": csrf_token(admin, "/staff/archive/")})
    assert refused.status_code == 422
    assert "请输入您的姓名" in text(refused) or "name" in text(refused)
    household_id = new_household(app, admin)
    page = text(admin.get(f"/staff/archive/households/{household_id}"))
    assert "刘*英" in page and "138****2222" in page and "刘秀英" not in page
    assert "独居老人" in members(page) and "慢性病" not in members(page)
    full = text(admin.post(f"/staff/archive/households/{household_id}/reveal",
                           data={"csrf_token": csrf_token(admin, "/staff/archive/")}))
    assert "刘秀英" in full and "13811112222" in full and "慢性病" in members(full) and 'id="revealed"' in full
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).filter_by(
            entity="household", entity_id=household_id, action="view_personal_data")) == 1
    register = text(admin.get(f"/staff/archive/buildings/{building_id}?tag=lives_alone&age=80"))
    assert f'data-household="{household_id}"' in register and "1-502" in register
    none_younger = text(admin.get(f"/staff/archive/buildings/{building_id}?tag=lives_alone&age=95"))
    assert f'data-household="{household_id}"' not in none_younger


def test_visits_members_and_tickets_on_the_file(app):
    admin = sign_in(app, "admin-hq")
    household_id = new_household(app, admin)
    token = csrf_token(admin, "/staff/archive/")
    visit = admin.post(f"/staff/archive/households/{household_id}/visits",
                       data={"csrf_token": token, "found": "身体尚好，需要代购药品", "follow_up_due": "2026-12-20"})
    assert visit.status_code == 303
    empty = admin.post(f"/staff/archive/households/{household_id}/visits", data={"csrf_token": token, "found": ""})
    assert empty.status_code == 422
    member = admin.post(f"/staff/archive/households/{household_id}/members",
                        data={"csrf_token": token, "name": "王小明", "relation": "grandchild", "birth_date": "2014-06-01"})
    assert member.status_code == 303
    with app.app_context():
        ticket = make_ticket(mobile="13811112222")
        number = ticket.number
    page = text(admin.get(f"/staff/archive/households/{household_id}"))
    assert "身体尚好" not in page and "王*明" in page and f'data-ticket="{number}"' in page  # findings: shown with names
    assert "身体尚好" in text(admin.post(f"/staff/archive/households/{household_id}/reveal", data={"csrf_token": token}))
    unlinked = admin.post(f"/staff/archive/households/{household_id}/tickets",
                          data={"csrf_token": token, "number": number, "linked": "0"})
    assert unlinked.status_code == 303
    assert f'data-ticket="{number}"' not in text(admin.get(f"/staff/archive/households/{household_id}"))
    unknown = admin.post(f"/staff/archive/households/{household_id}/tickets",
                         data={"csrf_token": token, "number": "XX-000000-001"})
    assert unknown.status_code == 422


def test_who_opens_what(app):
    admin = sign_in(app, "admin-hq")
    in_g1, in_g2 = new_household(app, admin, 0), new_household(app, admin, 3, mobile="13811113333")
    for username, opens in (("grid-hq1", {in_g1}), ("grid-hq2", {in_g2}), ("building-hq4", {in_g2}),
                            ("staff-hq", {in_g1, in_g2}), ("staff-xj", set()), ("admin-district", set())):
        client = sign_in(app, username)
        for household_id in (in_g1, in_g2):
            response = client.get(f"/staff/archive/households/{household_id}")
            assert response.status_code == (200 if household_id in opens else 404), (username, household_id)
            if household_id not in opens:
                assert "刘" not in text(response)
    district = text(sign_in(app, "admin-district").get("/staff/archive/"))
    assert 'id="counts-only"' in district and "/staff/archive/households/" not in district
    assert re.search(r'data-building="B01">\s*<td>1号楼</td>\s*<td>1</td>', district)
    assert sign_in(app, "volunteer-hq").get("/staff/archive/").status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Household.id))) == 2


def test_a_grid_workers_round_shows_what_is_due_and_takes_a_visit_in_one_tap(app):
    admin = sign_in(app, "admin-hq")
    alone = new_household(app, admin, 0)  # grid G1, lives alone, never visited
    followed = new_household(app, admin, 1, mobile="13811114444", tags=[])
    elsewhere = new_household(app, admin, 3, mobile="13811115555")  # grid G2
    worker = sign_in(app, "grid-hq1")
    token = csrf_token(worker, "/staff/archive/")
    worker.post(f"/staff/archive/households/{followed}/visits",
                data={"csrf_token": token, "found": "需要申请助餐", "follow_up_due": "2026-01-05"})
    with app.app_context():
        ticket_number = make_ticket(mobile="13811119999").number  # an open request of grid G1
    page = text(worker.get("/staff/archive/round"))
    due = re.search(r'id="round-due">.*?</ul>', page, re.S).group(0)
    stale = re.search(r'id="round-not-visited">.*?</ul>', page, re.S).group(0)
    assert f'data-household="{followed}"' in due and "badge bad" in due
    assert f'data-household="{alone}"' in stale and "从未走访" in stale
    assert f'data-household="{elsewhere}"' not in page and f'data-ticket="{ticket_number}"' in page
    visited = worker.post(f"/staff/archive/households/{alone}/visited", data={"csrf_token": token})
    assert visited.status_code == 303
    visit_id = int(re.search(r'/staff/archive/visits/(\d+)/done', due).group(1))
    assert worker.post(f"/staff/archive/visits/{visit_id}/done", data={"csrf_token": token}).status_code == 303
    page = text(worker.get("/staff/archive/round"))
    assert f'data-household="{alone}"' not in re.search(r'id="round-not-visited">.*?</ul>', page, re.S).group(0)
    assert f'data-household="{followed}"' not in re.search(r'id="round-due">.*?</ul>', page, re.S).group(0)
    assert "已走访，一切正常。" in text(worker.post(f"/staff/archive/households/{alone}/reveal", data={"csrf_token": token}))
    # another grid's household and visit are not this worker's to touch
    other = sign_in(app, "grid-hq2")
    other_token = csrf_token(other, "/staff/archive/")
    assert other.post(f"/staff/archive/households/{alone}/visited", data={"csrf_token": other_token}).status_code == 404
    assert other.post(f"/staff/archive/visits/{visit_id}/done", data={"csrf_token": other_token}).status_code == 404


def plan_building(page: str, code: str) -> str:
    return re.search(rf'<g class="plan-building[^"]*" data-building="{code}".*?</g>', page, re.S).group(0)


def test_the_grid_plan_colours_buildings_and_an_admin_places_them(app):
    admin = sign_in(app, "admin-hq")
    new_household(app, admin, 0)  # B01 of grid G1: lives alone, never visited
    with app.app_context():
        from kiosk_app.models import Grid

        from ..helpers import community
        grid_id = db.session.scalar(db.select(Grid.id).filter_by(community_id=community("HQ").id, code="G1"))
        building_id = building_of("HQ", 0).id
    page = text(admin.get(f"/staff/archive/grids/{grid_id}/plan"))
    assert 'data-count="1"' in plan_building(page, "B01") and "heat-some" in plan_building(page, "B01")
    assert "heat-none" in plan_building(page, "B02") and "data-draggable" in page
    token = csrf_token(admin, "/staff/archive/")
    placed = admin.post(f"/staff/archive/buildings/{building_id}/place", data={"csrf_token": token, "x": "250", "y": "300"})
    assert placed.status_code == 303
    assert 'transform="translate(250,300)"' in plan_building(text(admin.get(f"/staff/archive/grids/{grid_id}/plan")), "B01")
    dropped = admin.post(f"/staff/archive/buildings/{building_id}/place",
                         data={"csrf_token": token, "x": "400", "y": "410"}, headers={"HX-Request": "true"})
    assert dropped.status_code == 204
    assert admin.post(f"/staff/archive/buildings/{building_id}/place",
                      data={"csrf_token": token, "x": "2000", "y": "-1"}).status_code == 422
    open_layer = text(admin.get(f"/staff/archive/grids/{grid_id}/plan?layer=open"))
    assert "data-count" in open_layer
    worker = sign_in(app, "grid-hq1")
    assert "data-draggable" not in text(worker.get(f"/staff/archive/grids/{grid_id}/plan"))
    assert worker.post(f"/staff/archive/buildings/{building_id}/place",
                       data={"csrf_token": csrf_token(worker, "/staff/archive/"), "x": "1", "y": "1"}).status_code == 403
    assert sign_in(app, "grid-hq2").get(f"/staff/archive/grids/{grid_id}/plan").status_code == 404
    district = sign_in(app, "admin-district").get(f"/staff/archive/grids/{grid_id}/plan")
    assert district.status_code == 200 and 'data-count="1"' in plan_building(text(district), "B01")
    # the worker's round shows the plan; a visit takes the building back to "none"
    round_page = text(worker.get("/staff/archive/round"))
    assert "heat-some" in plan_building(round_page, "B01")
    household_id = int(re.search(r'data-household="(\d+)"', round_page).group(1))
    worker.post(f"/staff/archive/households/{household_id}/visited", data={"csrf_token": csrf_token(worker, "/staff/archive/")})
    assert "heat-none" in plan_building(text(worker.get("/staff/archive/round")), "B01")


def test_a_community_admin_imports_an_archive_from_a_spreadsheet(app):
    import io

    from kiosk_app.services.admin.household_sheet import COLUMNS

    lines = [",".join(COLUMNS),
             "B01,1,101,户主,赵玉兰,1938-04-01,,13700001111,独居老人,书面同意,2026-10-01,,",
             "B01,1,101,配偶,钱建国,1936-02-02,,,,,,,",
             "B02,1,201,子女,孙小明,,,,,,,,"]

    def upload(client, action, rows):
        data = ("\ufeff" + "\r\n".join([lines[0], *rows]) + "\r\n").encode()
        return client.post("/staff/archive/import", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/staff/archive/"), "action": action, "file": (io.BytesIO(data), "a.csv")})

    admin = sign_in(app, "admin-hq")
    assert 'id="import-link"' in text(admin.get("/staff/archive/"))
    page = admin.get("/staff/archive/import")
    assert page.status_code == 200 and "/staff/archive/template.xlsx" in text(page)
    refused = upload(admin, "check", lines[1:])
    assert refused.status_code == 422 and 'data-line="4"' in text(refused) and "户主" in text(refused)
    checked = upload(admin, "check", lines[1:3])
    assert checked.status_code == 200 and "赵*兰" in text(checked) and 'id="would"' in text(checked)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Household.id))) == 0
    imported = upload(admin, "import", lines[1:3])
    assert imported.status_code == 200 and 'id="imported"' in text(imported)
    exported = admin.get("/staff/archive/export.csv").get_data(as_text=True)
    assert "赵*兰" in exported and "13700001111" not in exported
    for username in ("grid-hq1", "admin-district", "staff-hq"):
        assert sign_in(app, username).get("/staff/archive/import").status_code == 403


def test_the_district_keeps_the_list_of_tags(app):
    from kiosk_app.models import Tag

    district = sign_in(app, "admin-district")
    token = csrf_token(district, "/staff/")
    page = text(district.get("/staff/admin/org/tags"))
    assert 'data-tag="dibao"' in page and 'id="new-tag"' in page
    made = district.post("/staff/admin/org/tags", data={"csrf_token": token, "code": "pregnant", "name_zh": "孕产妇",
                                                         "position": "20", "sensitive": "1"})
    assert made.status_code == 303
    taken = district.post("/staff/admin/org/tags", data={"csrf_token": token, "code": "pregnant", "name_zh": "重复"})
    assert taken.status_code == 422
    with app.app_context():
        tag = db.session.scalar(db.select(Tag).filter_by(code="pregnant"))
        veteran_id = db.session.scalar(db.select(Tag.id).filter_by(code="veteran"))
        assert tag.sensitive and tag.active and tag.position == 20
    # renamed and no longer offered; its kind stays as it was made
    district.post(f"/staff/admin/org/tags/{veteran_id}", data={"csrf_token": token, "name_zh": "退役军人",
                                                                "position": "7", "sensitive": "1"})
    with app.app_context():
        veteran = db.session.get(Tag, veteran_id)
        assert not veteran.active and not veteran.sensitive
    admin = sign_in(app, "admin-hq")
    form = text(admin.get(f"/staff/archive/buildings/{new_household_building(app)}"))
    assert 'value="pregnant"' in form and 'value="veteran"' not in form
    assert 'id="new-tag"' not in text(admin.get("/staff/admin/org/tags"))
    assert admin.post("/staff/admin/org/tags", data={"csrf_token": csrf_token(admin, "/staff/"), "code": "x1",
                                                      "name_zh": "某"}).status_code == 403


def new_household_building(app) -> int:
    with app.app_context():
        return building_of("HQ", 0).id


def test_the_archives_figures_page(app):
    admin = sign_in(app, "admin-hq")
    new_household(app, admin, 0)
    page = text(admin.get("/staff/archive/figures"))
    assert 'data-figure="households">1<' in page and 'data-tag="lives_alone">1<' in page
    assert 'data-tag="chronic_illness">1<' in page  # a sensitive tag, counted for a community admin
    district = text(sign_in(app, "admin-district").get("/staff/archive/figures?from=2026-01-01&to=2026-12-31"))
    assert 'data-figure="households">1<' in district and 'data-tag="chronic_illness"' not in district
    assert sign_in(app, "volunteer-hq").get("/staff/archive/figures").status_code == 403


def test_a_file_is_corrected_from_its_unmasked_page(app):
    admin = sign_in(app, "admin-hq")
    household_id = new_household(app, admin)
    token = csrf_token(admin, "/staff/archive/")
    masked = text(admin.get(f"/staff/archive/households/{household_id}"))
    assert 'id="correct-members"' not in masked and 'id="file-details"' not in masked  # forms only unmasked
    full = text(admin.post(f"/staff/archive/households/{household_id}/reveal", data={"csrf_token": token}))
    with app.app_context():
        head = db.session.get(Household, household_id).members[0]
        head_id = head.id
    assert f'id="m{head_id}-name"' in full and 'value="刘秀英"' in full and 'value="chronic_illness" checked' in full
    # a refused correction: the unmasked page again (recorded), the member's form open with the message
    refused = admin.post(f"/staff/archive/members/{head_id}",
                         data={**HEAD, "relation": "head", "mobile": "12345", "member_id": head_id, "csrf_token": token})
    assert refused.status_code == 422
    page = text(refused)
    assert f'<details class="member-correction" id="member-{head_id}" open>' in page and 'value="12345"' in page
    assert page.count('class="field-error"') == 1
    done = admin.post(f"/staff/archive/members/{head_id}",
                      data={**HEAD, "relation": "head", "mobile": "13811113333", "member_id": head_id, "csrf_token": token})
    assert done.status_code == 303
    notes = admin.post(f"/staff/archive/households/{household_id}/details",
                       data={"basis": "consent", "basis_on": "2026-11-02", "notes": "腿脚不便\n请敲门大声", "csrf_token": token})
    assert notes.status_code == 303
    full = text(admin.post(f"/staff/archive/households/{household_id}/reveal", data={"csrf_token": token}))
    assert "13811113333" in full and '<dd id="household-notes" class="pre-line">腿脚不便\n请敲门大声</dd>' in full
    assert "腿脚不便" not in text(admin.get(f"/staff/archive/households/{household_id}"))
    # someone outside the file's grid: as if the member did not exist
    other = sign_in(app, "grid-hq2")
    assert other.post(f"/staff/archive/members/{head_id}",
                      data={**HEAD, "csrf_token": csrf_token(other, "/staff/archive/")}).status_code == 404
    assert other.post(f"/staff/archive/members/{head_id}/left",
                      data={"left_on": "2026-10-01", "csrf_token": csrf_token(other, "/staff/archive/")}).status_code == 404


def picture(kind: str = "PNG", size=(400, 300), **save) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 220, 200)).save(out, kind, **save)
    return out.getvalue()


def claims_pixels(png: bytes, width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` × ``height`` pixels (a "decompression bomb")."""
    import struct
    import zlib

    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


def test_an_admin_puts_a_site_plan_behind_the_grid_plan_and_it_keeps_only_pixels(app):
    from PIL import Image

    with app.app_context():
        grid_id = building_of("HQ", 0).grid_id
    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/archive/")
    assert "<image" not in text(admin.get(f"/staff/archive/grids/{grid_id}/plan"))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # (a camera's make: what a photo carries, with its GPS place)
    photo = picture("JPEG", (3000, 1500), exif=exif.tobytes())
    saved = admin.post(f"/staff/archive/grids/{grid_id}/site-plan", content_type="multipart/form-data",
                       data={"csrf_token": token, "action": "upload", "file": (io.BytesIO(photo), "plan.jpg")})
    assert saved.status_code == 303
    page = text(admin.get(f"/staff/archive/grids/{grid_id}/plan"))
    address = re.search(r'<image class="plan-site" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    served = admin.get(address)
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and b"PhoneMaker" not in served.data
    assert Image.open(io.BytesIO(served.data)).size == (2000, 1000)
    # the grid's worker sees it; a worker of another grid, and anyone signed out, do not
    assert sign_in(app, "grid-hq1").get(address).status_code == 200
    assert sign_in(app, "grid-hq2").get(address).status_code == 404
    # not an image, an image in another format, too many pixels: refused with a message, the plan kept
    for name, data in (("plan.png", b"<svg onload=alert(1)>"), ("plan.gif", picture("GIF")),
                       ("plan.png", claims_pixels(picture("PNG", (1, 1)), 9_000, 9_000))):
        refused = admin.post(f"/staff/archive/grids/{grid_id}/site-plan", content_type="multipart/form-data",
                             data={"csrf_token": token, "file": (io.BytesIO(data), name)})
        assert refused.status_code == 422 and 'class="field-error"' in text(refused), name
    assert admin.get(address).status_code == 200
    # only an admin places a site plan
    worker = sign_in(app, "grid-hq1")
    assert worker.post(f"/staff/archive/grids/{grid_id}/site-plan", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(worker, "/staff/archive/"),
                             "file": (io.BytesIO(picture()), "plan.png")}).status_code == 403
    assert admin.post(f"/staff/archive/grids/{grid_id}/site-plan",
                      data={"csrf_token": token, "action": "remove"}).status_code == 303
    assert admin.get(address).status_code == 404
