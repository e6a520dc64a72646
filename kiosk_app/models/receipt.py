"""Receipts printed at a terminal: a ticket's receipt and a pickup slip, each printed once."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, str_enum, utcnow
from .terminal import Terminal
from .ticket import Ticket


class PrintState(enum.StrEnum):
    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"


class PrinterFaultKind(enum.StrEnum):
    OFFLINE = "offline"
    PAPER_OUT = "paper_out"
    NO_ANSWER = "no_answer"
    ERROR = "error"

    @property
    def label(self) -> str:
        return str(FAULT_LABELS[self])


FAULT_LABELS = {
    PrinterFaultKind.OFFLINE: _l("the printer is switched off or not connected"),
    PrinterFaultKind.PAPER_OUT: _l("the printer is out of paper"),
    PrinterFaultKind.NO_ANSWER: _l("the printer does not answer"),
    PrinterFaultKind.ERROR: _l("the printer is not set up correctly"),
}


class PrintJob(db.Model):
    __tablename__ = "print_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "ticket:<ticket id>" or "pickup:<locker item id>": unique, so a page shown twice prints once.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # ticket | pickup
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    state: Mapped[PrintState] = mapped_column(str_enum(PrintState), default=PrintState.PRINTING)
    fault: Mapped[PrinterFaultKind | None] = mapped_column(str_enum(PrinterFaultKind))
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    terminal: Mapped[Terminal] = relationship()
    ticket: Mapped[Ticket] = relationship()
