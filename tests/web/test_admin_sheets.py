"""Accounts and the catalogue as spreadsheets (/staff/admin/accounts/import, /staff/admin/catalogue/import):
export, template, dry run, import, and the sheets an office gets wrong."""

import csv
import io
import re

from openpyxl import load_workbook
from werkzeug.security import check_password_hash

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, CommunityService, Service, ServiceCategory, Staff, StaffGrid
from kiosk_app.services.admin.account_sheet import COLUMNS as ACCOUNT_COLUMNS
from kiosk_app.services.admin.catalogue_sheet import COLUMNS as CATALOGUE_COLUMNS

from ..helpers import audited_changes, community, sign_in
from .test_admin_import import csv_bytes, text, upload, xlsx


def accounts(rows):
    return xlsx(rows, header=ACCOUNT_COLUMNS)


def snapshot(app, model):
    with app.app_context():
        return sorted(map(repr, (tuple(getattr(row, c.key) for c in model.__table__.columns)
                                 for row in db.session.scalars(db.select(model)))))


NEW_ACCOUNTS = [
    ["zhang.san", "张三", "community_staff", "HQ", "", ""],
    ["li.si", "李四", "网格员", "", "", ""],  # a role by its name; no area: refused (a new account needs one)
]


# ---------------------------------------------------------------- accounts

def test_new_accounts_get_one_time_passwords_shown_once_after_the_import(app):
    admin = sign_in(app, "admin-hq")
    rows = [["zhang.san", "张三", "community_staff", "HQ", "", ""],
            ["li.si", "李四", "Grid worker", "hq", "G1:worker G2:网格长", ""],
            ["wang.wu", "王五", "volunteer", "HQ", "", "0"]]
    check = upload(admin, accounts(rows), sheet="accounts")
    page = text(check)
    assert check.status_code == 200, page
    assert "新建账号 zhang.san" in page and 'id="passwords"' not in page
    with app.app_context():
        assert db.session.scalar(db.select(Staff).filter_by(username="zhang.san")) is None
    done = upload(admin, accounts(rows), sheet="accounts", action="import")
    page = text(done)
    assert done.status_code == 200 and 'id="passwords"' in page
    passwords = dict(re.findall(r"<tr><td>([a-z.]+)</td><td>[^<]*</td><td><code class=\"one-time\">([^<]+)</code>",
                                page))
    assert set(passwords) == {"zhang.san", "li.si", "wang.wu"}
    with app.app_context():
        li = db.session.scalar(db.select(Staff).filter_by(username="li.si"))
        assert li.role.value == "grid_worker" and li.area.code == "HQ" and li.must_change_password
        assert check_password_hash(li.password_hash, passwords["li.si"])
        assert sorted((p.grid.code, p.level.code) for p in li.grid_posts) == [("G1", "worker"), ("G2", "leader")]
        assert not db.session.scalar(db.select(Staff).filter_by(username="wang.wu")).active
        created = db.session.scalars(audited_changes().filter_by(entity="staff", action="create")).all()
        assert {e.entity_name for e in created} == {"zhang.san", "li.si", "wang.wu"}
    # The new account signs in with its one-time password and must choose its own.
    first = sign_in(app, "li.si", password=passwords["li.si"])
    assert "/password" in first.get("/staff/").headers.get("Location", "")
    # The export lists them (never a password) and reads back as no change at all.
    exported = admin.get("/staff/admin/accounts/export.xlsx")
    sheet = [list(r) for r in load_workbook(io.BytesIO(exported.data)).active.iter_rows(values_only=True)]
    assert sheet[0] == [*ACCOUNT_COLUMNS, "last_sign_in"]
    li_row = next(r for r in sheet if r[0] == "li.si")
    assert li_row[2:6] == ["grid_worker", "HQ", "G1:worker G2:leader", "1"]
    assert not any(passwords["li.si"] in str(cell) for row in sheet for cell in row)
    assert "staff-xj" not in {r[0] for r in sheet}  # another community's accounts are not the admin's
    again = upload(admin, exported.data, sheet="accounts", action="import")
    assert again.status_code == 200 and "已导入：共 0 处更改" in text(again)


