"""What the locker writes on a resident's ticket: where the papers are, or what went wrong at the door."""

from __future__ import annotations

from ...extensions import db
from ...models import Compartment, Staff, Ticket, TicketEvent
from ...models.base import utcnow
from ..event_texts import LOCKER_NOTES, params_json


def _ticket_note(ticket: Ticket, action: str, compartment: Compartment | None, *, actor: Staff | None = None,
                 public: bool = True) -> None:
    # The kind and the door's number: each reader sees it in their language (services/event_texts.py).
    if action not in LOCKER_NOTES:
        raise ValueError(f"no words for the locker's note {action!r}")
    label = "" if actor else (f"terminal:{compartment.terminal.code}" if compartment else "locker")
    params = params_json(number=compartment.number if compartment else 0)
    with db.session.no_autoflush:
        ticket.events.append(TicketEvent(action=action, actor_staff_id=actor.id if actor else None,
                                         actor_label=label, params=params, public=public, created_at=utcnow()))
