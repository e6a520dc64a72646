"""Printed receipts: a ticket's receipt when it is issued, a pickup slip when a result goes out.

Each is printed once, at the terminal where it happens (a page shown again does not print
again).  A printer fault never stops the ticket: it is recorded on the receipt and on the
terminal, the resident's screen says so, and staff see it on the terminal view until a print
works again.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..hardware import printers
from ..models import LockerItem, PrinterFaultKind, PrintJob, PrintState, Staff, Terminal, Ticket
from ..models.base import utcnow
from .urls import public_url, ticket_status
from .uow import separate, unit_of_work

TICKET, PICKUP = "ticket", "pickup"


def _heading(ticket: Ticket, title) -> printers.Receipt:
    """What every slip starts with: who, what kind of slip, which service and ticket."""
    return (printers.Receipt()
            .line(ticket.community.name, align="center")
            .line(title, "large", "center")
            .rule()
            .line(f"{_l('Service')}: {ticket.service_name}")
            .line(_l("Ticket number"))
            .line(ticket.number, "large", "center"))


def ticket_receipt(ticket: Ticket, *, in_locker: LockerItem | None = None, locker_problem: str = ""
                   ) -> printers.Receipt:
    receipt = (_heading(ticket, _l("Ticket receipt"))
               .line(f"{_l('Submitted')}: {format_datetime(ticket.created_at, 'yyyy-MM-dd HH:mm')}")
               .line(f"{_l('Expected completion')}: {format_date(ticket.due_date, 'long')}")
               .qr(ticket_status(ticket.token))
               .line(_l("Scan with your phone to follow your request"), align="center")
               .rule())
    if in_locker is not None:
        receipt.line(_l("Your papers are in compartment %(number)d. Staff will collect them.",
                        number=in_locker.compartment.number))
    elif locker_problem:  # the door did not open: what the resident's timeline says to do
        receipt.line(locker_problem)
    else:
        receipt.line(_l("Staff of your grid will take up your request; you can follow every step on the "
                        "status page."))
    return receipt


def pickup_slip(item: LockerItem) -> printers.Receipt:
    ticket = item.ticket
    return (_heading(ticket, _l("Pickup slip"))
            .line(_l("Picked up from door %(number)d at %(time)s", number=item.compartment.number,
                     time=format_datetime(item.ended_at or utcnow(), "yyyy-MM-dd HH:mm")))
            .qr(ticket_status(ticket.token))
            .line(_l("How well were you served? Scan the code to rate the service."), align="center"))


def printer_test_page(terminal: Terminal) -> printers.Receipt:
    return (printers.Receipt()
            .line(terminal.community.name, align="center")
            .line(_l("Test print"), "large", "center")
            .line(f"{terminal.name} · {terminal.code}")
            .line(format_datetime(utcnow(), "yyyy-MM-dd HH:mm:ss"))
            .qr(public_url("/")))


def _send(terminal: Terminal, receipt: printers.Receipt) -> tuple[PrinterFaultKind | None, str]:
    """Print; returns (fault, detail), for ``_record`` to write down once the printer is done."""
    try:
        printers.print_receipt(printers.parse_url(terminal.printer_url), receipt,
                               timeout=current_app.config["PRINTER_TIMEOUT"])
    except ValueError as error:
        fault, detail = PrinterFaultKind.ERROR, f"printer setting: {error}"
    except printers.PrinterFault as error:
        fault, detail = PrinterFaultKind(error.kind), error.detail
    else:
        fault, detail = None, ""
    return fault, detail


def _record(terminal: Terminal, fault: PrinterFaultKind | None, detail: str) -> None:
    """How the terminal's printer did, as the terminal's page and the back office show it."""
    terminal.printer_state = fault.value if fault else "ok"
    terminal.printer_detail = detail[:300]
    terminal.printer_checked_at = utcnow()
    if fault:
        current_app.logger.warning("printer of terminal %s: %s", terminal.code, detail)


def print_once(terminal: Terminal, ticket: Ticket, kind: str, *, item: LockerItem | None = None,
               locker_problem: str = "") -> PrintJob | None:
    """Print a ticket's receipt (or an item's pickup slip) unless it was printed or tried before.

    Returns the print job (printed or failed), or None when the terminal has no printer.
    Two requests at once: the unique key lets one print; the other gets its job.
    """
    if not terminal.has_printer:
        return None
    key = f"{TICKET}:{ticket.id}" if kind == TICKET else f"{PICKUP}:{item.id}"
    job = db.session.scalar(select(PrintJob).filter_by(key=key))
    if job is not None:
        return job
    receipt = ticket_receipt(ticket, in_locker=item, locker_problem=locker_problem) if kind == TICKET else pickup_slip(item)
    try:
        with separate("the job is claimed before the printer is driven: of two requests, one prints"):
            job = PrintJob(key=key, kind=kind, terminal_id=terminal.id, ticket_id=ticket.id)
            db.session.add(job)
    except IntegrityError:
        return db.session.scalar(select(PrintJob).filter_by(key=key))
    fault, detail = _send(terminal, receipt)
    with separate("what the printer did, recorded once it is known"):
        _record(terminal, fault, detail)
        job.state = PrintState.FAILED if fault else PrintState.PRINTED
        job.fault, job.detail, job.finished_at = fault, detail[:300], utcnow()
    return job


def print_test_page(actor: Staff, terminal: Terminal) -> PrinterFaultKind | None:
    """Staff check the printer (e.g. after loading paper).  ``terminal`` comes from
    ``locker.admin_terminal``, which checked the actor may manage it."""
    from .scope import require_admin

    require_admin(actor)
    fault, detail = _send(terminal, printer_test_page(terminal))
    with unit_of_work():
        _record(terminal, fault, detail)
    return fault