def test_changing_accounts_from_a_sheet_empty_cells_keep_what_is_there(app):
    admin = sign_in(app, "admin-hq")
    rows = [["grid-hq1", "", "", "", "G3:building-head", ""], ["volunteer-hq", "赵小志", "", "", "", "0"],
            ["staff-hq", "", "", "", "-", ""]]
    done = upload(admin, accounts(rows), sheet="accounts", action="import")
    assert done.status_code == 200, text(done)
    with app.app_context():
        grid = db.session.scalar(db.select(Staff).filter_by(username="grid-hq1"))
        assert grid.display_name == "李网格员" and grid.role.value == "grid_worker"
        assert [(p.grid.code, p.level.code) for p in grid.grid_posts] == [("G3", "building-head")]
        volunteer = db.session.scalar(db.select(Staff).filter_by(username="volunteer-hq"))
        assert volunteer.display_name == "赵小志" and not volunteer.active
        assert db.session.scalar(audited_changes().filter_by(entity="staff", action="disable")) is not None


def test_an_account_sheet_with_mistakes_is_refused_row_by_row_and_nothing_is_written(app):
    admin = sign_in(app, "admin-hq")
    before = snapshot(app, Staff), snapshot(app, StaffGrid)
    rows = [["ok.one", "好一", "community_staff", "HQ", "", ""],
            ["staff-xj", "刘社工", "community_staff", "HQ", "", ""],  # another community's account
            ["bad name!", "坏", "community_staff", "HQ", "", ""],
            ["boss", "老板", "district_admin", "WB", "", ""],  # a role the community admin may not give
            ["ok.one", "好一", "community_staff", "HQ", "", ""],  # twice
            ["posts", "网格", "grid_worker", "HQ", "G9:worker", ""],  # unknown grid
            ["maybe", "也许", "volunteer", "HQ", "", "perhaps"],
            ["nobody", "", "", "HQ", "", ""]]
    response = upload(admin, accounts(rows), sheet="accounts", action="import")
    page = text(response)
    assert response.status_code == 422 and 'id="refused"' in page
    refused = set(re.findall(r'data-line="(\d+)" class="overdue"', page))
    assert refused == {"3", "4", "5", "6", "7", "8", "9"}, refused
    assert "用户名已被占用" in page  # the other community's account is not revealed as such
    assert snapshot(app, Staff) == before[0] and snapshot(app, StaffGrid) == before[1]
    with app.app_context():
        assert db.session.scalar(audited_changes(AuditEvent.id).limit(1)) is None


def test_roles_that_do_not_administer_accounts_get_no_sheet(app):
    for username in ("staff-hq", "volunteer-hq"):
        client = sign_in(app, username)
        assert client.get("/staff/admin/accounts/import").status_code == 403
        assert client.get("/staff/admin/accounts/export.csv").status_code == 403
    hq = sign_in(app, "admin-hq")
    assert hq.get("/staff/admin/catalogue/import").status_code == 403
    assert hq.get("/staff/admin/catalogue/export.xlsx").status_code == 403


# ---------------------------------------------------------------- the catalogue

def catalogue_row(**values):
    return [values.get(column, "") for column in CATALOGUE_COLUMNS]


def test_a_catalogue_sheet_creates_items_and_categories_that_the_kiosk_shows(app, client):
    admin = sign_in(app, "admin-district")
    rows = [catalogue_row(category_code="pets", category_name_zh="宠物", category_name_en="Pets", code="dog-licence",
                          name_zh="犬只登记", name_en="Dog licence", kind="request", deadline_days="7",
                          needs_id_number="1", papers_in_locker="是", papers_size="S", summary_zh="养犬需登记",
                          communities="HQ"),
            catalogue_row(category_code="pets", code="pet-advice", name_zh="宠物咨询", kind="guidance",
                          guidance_zh="请到区农业农村局咨询", communities="*")]
    check = upload(admin, xlsx(rows, header=CATALOGUE_COLUMNS), sheet="catalogue")
    assert check.status_code == 200 and "新建事项 dog-licence 犬只登记" in text(check), text(check)
    with app.app_context():
        assert db.session.scalar(db.select(Service).filter_by(code="dog-licence")) is None
    done = upload(admin, xlsx(rows, header=CATALOGUE_COLUMNS), sheet="catalogue", action="import")
    assert done.status_code == 200, text(done)
    with app.app_context():
        dog = db.session.scalar(db.select(Service).filter_by(code="dog-licence"))
        assert dog.category.code == "pets" and dog.deadline_days == 7 and dog.needs_id_number
        assert dog.papers_in_locker and dog.papers_size.value == "S"
        offered = {c.community_id for c in db.session.scalars(db.select(CommunityService).filter_by(service_id=dog.id))}
        assert offered == {community("HQ").id}
        advice = db.session.scalar(db.select(Service).filter_by(code="pet-advice"))
        assert advice.guidance_only and not advice.needs_paperwork
    client.get("/kiosk/community/HQ")
    assert "犬只登记" in text(client.get("/kiosk/"))
    client.get("/kiosk/community/XJ")
    page = text(client.get("/kiosk/"))
    assert "犬只登记" not in page and "宠物咨询" in page


