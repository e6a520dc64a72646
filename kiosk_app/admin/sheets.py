"""Spreadsheets (``/staff/admin/<org|accounts|catalogue>/import``): the template, the export, a dry
run and the import.  One view for every kind of sheet; each kind's service says who may use it and
what a row does."""

from __future__ import annotations

from flask import request

from ..services.admin import spreadsheets
from ..web.sheets import download, show, upload
from .routes import bp

SHEETS = spreadsheets.sheets()


def import_page(sheet: str):
    return show(SHEETS[sheet], f"admin.{sheet}")


def import_sheet(sheet: str):
    return upload(SHEETS[sheet], f"admin.{sheet}")


def sheet_file(sheet: str, what: str, kind: str):
    return download(SHEETS[sheet], what, kind)


for _name in SHEETS:
    bp.add_url_rule(f"/{_name}/import", f"{_name}_import_page", import_page, defaults={"sheet": _name})
    bp.add_url_rule(f"/{_name}/import", f"{_name}_import", import_sheet, methods=["POST"],
                    defaults={"sheet": _name})
    bp.add_url_rule(f"/{_name}/<any(export, template):what>.<any(csv, xlsx):kind>", f"{_name}_sheet", sheet_file,
                    defaults={"sheet": _name})

IMPORTS = spreadsheets.UPLOAD_ENDPOINTS
IMPORTS.update(f"admin.{name}_import" for name in SHEETS)


def _larger_uploads() -> None:
    """A spreadsheet may be larger than any form (MAX_CONTENT_LENGTH): allowed for the imports only,
    before anything reads the body (the CSRF check does)."""
    if request.endpoint in IMPORTS:
        request.max_content_length = spreadsheets.MAX_BYTES + 64 * 1024  # the form around the file


bp.record_once(lambda state: state.app.before_request_funcs.setdefault(None, []).insert(0, _larger_uploads))
