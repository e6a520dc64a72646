"""What the locker writes on a resident's ticket: where the papers are, or what went wrong at the door."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ...extensions import db
from ...models import Compartment, Staff, Ticket, TicketEvent
from ...models.base import utcnow

LOCKER_NOTES = {
    "papers_deposited": _l("Papers placed in compartment %(number)d"),
    "result_ready": _l("The result is waiting in compartment %(number)d; pick it up with the code on this page"),
    "result_taken_back": _l("The uncollected result was taken back from compartment %(number)d; ask the service centre"),
    "locker_full": _l("No compartment of a fitting size was free, so no door opened. Please hand the papers in at "
                      "the service centre with this ticket number."),
    "locker_fault": _l("The locker could not open a door (staff have been told). Please hand the papers in at the "
                       "service centre with this ticket number."),
    "door_jammed": _l("Door %(number)d did not open (staff have been told). Try another compartment, or hand the "
                      "papers in at the service centre with this ticket number."),
    "door_unknown": _l("The locker could not confirm that door %(number)d opened. If it is open, please close it "
                       "without putting anything in, and hand the papers in at the service centre with this "
                       "ticket number."),
    "dropoff_released": _l("No door opened for your papers. Please hand them in at the service centre with this "
                           "ticket number."),
    "dropoff_escalated": _l("Door %(number)d was not closed in time; staff will check the compartment. If your "
                            "papers are not found there, please hand them in at the service centre."),
}


def _ticket_note(ticket: Ticket, action: str, compartment: Compartment | None, *, actor: Staff | None = None,
                 public: bool = True) -> None:
    # Written in the resident's language: they read it on their status page.
    with force_locale(ticket.locale or "zh_CN"):
        note = str(LOCKER_NOTES[action]) % {"number": compartment.number if compartment else 0}
    label = "" if actor else (f"terminal:{compartment.terminal.code}" if compartment else "locker")
    with db.session.no_autoflush:
        ticket.events.append(TicketEvent(action=action, actor_staff_id=actor.id if actor else None,
                                         actor_label=label, note=note, public=public, created_at=utcnow()))
