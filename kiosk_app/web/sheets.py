"""A spreadsheet's page (the template, the export, a dry run and the import), for any blueprint that
offers one: the administration's sheets (admin/sheets.py) and the archive's (staff/archive.py).  What
a sheet does is its service's (services/admin/spreadsheets.py)."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from ..services.admin import spreadsheets
from ..services.errors import InvalidInput
from ..services.exports import csv_text


def _page(sheet, prefix: str, *, plan=None, errors=None, status=200):
    return render_template("pages/admin/sheet_import.html", sheet=sheet, prefix=prefix, plan=plan,
                           errors=errors or {}), status


def show(sheet, prefix: str):
    """A sheet's page; ``prefix`` names its endpoints (``<prefix>_import``, ``<prefix>_sheet``)."""
    sheet.require(current_user)
    return _page(sheet, prefix)


def upload(sheet, prefix: str):
    """Check the sheet (a dry run: nothing kept) or import it (all rows in one transaction, or none)."""
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
        return _page(sheet, prefix, errors=error.errors, status=422)
    plan = spreadsheets.run(sheet, current_user, rows, keep=request.form.get("action") == "import")
    return _page(sheet, prefix, plan=plan, status=422 if plan.refused else 200)


def download(sheet, what: str, kind: str):
    sheet.require(current_user)
    rows = sheet.export_rows(current_user) if what == "export" else []
    columns = (*sheet.columns, *sheet.extra_columns)
    if kind == "xlsx":
        body, mimetype = spreadsheets.as_xlsx(columns, rows, sheet.name), spreadsheets.XLSX
    else:
        body, mimetype = csv_text(columns, rows), "text/csv"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={sheet.name}-{what}.{kind}"})
