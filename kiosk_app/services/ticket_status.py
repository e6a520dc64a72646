"""What a resident sees of a ticket: its status page, read without the ORM, and its timeline's lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, type_coerce

from ..extensions import db
from ..models import Area, Service, Status, Ticket, TicketEvent, TicketEventKind, TicketView
from ..models.base import in_reader_language
from ..models.ticket import TimelineEvent
from .catalogue import Choice
from .errors import NotFound

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # the shape of a ticket's token (its QR code's address)


@dataclass(frozen=True)
class PublicEvent:
    """One line of a status page's timeline."""

    action: str  # as stored: a ``TicketEventKind`` value (see ``event_label``)
    to_status: Status | None
    note: str
    params: str
    public: bool
    created_at: datetime


@dataclass(frozen=True)
class TicketStatus:
    """What a ticket's status page shows, read without the ORM.

    The page residents' phones reload most: one plain query, only the columns it shows, no
    identity map or change tracking (the ORM's bookkeeping for a ticket, its service, community
    and events cost as much as the rest of the page).  It is a ``TicketView``, as ``Ticket`` is: what
    the page and its rules (the rating, the pickup code) read, under the same names.
    """

    id: int
    token: str
    number: str
    status: Status
    physical_result: bool
    resident_name: str
    resident_mobile: str
    due_date: date
    service: Choice
    community: Choice
    events: tuple[PublicEvent, ...]
    service_name_zh: str = ""
    service_name_en: str = ""

    @property
    def service_name(self) -> str:
        return in_reader_language(self.service_name_zh, self.service_name_en)


def _status_statement():
    tickets, events = Ticket.__table__, TicketEvent.__table__
    services, areas = Service.__table__, Area.__table__
    return (
        db.select(tickets.c.id, tickets.c.token, tickets.c.number, tickets.c.status, tickets.c.physical_result,
                  tickets.c.resident_name, tickets.c.resident_mobile, tickets.c.due_date, tickets.c.service_id,
                  services.c.name_zh, services.c.name_en, tickets.c.community_id, areas.c.name_zh, areas.c.name_en,
                  tickets.c.service_name_zh, tickets.c.service_name_en,
                  # The kind as stored, not looked up in the enum: the page shows any value it finds.
                  type_coerce(events.c.action, String), events.c.to_status, events.c.note, events.c.params, events.c.public,
                  events.c.created_at)
        .join(services, services.c.id == tickets.c.service_id)
        .join(areas, areas.c.id == tickets.c.community_id)
        .outerjoin(events, (events.c.ticket_id == tickets.c.id) & events.c.public)
        .where(tickets.c.token == bindparam("token"))
        .order_by(events.c.id)
    )


_STATUS = _status_statement()


def status_by_token(token: str) -> TicketStatus:
    """A ticket's status page, by the token in its QR code."""
    rows = db.session.execute(_STATUS, {"token": token}).all() if token and TOKEN.match(token) else []
    if not rows:
        raise NotFound(_l("We could not find this ticket."))
    (ticket_id, token, number, status, physical_result, name, mobile, due_date, service_id, service_zh, service_en,
     community_id, community_zh, community_en, issued_zh, issued_en) = rows[0][:16]
    return TicketStatus(
        ticket_id, token, number, status, physical_result, name, mobile, due_date,
        Choice(service_id, service_zh, service_en), Choice(community_id, community_zh, community_en),
        tuple(PublicEvent(*row[16:]) for row in rows if row[16] is not None), issued_zh, issued_en)


def status_by_id(ticket_id: int) -> TicketStatus:
    """A ticket's status page by its id: for a browser that found it by number and last four digits."""
    token = db.session.scalar(db.select(Ticket.token).where(Ticket.id == ticket_id))
    if token is None:
        raise NotFound(_l("We could not find this ticket."))
    return status_by_token(token)


def public_timeline(ticket: TicketView) -> list[TimelineEvent]:
    return [event for event in ticket.events if event.public]


def event_label(event: TimelineEvent) -> str:
    """A timeline line's title: its kind's label, else the status it reached, else its raw kind.

    ``event.action`` is a ``TicketEventKind`` from the ORM and a plain string on the status page,
    which reads the column as it is stored; the label table finds both.
    """
    try:
        label = TicketEventKind(event.action).label
    except ValueError:  # a kind the vocabulary does not know
        label = None
    if label is not None:
        return label
    if event.to_status is not None:
        return event.to_status.label
    return event.action
