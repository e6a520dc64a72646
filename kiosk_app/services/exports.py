"""Data exports: the staff queue as a CSV file that spreadsheet programs open as it is."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from ..models import Staff
from . import queue, scope, validation, workdays
from .workflow import OPEN

QUEUE_COLUMNS = (_l("Ticket number"), _l("Service"), _l("Status"), _l("Grid"), _l("Building"), _l("Name"),
                 _l("Mobile"), _l("Channel"), _l("Submitted"), _l("Due"), _l("Overdue"), _l("Assigned to"))


@dataclass(frozen=True)
class CsvFile:
    filename: str
    text: str


def csv_text(header, rows) -> str:
    """Rows as CSV that spreadsheet programs open as it is: UTF-8 with a BOM (so they read the Chinese),
    and no cell that they would run as a formula (one starting with = + - @ gets a leading ')."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([str(column) for column in header])
    for row in rows:
        writer.writerow([_inert(str(cell)) for cell in row])
    return buffer.getvalue()


def _inert(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def queue_csv(actor: Staff, filters: queue.Filters, today: date) -> CsvFile:
    """The filtered queue (the export is recorded: ``queue.export_rows``); names and mobiles are
    masked unless the actor may export personal data."""
    rows = queue.export_rows(actor, filters, today)
    unmasked = scope.may_export_personal_data(actor)
    lines = ([
        t.number, t.service_name, t.status.label, t.grid.name, t.building.name,
        t.resident_name if unmasked else validation.mask_name(t.resident_name),
        t.resident_mobile if unmasked else validation.mask_mobile(t.resident_mobile),
        t.channel.label, t.created_at.astimezone(workdays.LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        t.due_date.isoformat(),
        str(_l("yes")) if t.status in OPEN and t.due_date < today else "",
        t.assignee.display_name if t.assignee else "",
    ] for t in rows)
    return CsvFile(f"tickets-{today.isoformat()}.csv", csv_text(QUEUE_COLUMNS, lines))
