"""The org tree as a spreadsheet (/staff/admin/org/import): template, export, dry run, import, and the
broken files a community office will send."""

import csv
import io

from openpyxl import Workbook, load_workbook
from werkzeug.test import EnvironBuilder

from kiosk_app.extensions import db
from kiosk_app.models import Area, AuditEvent, Building, Grid
from kiosk_app.services.admin.org_sheet import COLUMNS

from ..helpers import CSRF_RE, sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


def xlsx(rows, header=COLUMNS) -> bytes:
    book = Workbook()
    book.active.append(list(header))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, header=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


NEW_TREE = [
    ["JE", "", "NC", "新城社区", "G1", "第一网格", "B1", "新城1号楼", "2"],
    ["JE", "", "NC", "新城社区", "G1", "第一网格", "B2", "新城2号楼", "1"],
    ["NS", "南山街道", "NS1", "南山社区", "G1", "第一网格", "", "", ""],
]


def upload(client, data: bytes, name="tree.xlsx", action="check", sheet="org"):
    token = CSRF_RE.search(text(client.get("/staff/"))).group(1)
    return client.post(f"/staff/admin/{sheet}/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "action": action, "file": (io.BytesIO(data), name)})


def upload_large(client, data: bytes, name: str, action: str):
    """As ``upload``, for a body the test client spools to a temporary file (closed here)."""
    token = CSRF_RE.search(text(client.get("/staff/admin/org/import"))).group(1)
    builder = EnvironBuilder(path="/staff/admin/org/import", method="POST", data={
        "csrf_token": token, "action": action, "file": (io.BytesIO(data), name)})
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(db.select(db.func.count()).select_from(m)) for m in (Area, Grid, Building))


def test_a_dry_run_says_what_would_happen_and_writes_nothing_then_the_import_does_it(app):
    admin = sign_in(app, "admin-district")
    before = counts(app)
    response = upload(admin, xlsx(NEW_TREE))
    assert response.status_code == 200
    page = text(response)
    assert "新建 NC 新城社区" in page and "新建楼栋 B1 新城1号楼" in page
    assert 'data-line="2"' in page and 'data-line="4"' in page
    assert counts(app) == before
    done = upload(admin, xlsx(NEW_TREE), action="import")
    assert done.status_code == 200 and 'id="imported"' in text(done)
    assert counts(app) == (before[0] + 3, before[1] + 2, before[2] + 2)
    with app.app_context():
        nc = db.session.scalar(db.select(Area).filter_by(code="NC"))
        assert nc.parent.code == "JE" and [b.units for b in nc.buildings] == [2, 1]
        assert db.session.scalar(db.select(AuditEvent).filter_by(action="import")) is not None
    # The same sheet again changes nothing; the export holds what was imported.
    again = upload(admin, xlsx(NEW_TREE), action="import")
    assert counts(app) == (before[0] + 3, before[1] + 2, before[2] + 2) and again.status_code == 200
    exported = load_workbook(io.BytesIO(admin.get("/staff/admin/org/export.xlsx").data)).active
    rows = [list(r) for r in exported.iter_rows(values_only=True)]
    assert rows[0] == list(COLUMNS)
    assert any(r[2] == "NC" and r[6] == "B1" for r in rows)
    template = admin.get("/staff/admin/org/template.csv")
    assert template.data.decode("utf-8-sig").strip() == ",".join(COLUMNS)


def test_an_invalid_row_among_500_good_ones_is_named_and_nothing_is_written(app):
    admin = sign_in(app, "admin-district")
    rows = [["JE", "", "NC", "新城社区", "G1", "第一网格", f"B{n}", f"新城{n}号楼", "1"] for n in range(1, 501)]
    rows.insert(250, ["JE", "", "NC", "新城社区", "G9", "", "B999", "无网格楼", "1"])  # an unknown grid, unnamed
    before = counts(app)
    response = upload(admin, csv_bytes(rows), name="tree.csv", action="import")
    assert response.status_code == 422
    page = text(response)
    assert 'id="refused"' in page and 'data-line="252"' in page and "G9" in page
    assert counts(app) == before


def test_broken_files_get_a_clear_message_and_write_nothing(app):
    admin = sign_in(app, "admin-district")
    before = counts(app)
    missing = upload(admin, xlsx([["JE", "", "NC"]], header=COLUMNS[:3]))
    assert missing.status_code == 422 and "grid_code" in text(missing)
    duplicate = upload(admin, xlsx([NEW_TREE[0], NEW_TREE[0]]), action="import")
    assert duplicate.status_code == 422 and 'data-line="3"' in text(duplicate)
    not_a_sheet = upload(admin, b"%PDF-1.4 not a spreadsheet", name="tree.xlsx")
    assert not_a_sheet.status_code == 422 and 'id="file-error"' in text(not_a_sheet)
    damaged = upload(admin, b"PK\x03\x04" + b"\x00" * 200, name="tree.xlsx")
    assert damaged.status_code == 422 and 'id="file-error"' in text(damaged)
    bad_code = upload(admin, xlsx([["JE", "", "new community", "新社区", "G1", "一", "", "", ""]]))
    assert bad_code.status_code == 422
    too_big = upload_large(admin, b"a" * (5 * 1024 * 1024), "tree.csv", "import")
    assert too_big.status_code == 413 and "提交的内容过长" in text(too_big)
    # Larger than a form may be, within what a sheet may be: read (and refused for its content, not its size).
    big = upload_large(admin, csv_bytes([NEW_TREE[0]] * 30_000), "tree.csv", "check")
    assert big.status_code == 422 and "10000" in text(big).replace(",", "")
    empty = upload(admin, b"", name="tree.csv")
    assert empty.status_code == 422
    assert counts(app) == before


def test_gb18030_csv_from_excel_is_read(app):
    admin = sign_in(app, "admin-district")
    out = io.StringIO()
    csv.writer(out).writerows([COLUMNS, NEW_TREE[0]])
    response = upload(admin, out.getvalue().encode("gb18030"), name="tree.csv")
    assert response.status_code == 200 and "新城1号楼" in text(response)


def test_only_district_admins_import_or_export(app):
    admin = sign_in(app, "admin-hq")
    assert admin.get("/staff/admin/org/import").status_code == 403
    assert admin.get("/staff/admin/org/export.csv").status_code == 403


def test_an_import_with_a_refused_row_takes_back_the_rows_before_it(app):
    from kiosk_app.services.admin import org_sheet, spreadsheets

    from ..helpers import staff

    before = counts(app)
    rows = [dict(zip(COLUMNS, row)) for row in (*NEW_TREE, ["JE", "", "NC", "新城社区", "G9", "", "B9", "楼", "1"])]
    with app.app_context():
        plan = spreadsheets.run(org_sheet.SHEET, staff("admin-district"), rows, keep=True)
        assert [row.line for row in plan.refused] == [5] and not plan.kept
    assert counts(app) == before
