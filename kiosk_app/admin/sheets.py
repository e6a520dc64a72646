"""Spreadsheets (``/staff/admin/<org|accounts|catalogue>/import``): the template, the export, a dry
run and the import.  One view for every kind of sheet; each kind's service says who may use it and
what a row does."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from ..services.admin import spreadsheets
from ..services.errors import InvalidInput
from ..services.exports import csv_text
from .routes import bp

SHEETS = spreadsheets.sheets()


def _page(sheet, *, plan=None, errors=None, status=200):
    return render_template("pages/admin/sheet_import.html", sheet=sheet, plan=plan, errors=errors or {}), status


def import_page(sheet: str):
    sheet = SHEETS[sheet]
    sheet.require(current_user)
    return _page(sheet)


def import_sheet(sheet: str):
    """Check the sheet (a dry run: nothing kept) or import it (all rows in one transaction, or none)."""
    sheet = SHEETS[sheet]
    sheet.require(current_user)
    upload = request.files.get("file")
    try:
        try:
            data = upload.read() if upload else b""
        finally:
            if upload:
                upload.close()
        rows = spreadsheets.read_rows(upload.filename if upload else "", data, sheet.columns)
    except InvalidInput as error:
        return _page(sheet, errors=error.errors, status=422)
    plan = spreadsheets.run(sheet, current_user, rows, keep=request.form.get("action") == "import")
    return _page(sheet, plan=plan, status=422 if plan.refused else 200)


def sheet_file(sheet: str, what: str, kind: str):
    sheet = SHEETS[sheet]
    sheet.require(current_user)
    rows = sheet.export_rows(current_user) if what == "export" else []
    columns = (*sheet.columns, *sheet.extra_columns)
    if kind == "xlsx":
        body, mimetype = spreadsheets.as_xlsx(columns, rows, sheet.name), spreadsheets.XLSX
    else:
        body, mimetype = csv_text(columns, rows), "text/csv"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={sheet.name}-{what}.{kind}"})


for _name in SHEETS:
    bp.add_url_rule(f"/{_name}/import", f"{_name}_import_page", import_page, defaults={"sheet": _name})
    bp.add_url_rule(f"/{_name}/import", f"{_name}_import", import_sheet, methods=["POST"],
                    defaults={"sheet": _name})
    bp.add_url_rule(f"/{_name}/<any(export, template):what>.<any(csv, xlsx):kind>", f"{_name}_sheet", sheet_file,
                    defaults={"sheet": _name})

IMPORTS = {f"admin.{name}_import" for name in SHEETS}


def _larger_uploads() -> None:
    """A spreadsheet may be larger than any form (MAX_CONTENT_LENGTH): allowed for the imports only,
    before anything reads the body (the CSRF check does)."""
    if request.endpoint in IMPORTS:
        request.max_content_length = spreadsheets.MAX_BYTES + 64 * 1024  # the form around the file


bp.record_once(lambda state: state.app.before_request_funcs.setdefault(None, []).insert(0, _larger_uploads))
