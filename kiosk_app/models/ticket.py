"""Tickets: a resident's request, its number, its status and every change made to it."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    bindparam,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, in_reader_language, str_enum, utcnow
from .catalogue import Service
from .org import Area, Building, Grid
from .sealed import LOOKUP_LENGTH, Sealed
from .staff import Staff
from .terminal import Terminal


class Channel(enum.StrEnum):
    KIOSK = "kiosk"
    PHONE = "phone"
    LOCKER = "locker"
    COUNTER = "counter"

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS = {
    Channel.KIOSK: _l("Kiosk"),
    Channel.PHONE: _l("Phone"),
    Channel.LOCKER: _l("Locker terminal"),
    Channel.COUNTER: _l("Counter"),
}


class Status(enum.StrEnum):
    SUBMITTED = "submitted"
    RECEIVED = "received"  # the resident's papers were collected from the locker
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    NEEDS_INFO = "needs_info"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"  # the resident gave up a locker drop-off before anything went in
    # Proposals (民事民提): residents propose, the community discusses (民议) and decides (民决).
    DISCUSSING = "discussing"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def is_open(self) -> bool:
        """Waiting for staff: in the queue's default view, and counted when overdue."""
        return self in (Status.SUBMITTED, Status.RECEIVED, Status.ACCEPTED, Status.IN_PROGRESS, Status.NEEDS_INFO,
                        Status.DISCUSSING, Status.DECIDED)

    @property
    def is_final(self) -> bool:
        return self in (Status.REJECTED, Status.CLOSED, Status.WITHDRAWN)


