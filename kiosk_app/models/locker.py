"""The cloud locker (云柜): compartments, the items they hold, door commands and door events.

Invariants, enforced by the database where it can:
- a compartment holds at most one item (a partial unique index on active items);
- every item belongs to exactly one ticket (``ticket_id`` is required);
- every door opening is a ``DoorEvent`` with who, why and when.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Size, UTCDateTime, str_enum, utcnow  # noqa: F401  (Size: also the catalogue's)
from .staff import Staff
from .terminal import Terminal
from .ticket import Ticket


class CompartmentState(enum.StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"  # taken out by an admin
    FAULTY = "faulty"  # its door failed to open (the board answered: a jammed lock); an admin puts it back
    # Something may be inside that the app does not know of (a door that may have opened unconfirmed, or
    # a drop-off left open past its time): never offered until staff have looked and put it back.
    CHECK = "check"


class DoorState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    UNKNOWN = "unknown"  # an open command may have reached the lock, unconfirmed: possibly open

    @property
    def maybe_open(self) -> bool:
        return self != DoorState.CLOSED


class ItemKind(enum.StrEnum):
    SUBMISSION = "submission"  # a resident's papers, for staff to collect
    RESULT = "result"  # staff's result, for the resident to pick up


class ItemState(enum.StrEnum):
    RESERVED = "reserved"  # compartment held, door opening, nothing inside yet
    HELD = "held"  # door closed with the item inside
    DONE = "done"  # collected by staff, or picked up by the resident
    CANCELLED = "cancelled"  # drop-off or return given up before anything went in
    TAKEN_BACK = "taken_back"  # an uncollected result taken back by staff

    @property
    def active(self) -> bool:
        return self in (ItemState.RESERVED, ItemState.HELD)


ACTIVE_ITEM_SQL = "state IN ('reserved', 'held')"


def new_item_token() -> str:
    return secrets.token_urlsafe(18)


class Compartment(db.Model):
    __tablename__ = "compartments"
    __table_args__ = (
        UniqueConstraint("terminal_id", "number"),
        UniqueConstraint("terminal_id", "board", "lock"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the big number painted on the door
    size: Mapped[Size] = mapped_column(str_enum(Size, 1))
    board: Mapped[int] = mapped_column(Integer, default=1)  # lock board address on the RS-485 bus
    lock: Mapped[int] = mapped_column(Integer)  # channel on that board (1–24)
    state: Mapped[CompartmentState] = mapped_column(str_enum(CompartmentState), default=CompartmentState.IN_SERVICE)
    door: Mapped[DoorState] = mapped_column(str_enum(DoorState), default=DoorState.CLOSED)
    door_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")

    terminal: Mapped[Terminal] = relationship()
    items: Mapped[list[LockerItem]] = relationship(back_populates="compartment", order_by="LockerItem.id")


class LockerItem(db.Model):
    __tablename__ = "locker_items"
    __table_args__ = (
        # At most one active item per compartment: two tickets can never share a door.
        Index("uq_locker_items_active_compartment", "compartment_id", unique=True,
              postgresql_where=text(ACTIVE_ITEM_SQL), sqlite_where=text(ACTIVE_ITEM_SQL)),
        # ... and a ticket has at most one active item of a kind: a double tap opens one door.
        Index("uq_locker_items_active_ticket_kind", "ticket_id", "kind", unique=True,
              postgresql_where=text(ACTIVE_ITEM_SQL), sqlite_where=text(ACTIVE_ITEM_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The item's address on every resident- and phone-facing page: unguessable, unlike the id.
    token: Mapped[str] = mapped_column(String(32), unique=True, default=new_item_token)
    compartment_id: Mapped[int] = mapped_column(ForeignKey("compartments.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind))
    state: Mapped[ItemState] = mapped_column(str_enum(ItemState), default=ItemState.RESERVED)
    # Results only: an 8-digit one-time code, stored as a hash.
    pickup_code_hash: Mapped[str | None] = mapped_column(String(128))
    pickup_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    compartment: Mapped[Compartment] = relationship(back_populates="items")
    ticket: Mapped[Ticket] = relationship()
    created_by: Mapped[Staff | None] = relationship()


class DoorReason(enum.StrEnum):
    DROP_OFF = "drop_off"
    COLLECT = "collect"
    RETURN = "return"
    PICKUP = "pickup"
    TAKE_BACK = "take_back"
    CHECK = "check"  # an admin or staff checking a compartment


DOOR_REASON_LABELS = {
    DoorReason.DROP_OFF: _l("Drop-off"),
    DoorReason.COLLECT: _l("Collection by staff"),
    DoorReason.RETURN: _l("Result placed for pickup"),
    DoorReason.PICKUP: _l("Pickup by the resident"),
    DoorReason.TAKE_BACK: _l("Uncollected result taken back"),
    DoorReason.CHECK: _l("Compartment check"),
}


class LockBoardState(db.Model):
    """One lock board of a terminal, as last heard: a fault of the board or its line (no answer, garbled
    answers, an unreachable converter) is recorded here once, never charged to its doors, and clears
    itself when the board answers again."""

    __tablename__ = "lock_boards"
    __table_args__ = (UniqueConstraint("terminal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    number: Mapped[int] = mapped_column(Integer)  # its address on the RS-485 bus
    fault: Mapped[str] = mapped_column(String(300), default="")  # "" = answering; else what went wrong
    fault_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last time it was asked
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last time it answered

    terminal: Mapped[Terminal] = relationship()


class DoorEventKind(enum.StrEnum):
    """What befell a door (a ``DoorEvent``)."""

    OPENED = "opened"
    CLOSED = "closed"
    FAULT = "fault"  # the board answered and the lock stayed shut (jammed)
    UNKNOWN = "unknown"  # an open command may have reached the lock, unconfirmed: possibly open
    BOARD_FAULT = "board_fault"  # the board or its line failed: no lock was commanded
    BUSY = "busy"  # another process held the port: nothing was sent
    RELEASED = "released"  # the sweeper gave back a reservation whose door never opened
    ESCALATED = "escalated"  # the sweeper gave up an item whose door was left open: staff look inside
    SETTLED = "settled"  # a door whose state was unknown, read from the board
    CHECKED = "checked"  # staff looked inside and found it empty
    IN_SERVICE = "in_service"  # an admin put the compartment back in service
    OUT_OF_SERVICE = "out_of_service"  # ... or took it out


class DoorEvent(db.Model):
    """Every opening, closing and fault of a door: who, why, when."""

    __tablename__ = "door_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    compartment_id: Mapped[int] = mapped_column(ForeignKey("compartments.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("locker_items.id"))
    event: Mapped[DoorEventKind] = mapped_column(str_enum(DoorEventKind, 16))
    reason: Mapped[DoorReason] = mapped_column(str_enum(DoorReason))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor_label: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    compartment: Mapped[Compartment] = relationship()
    actor_staff: Mapped[Staff | None] = relationship()


class CommandState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class DoorCommand(db.Model):
    """A door to open, waiting for the terminal agent (district deployments: ``lock_url = "agent"``)."""

    __tablename__ = "door_commands"
    __table_args__ = (Index("ix_door_commands_pending", "terminal_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    compartment_id: Mapped[int] = mapped_column(ForeignKey("compartments.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("locker_items.id"))
    reason: Mapped[DoorReason] = mapped_column(str_enum(DoorReason))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor_label: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[CommandState] = mapped_column(str_enum(CommandState), default=CommandState.PENDING)
    error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    compartment: Mapped[Compartment] = relationship()
    item: Mapped[LockerItem | None] = relationship()