def test_the_catalogue_export_reads_back_as_no_change_and_a_sheet_can_retire_an_item(app):
    admin = sign_in(app, "admin-district")
    exported = admin.get("/staff/admin/catalogue/export.csv")
    assert exported.status_code == 200 and exported.data.startswith("\ufeff".encode())
    assert exported.data.decode("utf-8-sig").splitlines()[0] == ",".join(CATALOGUE_COLUMNS)
    events = snapshot(app, AuditEvent)
    same = upload(admin, exported.data, name="catalogue.csv", sheet="catalogue", action="import")
    assert same.status_code == 200 and "已导入：共 0 处更改" in text(same), text(same)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == len(events) + 1  # the import
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    permit = next(row for row in rows if row[3] == "residence-permit")
    permit[4], permit[-2] = "居住证办理", "0"  # renamed, and retired
    done = upload(admin, csv_bytes(rows[1:], header=rows[0]), name="c.csv", sheet="catalogue", action="import")
    page = text(done)
    assert done.status_code == 200 and "已导入：共 2 处更改" in page, page
    with app.app_context():
        permit = db.session.scalar(db.select(Service).filter_by(code="residence-permit"))
        assert permit.name_zh == "居住证办理" and not permit.active


def test_a_catalogue_sheet_with_mistakes_writes_nothing(app):
    admin = sign_in(app, "admin-district")
    before = snapshot(app, Service), snapshot(app, ServiceCategory), snapshot(app, CommunityService)
    rows = [catalogue_row(category_code="pets", category_name_zh="宠物", code="dog-licence", name_zh="犬只登记"),
            catalogue_row(category_code="nowhere", code="x-item", name_zh="无类别"),  # unknown category, unnamed
            catalogue_row(category_code="pets", code="dog-licence", name_zh="again"),  # twice
            catalogue_row(category_code="pets", code="Bad Code", name_zh="坏代码"),
            catalogue_row(category_code="pets", code="slow", name_zh="慢", deadline_days="900"),
            catalogue_row(category_code="pets", code="where", name_zh="哪里", communities="HQ ZZ"),
            catalogue_row(category_code="pets", code="guide", name_zh="指引", kind="guidance"),  # no guidance text
            catalogue_row(category_code="pets", code="sized", name_zh="尺寸", papers_size="XXL")]
    response = upload(admin, csv_bytes(rows, header=CATALOGUE_COLUMNS), name="c.csv", sheet="catalogue",
                      action="import")
    page = text(response)
    assert response.status_code == 422
    refused = set(re.findall(r'data-line="(\d+)" class="overdue"', page))
    assert refused == {"3", "4", "5", "6", "7", "8", "9"}, refused
    assert "ZZ" in page and "deadline_days" in page
    assert (snapshot(app, Service), snapshot(app, ServiceCategory), snapshot(app, CommunityService)) == before


def test_a_formula_in_a_name_is_exported_as_text(app):
    admin = sign_in(app, "admin-district")
    # (written as our CSV export writes it: made inert with a quote, which the import takes off)
    rows = [catalogue_row(category_code="pets", category_name_zh="宠物", code="calc", name_zh="'=1+2")]
    created = upload(admin, csv_bytes(rows, header=CATALOGUE_COLUMNS), name="c.csv", sheet="catalogue",
                     action="import")
    assert created.status_code == 200, text(created)
    book = load_workbook(io.BytesIO(admin.get("/staff/admin/catalogue/export.xlsx").data))
    cell = next(row[4] for row in book.active.iter_rows() if row[3].value == "calc")
    assert cell.value == "=1+2" and cell.data_type == "s"
    csv_export = admin.get("/staff/admin/catalogue/export.csv").data.decode("utf-8-sig")
    assert ",'=1+2," in csv_export
    # …and the CSV reads back as the name it was, not with the quote.
    again = upload(admin, csv_export.encode("utf-8-sig"), name="c.csv", sheet="catalogue", action="import")
    assert "已导入：共 0 处更改" in text(again), text(again)


def test_a_nul_in_a_cell_is_dropped_not_a_server_error(app):
    admin = sign_in(app, "admin-hq")
    body = "\ufeffusername,display_name,role,area_code,grid_posts,active\r\nnul.one,张\x00三,volunteer,HQ,,\r\n"
    response = upload(admin, body.encode(), name="a.csv", sheet="accounts", action="import")
    assert response.status_code == 200, text(response)
    with app.app_context():
        assert db.session.scalar(db.select(Staff.display_name).filter_by(username="nul.one")) == "张三"