STATUS_LABELS = {
    Status.SUBMITTED: _l("Submitted"),
    Status.RECEIVED: _l("Papers received"),
    Status.ACCEPTED: _l("Accepted"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.NEEDS_INFO: _l("More information needed"),
    Status.COMPLETED: _l("Completed"),
    Status.REJECTED: _l("Not accepted"),
    Status.CLOSED: _l("Closed"),
    Status.WITHDRAWN: _l("Withdrawn"),
    Status.DISCUSSING: _l("Under discussion"),
    Status.DECIDED: _l("Decided"),
}


class TicketEventKind(enum.StrEnum):
    """What a ticket event records (``TicketEvent.action``): every value ever written."""

    SUBMITTED = "submitted"
    # A member of staff's (or the locker's) action of the lifecycle (``services.workflow.Action``).
    ACCEPT = "accept"
    START = "start"
    ASK_INFO = "ask_info"
    RESUME = "resume"
    COMPLETE = "complete"
    REJECT = "reject"
    CLOSE = "close"
    REASSIGN = "reassign"
    NOTE = "note"
    RECEIVE = "receive"
    WITHDRAW = "withdraw"
    PICK_UP = "pick_up"
    DISCUSS = "discuss"
    DECIDE = "decide"
    # Staff saw a resident's personal data unmasked (internal).
    PERSONAL_DATA_VIEWED = "personal_data_viewed"
    # The locker's notes on the timeline (``services.locker``).
    PAPERS_DEPOSITED = "papers_deposited"
    RESULT_READY = "result_ready"
    RESULT_TAKEN_BACK = "result_taken_back"
    LOCKER_FULL = "locker_full"
    LOCKER_FAULT = "locker_fault"
    DOOR_JAMMED = "door_jammed"
    DOOR_UNKNOWN = "door_unknown"
    DROPOFF_RELEASED = "dropoff_released"
    DROPOFF_ESCALATED = "dropoff_escalated"
    # 好差评: the resident's rating, and the follow-up of a poor one.
    RATED = "rated"
    FOLLOW_UP_CLOSED = "follow_up_closed"

    @property
    def label(self) -> str | None:
        """How a timeline names this kind of event; ``None`` for a change of status, which is named by
        the status it reached (``services.ticket_status.event_label``)."""
        label = EVENT_LABELS.get(self)
        return None if label is None else str(label)


# Looked up with a member or with its plain string (a StrEnum hashes and compares as its value).
EVENT_LABELS = {
    TicketEventKind.SUBMITTED: _l("Request received"),
    TicketEventKind.PERSONAL_DATA_VIEWED: _l("Personal data viewed"),
    TicketEventKind.NOTE: _l("Internal note"),
    TicketEventKind.REASSIGN: _l("Reassigned"),
    TicketEventKind.PAPERS_DEPOSITED: _l("Papers placed in the locker"),
    TicketEventKind.RESULT_READY: _l("Result ready for pickup"),
    # The locker's own steps are named by what happened, not by the status they led to (a pickup
    # closes the ticket, but the resident's step is "picked up").
    TicketEventKind.RECEIVE: _l("Papers collected from the locker"),
    TicketEventKind.WITHDRAW: _l("Drop-off withdrawn"),
    TicketEventKind.PICK_UP: _l("Result picked up"),
    TicketEventKind.RESULT_TAKEN_BACK: _l("Result taken back to the service centre"),
    TicketEventKind.LOCKER_FULL: _l("No compartment free"),
    TicketEventKind.LOCKER_FAULT: _l("The locker could not open a door"),
    TicketEventKind.DOOR_JAMMED: _l("A door did not open"),
    TicketEventKind.DOOR_UNKNOWN: _l("A door could not be confirmed open"),
    TicketEventKind.DROPOFF_RELEASED: _l("Drop-off not completed"),
    TicketEventKind.DROPOFF_ESCALATED: _l("Drop-off not completed"),
    TicketEventKind.RATED: _l("Rated by the resident"),
    TicketEventKind.FOLLOW_UP_CLOSED: _l("Follow-up of the rating closed"),
}


OPEN_VALUES = ("submitted", "received", "accepted", "in_progress", "needs_info", "discussing", "decided")
OPEN_SQL = f"status IN ({', '.join(repr(value) for value in OPEN_VALUES)})"


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        # The staff queue's default view: open tickets of a community (or grid) by due date.
        # Partial indexes hold only the open tickets, so they stay small as history grows and
        # give the rows already in queue order; with the status beside each entry (PostgreSQL), the
        # overdue or due-today counts per status are read from the index alone.
        Index("ix_tickets_open_community", "community_id", "due_date", "id",
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL), postgresql_include=["status"]),
        Index("ix_tickets_open_grid", "grid_id", "due_date", "id",
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL), postgresql_include=["status"]),
        # ... and across communities (a district's queue: walked in order, its communities picked out).
        Index("ix_tickets_open_due", "due_date", "id",
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL), postgresql_include=["status"]),
        # History views (all tickets, or a finished state), newest first, page after page by id.
        Index("ix_tickets_queue", "community_id", "status", "id"),
        Index("ix_tickets_grid_queue", "grid_id", "status", "id"),
        Index("ix_tickets_community_history", "community_id", "id"),
        Index("ix_tickets_grid_history", "grid_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Readable, unique: community code + date + sequence, e.g. HY-261126-007.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # Unguessable; the status page address inside the QR code.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # Set by the form the resident filled in: a re-sent form finds its ticket instead of making another.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    # The service's name when the ticket was issued: a later change to the catalogue leaves it.
    service_name_zh: Mapped[str] = mapped_column(String(100), default="")
    service_name_en: Mapped[str] = mapped_column(String(100), default="")
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    status: Mapped[Status] = mapped_column(str_enum(Status), default=Status.SUBMITTED)
    resident_name: Mapped[str] = mapped_column(String(40))
    # Sealed (models/sealed.py); found by its keyed digest, e.g. a household's tickets by its members' numbers.
    resident_mobile: Mapped[str] = mapped_column(Sealed("tickets.resident_mobile", "mobile_lookup"))
    mobile_lookup: Mapped[str] = mapped_column(String(LOOKUP_LENGTH), default="", index=True)
    # For "ticket number + last four digits" and the staff search.
    mobile_last4: Mapped[str] = mapped_column(String(4), index=True)
    # Only for services that need it (stored nowhere else), sealed like the mobile.
    id_number: Mapped[str | None] = mapped_column(Sealed("tickets.id_number", "id_number_lookup"))
    id_number_lookup: Mapped[str | None] = mapped_column(String(LOOKUP_LENGTH), index=True)
    details: Mapped[str] = mapped_column(Text, default="")
    # When the resident's personal data was erased (services/privacy.py): the ticket stays for figures.
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The resident may decline text messages when submitting.
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    # The resident's language, for messages sent later.
    locale: Mapped[str] = mapped_column(String(16), default="zh_CN")
    due_date: Mapped[date] = mapped_column(Date)
    # Staff marked a physical result (certificate, returned originals) to hand back.
    physical_result: Mapped[bool] = mapped_column(Boolean, default=False)
    # First opened by a member of staff: until then the queue marks the ticket as new.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Office time from submission to completion, in seconds, as the calendar and office hours were then.
    working_seconds: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: two staff changing the same ticket cannot overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1)

    community: Mapped[Area] = relationship()
    service: Mapped[Service] = relationship()
    grid: Mapped[Grid] = relationship()
    building: Mapped[Building] = relationship()
    terminal: Mapped[Terminal | None] = relationship()
    assignee: Mapped[Staff | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )

    @property
    def service_name(self) -> str:
        """The service as the ticket was issued for it, in the reader's language."""
        return in_reader_language(self.service_name_zh, self.service_name_en)

    __mapper_args__ = {"version_id_col": version}


