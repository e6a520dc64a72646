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


def queue_csv(actor: Staff, filters: queue.Filters, today: date) -> CsvFile:
    """The filtered queue (the export is recorded: ``queue.export_rows``); names and mobiles are
    masked unless the actor may export personal data."""
    rows = queue.export_rows(actor, filters, today)
    unmasked = scope.may_export_personal_data(actor)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM: spreadsheet programs then read the Chinese correctly
    writer = csv.writer(buffer)
    writer.writerow([str(column) for column in QUEUE_COLUMNS])
    for t in rows:
        writer.writerow([
            t.number, t.service.name, t.status.label, t.grid.name, t.building.name,
            t.resident_name if unmasked else validation.mask_name(t.resident_name),
            t.resident_mobile if unmasked else validation.mask_mobile(t.resident_mobile),
            t.channel.label, t.created_at.astimezone(workdays.LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            t.due_date.isoformat(),
            str(_l("yes")) if t.status in OPEN and t.due_date < today else "",
            t.assignee.display_name if t.assignee else "",
        ])
    return CsvFile(f"tickets-{today.isoformat()}.csv", buffer.getvalue())
