"""Spreadsheets, because community offices live in Excel: the org tree, the accounts and the catalogue
exported, and imported with a dry run first.

A sheet is XLSX, or CSV in UTF-8 with a BOM (GB18030 is read too: Excel in China saves CSV that way
unless told otherwise); its first row names the columns.  Each kind of sheet (``org_sheet``,
``account_sheet``, ``catalogue_sheet``) says what a row does through the same use cases as the pages
do, so a row is checked exactly as the form would check it.

The dry run and the import are the same run: every row is applied, in order, in one transaction, and
what each did (or why it was refused) is noted.  The dry run then takes it all back; the import keeps
it only when no row was refused, with one audit event for the import besides each row's own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from ...models import Staff
from ..errors import DomainError, InvalidInput
from ..uow import unit_of_work
from .audit import AuditAction, record

MAX_ROWS = 10_000  # about 15 s to import on one core: well within a worker's timeout
MAX_BYTES = 4 * 1024 * 1024
UPLOAD_ENDPOINTS: set[str] = set()  # the endpoints that take a sheet (allowed MAX_BYTES: admin/sheets.py)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what exports.csv_text makes inert with a leading '


# ---------------------------------------------------------------- reading a file

def read_rows(filename: str, data: bytes, columns: tuple[str, ...]) -> list[dict]:
    """The rows of an uploaded sheet, as dicts of the columns (a missing cell is "")."""
    if not data:
        raise InvalidInput({"file": str(_l("Choose a file to upload."))})
    if len(data) > MAX_BYTES:
        raise InvalidInput({"file": str(_l("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)))})
    if data[:2] == b"PK":
        table = _xlsx_rows(data)
    elif (filename or "").lower().endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise InvalidInput({"file": str(_l("This is not a spreadsheet: upload an .xlsx file, or a .csv file "
                                           "saved as UTF-8."))})
    if not table:
        raise InvalidInput({"file": str(_l("The sheet is empty."))})
    header = [str(cell or "").strip().lower() for cell in table[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InvalidInput({"file": str(_l("Columns missing from the first row: %(columns)s. Download the "
                                           "template to see them all.", columns=", ".join(missing)))})
    where = {name: header.index(name) for name in columns}
    rows = []
    for cells in table[1:]:
        values = {name: _text(cells[i]) if i < len(cells) else "" for name, i in where.items()}
        if any(values.values()):
            rows.append(values)
    if len(rows) > MAX_ROWS:
        raise InvalidInput({"file": str(_l("At most %(max)d rows at a time.", max=MAX_ROWS))})
    return rows


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # Excel keeps every number as a float: 3 is read as 3.0
    return str(cell).replace("\x00", "").strip()  # a NUL is never meant (and no text column takes one)


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):  # blank rows are skipped later: count those with text
            if any(cell not in (None, "") for cell in row):
                rows.append(list(row))
                if len(rows) > MAX_ROWS + 1:  # the header and one row too many: refused, never cut short
                    break
        return rows
    except Exception:  # noqa: BLE001 - any damage to the file: said plainly, nothing read
        raise InvalidInput({"file": str(_l("This file could not be read as a spreadsheet."))}) from None


def _csv_rows(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput({"file": str(_l("This file could not be read as a spreadsheet."))})
    # A cell our export made inert (a leading ' before = + - @) reads back as it was.
    return [[cell[1:] if cell[:1] == "'" and cell[1:2] in _FORMULA and cell[1:2] else cell for cell in row]
            for row in csv.reader(io.StringIO(text))]


def yes_no(value: str, column: str, default: bool | None = None) -> bool:
    """A yes/no cell: 1/0, yes/no, y/n, true/false, 是/否 (empty: ``default``, if there is one)."""
    text = (value or "").strip().lower()
    if not text and default is not None:
        return default
    if text in ("1", "yes", "y", "true", "是"):
        return True
    if text in ("0", "no", "n", "false", "否"):
        return False
    raise InvalidInput({column: str(_l("1 (yes) or 0 (no)."))})


# ---------------------------------------------------------------- what a run did

@dataclass
class RowPlan:
    line: int  # as the spreadsheet numbers it (the header is line 1)
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)


@dataclass
class Plan:
    rows: list[RowPlan]
    # New accounts' one-time passwords (username, name, password): shown once, after the import.
    passwords: list[tuple[str, str, str]] = field(default_factory=list)
    kept: bool = False  # imported (not a dry run, and no row refused)

    @property
    def refused(self) -> list[RowPlan]:
        return [r for r in self.rows if r.refused]

    @property
    def changes(self) -> int:
        return sum(len(r.changes) for r in self.rows)


@dataclass(frozen=True)
class Sheet:
    """One kind of sheet: its columns, who may use it, what a row does, and the export."""

    name: str  # in the URL and the file's name
    columns: tuple[str, ...]
    title: Any  # (lazy) texts of its page
    lead: Any
    require: Callable[[Staff], None]
    # apply_row(actor, row, row_plan, plan, state): apply one row through the use cases, noting on
    # row_plan what it did; raises InvalidInput (keyed by column) or DomainError to refuse the row.
    apply_row: Callable[[Staff, dict, RowPlan, Plan, dict], None]
    export_rows: Callable[[Staff], list[list[str]]]
    entity: str  # what the import's audit event names
    area_id: Callable[[Staff], int | None] = lambda actor: actor.area_id
    extra_columns: tuple[str, ...] = ()  # exported for reading, ignored on import


@contextmanager
def as_columns(columns: dict[str, str]):
    """A use case's refusal of form fields, as the sheet's columns (``{"code": "grid_code", …}``)."""
    try:
        yield
    except InvalidInput as error:
        raise InvalidInput({columns.get(name, name): message for name, message in error.errors.items()}) from None


class _TakeBack(Exception):
    def __init__(self, plan: Plan):
        super().__init__("the run is taken back")
        self.plan = plan


def run(sheet: Sheet, actor: Staff, rows: list[dict], *, keep: bool) -> Plan:
    """Apply every row, in order, in one transaction, noting what each did or why it is refused; keep
    it all only when ``keep`` and no row is refused (else nothing is written: a dry run)."""
    sheet.require(actor)
    try:
        with unit_of_work():
            plan, state = Plan([]), {}
            for line, row in enumerate(rows, start=2):
                row_plan = RowPlan(line)
                plan.rows.append(row_plan)
                try:
                    sheet.apply_row(actor, row, row_plan, plan, state)
                except InvalidInput as error:
                    row_plan.problems.extend(f"{column}: {message}" for column, message in error.errors.items())
                except DomainError as error:  # a refusal of the row (a role it may not give, …)
                    row_plan.problems.append(str(error.message))
            if not keep or plan.refused:
                raise _TakeBack(plan)
            record(actor, AuditAction.IMPORT, sheet.entity, None, name=f"{sheet.name}.sheet",
                   area_id=sheet.area_id(actor), after={"rows": len(rows), "changes": plan.changes})
            plan.kept = True
            return plan
    except _TakeBack as back:
        return back.plan


def sheets() -> dict[str, Sheet]:
    from .account_sheet import SHEET as accounts
    from .catalogue_sheet import SHEET as catalogue
    from .org_sheet import SHEET as org

    return {sheet.name: sheet for sheet in (org, accounts, catalogue)}


# ---------------------------------------------------------------- writing a file

def as_xlsx(columns: tuple[str, ...], rows: list[list[str]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(columns))
    for row in rows:
        sheet.append(row)
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula that Excel would run
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