class Named(Protocol):
    """A service or community as a ticket's pages show it: its id and its name in the reader's language."""

    id: int

    @property
    def name(self) -> str: ...


class TimelineEvent(Protocol):
    action: str
    to_status: Status | None
    note: str
    params: str
    public: bool
    created_at: datetime


@runtime_checkable
class TicketView(Protocol):
    """What a ticket's status page and its rules (the rating, the pickup code) read of a ticket.

    Two classes have it: ``Ticket`` (the ORM row) and ``services.ticket_status.TicketStatus`` (the
    status page's plain read).  Code that takes either is typed with this, and a test checks both
    keep it.
    """

    id: int
    token: str
    number: str
    status: Status
    physical_result: bool
    resident_name: str
    resident_mobile: str
    due_date: date

    @property
    def service(self) -> Named: ...

    @property
    def service_name(self) -> str: ...

    @property
    def community(self) -> Named: ...

    @property
    def events(self) -> Sequence[TimelineEvent]: ...


# "The ticket is open", as the partial indexes say it: SQLite uses a partial index only for a query that
# repeats its condition term for term, values included (a bound parameter is not the same term), so
# the values are written into the statement.  (A district's queue over a million tickets on SQLite:
# its page and its overdue counts from the open tickets' index, not a walk of every ticket.)
IS_OPEN = Ticket.status.in_(bindparam("open_states", list(OPEN_VALUES), expanding=True, literal_execute=True))


class TicketEvent(db.Model):
    """One change to a ticket.  Events are only ever added: never edited, never deleted."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A plain VARCHAR(32), as before the enum (no migration; a new kind is only a new member).
    action: Mapped[TicketEventKind] = mapped_column(str_enum(TicketEventKind, length=32))
    from_status: Mapped[Status | None] = mapped_column(str_enum(Status))
    to_status: Mapped[Status | None] = mapped_column(str_enum(Status))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Who acted when it was not a member of staff: "resident", "system", a terminal code.
    actor_label: Mapped[str] = mapped_column(String(64), default="")
    # What a person typed (a staff note, a rating's comment); the system's own words are not stored
    # but made from the kind and ``params`` (JSON) in the reader's language (services/event_texts.py).
    note: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[str] = mapped_column(Text, default="")
    # Shown on the resident's status page (internal notes are not).
    public: Mapped[bool] = mapped_column(Boolean, default=True)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor_staff: Mapped[Staff | None] = relationship()


class TicketCounter(db.Model):
    """The last sequence number handed out per community and day (incremented atomically)."""

    __tablename__ = "ticket_counters"
    __table_args__ = (PrimaryKeyConstraint("community_id", "day"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    day: Mapped[date] = mapped_column(Date)
    last: Mapped[int] = mapped_column(Integer, default=0)
