"""Staff at the terminal (collecting papers, returning results, taking back what was not picked up,
looking inside compartments), and admins' settings of terminals and compartments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ...extensions import db
from ...hardware.lines import parse_lock_url
from ...models import (
    Compartment,
    CompartmentState,
    DoorEventKind,
    DoorReason,
    DoorState,
    ItemKind,
    ItemState,
    LockerItem,
    Size,
    Staff,
    Status,
    Terminal,
    Ticket,
)
from ...models.base import utcnow
from ..errors import DomainError, NotFound
from ..uow import separate, unit_of_work, use_case
from .doors import _door_event, active_item, door_closed, open_door, open_unless_open, refresh_door
from .reservation import reserve_and_open

def _staff_here(actor: Staff, terminal: Terminal) -> None:
    from ..scope import require_terminal

    require_terminal(actor, terminal)


def collectable(actor: Staff, terminal: Terminal) -> list[LockerItem]:
    """Submissions waiting at this terminal whose tickets are in the staff member's scope."""
    from ..scope import ticket_filter

    return list(db.session.scalars(
        select(LockerItem).join(Compartment).join(Ticket, LockerItem.ticket_id == Ticket.id)
        .where(Compartment.terminal_id == terminal.id, LockerItem.kind == ItemKind.SUBMISSION,
               LockerItem.state == ItemState.HELD, ticket_filter(actor))
        .order_by(Compartment.number)))


def _listed(rows, wanted_id, missing):
    """The row of a list the actor may act on whose id was sent; anything else is not found."""
    from ..validation import record_id

    wanted = record_id(wanted_id)
    found = next((row for row in rows if row.id == wanted), None)
    if found is None:
        raise NotFound(missing)
    return found


def _open_one_of(actor: Staff, terminal: Terminal, item_id, listed, reason: DoorReason, missing) -> LockerItem:
    """Open the door of an item on a staff list (what they may collect, or take back) at this terminal."""
    _staff_here(actor, terminal)
    item = _listed(listed(actor, terminal), item_id, missing)
    open_unless_open(item.compartment, reason, item=item, actor=actor)
    return item


def collect(actor: Staff, terminal: Terminal, item_id) -> LockerItem:
    return _open_one_of(actor, terminal, item_id, collectable, DoorReason.COLLECT, _l("Nothing to collect there."))


def start_return(actor: Staff, terminal: Terminal, ticket_id) -> LockerItem:
    """Staff put a completed ticket's physical result into a compartment of this terminal."""
    from .. import scope

    _staff_here(actor, terminal)
    ticket = scope.get_ticket(actor, ticket_id)
    if ticket.community_id != terminal.community_id:
        raise NotFound(_l("We could not find this ticket."))
    if ticket.status != Status.COMPLETED or not ticket.physical_result:
        raise DomainError(_l("Only a completed ticket with a physical result can be returned through the locker."))
    if db.session.scalar(select(LockerItem.id).where(LockerItem.ticket_id == ticket.id,
                                                    LockerItem.kind == ItemKind.RESULT,
                                                    LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD]))):
        raise DomainError(_l("This result is already in the locker."))
    return reserve_and_open(terminal, ticket, ItemKind.RESULT, DoorReason.RETURN, min_size=Size.M, actor=actor)


def uncollected(actor: Staff, terminal: Terminal | None = None) -> list[LockerItem]:
    """Results whose pickup period has passed, in the staff member's scope (at one terminal, when
    given): to be taken back."""
    from ..scope import ticket_filter

    stmt = (select(LockerItem).join(Ticket, LockerItem.ticket_id == Ticket.id)
            .where(LockerItem.kind == ItemKind.RESULT, LockerItem.state == ItemState.HELD,
                   LockerItem.pickup_expires_at <= utcnow(), ticket_filter(actor))
            .order_by(LockerItem.pickup_expires_at))
    if terminal is not None:
        stmt = stmt.join(Compartment, LockerItem.compartment_id == Compartment.id).where(
            Compartment.terminal_id == terminal.id)
    return list(db.session.scalars(stmt))


def take_back(actor: Staff, terminal: Terminal, item_id) -> LockerItem:
    item = _open_one_of(actor, terminal, item_id, uncollected, DoorReason.TAKE_BACK, _l("Nothing to take back there."))
    with separate("once the door is open the code stops working, whatever the date says"):
        item.pickup_code_hash = None
    return item


def staff_close_door(actor: Staff, terminal: Terminal, compartment_id) -> Compartment:
    """Demo cabinet: a member of staff closes an open simulated door of this terminal."""
    from ..validation import record_id

    _staff_here(actor, terminal)
    compartment = db.session.get(Compartment, record_id(compartment_id) or 0)
    if compartment is None or compartment.terminal_id != terminal.id or terminal.lock_line.kind != "sim":
        raise NotFound(_l("No such compartment."))
    door_closed(compartment, actor=actor)
    return compartment


def to_check(terminal: Terminal) -> list[Compartment]:
    """Compartments that may hold something the app does not know of: staff look inside."""
    return list(db.session.scalars(select(Compartment).where(
        Compartment.terminal_id == terminal.id, Compartment.state == CompartmentState.CHECK)
        .order_by(Compartment.number)))


def check_open(actor: Staff, terminal: Terminal, compartment_id) -> Compartment:
    """Staff open a compartment that waits for a check, to look inside."""
    compartment = _to_check_here(actor, terminal, compartment_id)
    if compartment.door == DoorState.CLOSED:
        open_door(compartment, DoorReason.CHECK, actor=actor)
    return compartment


def checked_empty(actor: Staff, terminal: Terminal, compartment_id) -> Compartment:
    """Staff looked inside, took out anything there, and closed the door: back in service."""
    compartment = _to_check_here(actor, terminal, compartment_id)
    if (item := active_item(compartment)) is not None:
        # Its item's own flow (pickup, collection, taking back) still runs through this door.
        raise DomainError(_l("Door %(number)d still holds the item of ticket %(ticket)s: collect it or take it "
                             "back as usual.", number=compartment.number, ticket=item.ticket.number))
    if terminal.lock_line.kind != "sim" and compartment.door != DoorState.CLOSED:
        refresh_door(compartment)
    if compartment.door != DoorState.CLOSED and terminal.lock_line.kind != "sim":
        raise DomainError(_l("Door %(number)d is not reported closed yet. Close it firmly, then confirm.",
                             number=compartment.number))
    with unit_of_work():
        if compartment.door != DoorState.CLOSED:  # the demo cabinet: confirming closes it
            compartment.door, compartment.door_changed_at = DoorState.CLOSED, utcnow()
        compartment.state, compartment.note = CompartmentState.IN_SERVICE, ""
        _door_event(compartment, DoorEventKind.CHECKED, DoorReason.CHECK, actor=actor,
                    detail="checked and empty")
    return compartment


def _to_check_here(actor: Staff, terminal: Terminal, compartment_id) -> Compartment:
    """A compartment may hold any grid's papers: community staff check it, not volunteers."""
    from ..scope import require_desk_role

    _staff_here(actor, terminal)
    require_desk_role(actor)
    return _listed(to_check(terminal), compartment_id, _l("No such compartment."))


def returnable(actor: Staff, terminal: Terminal) -> list[Ticket]:
    """Completed tickets of this terminal's community with a physical result not yet in a locker."""
    from ..scope import ticket_filter

    in_locker = exists().where(LockerItem.ticket_id == Ticket.id, LockerItem.kind == ItemKind.RESULT)
    return list(db.session.scalars(
        select(Ticket).where(ticket_filter(actor), Ticket.community_id == terminal.community_id,
                             Ticket.status == Status.COMPLETED, Ticket.physical_result.is_(True), ~in_locker)
        .order_by(Ticket.completed_at).limit(50)))


def awaiting_hand_back():
    """Tickets done whose physical result (a certificate, returned originals) is neither in a locker nor
    handed over yet: staff place it in a compartment, or hand it over at the counter and close."""
    in_a_locker = exists().where(LockerItem.ticket_id == Ticket.id, LockerItem.kind == ItemKind.RESULT,
                                 LockerItem.state.in_((ItemState.RESERVED, ItemState.HELD)))
    return (Ticket.status == Status.COMPLETED) & Ticket.physical_result.is_(True) & ~in_a_locker


def hand_back_state(ticket: Ticket) -> str | None:
    """For a ticket's page: "to_hand_back" (nothing done with the result yet), "in_locker", or None."""
    if ticket.status != Status.COMPLETED or not ticket.physical_result:
        return None
    held = db.session.scalar(select(exists().where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.RESULT,
        LockerItem.state.in_((ItemState.RESERVED, ItemState.HELD)))))
    return "in_locker" if held else "to_hand_back"


# ---------------------------------------------------------------- admin: terminals and compartments

def terminals_in_scope(actor: Staff) -> list[Terminal]:
    from ..scope import community_ids_select

    return list(db.session.scalars(select(Terminal).where(
        Terminal.community_id.in_(community_ids_select(actor))).order_by(Terminal.code)))


def admin_terminal(actor: Staff, terminal_id) -> Terminal:
    from ..scope import require_admin

    require_admin(actor)
    return _listed(terminals_in_scope(actor), terminal_id, _l("No such terminal."))


@use_case
def set_compartment_service(actor: Staff, terminal: Terminal, compartment_id, in_service: bool) -> Compartment:
    """Take a compartment out of service, or put it (also a repaired faulty one, or one checked) back."""
    from ..validation import record_id

    compartment = db.session.get(Compartment, record_id(compartment_id) or 0)
    if compartment is None or compartment.terminal_id != terminal.id:
        raise NotFound(_l("No such compartment."))
    if not in_service and active_item(compartment) is not None:
        raise DomainError(_l("Compartment %(number)d still holds something; empty it first.",
                             number=compartment.number))
    from ..admin.audit import AuditAction, record

    before = compartment.state
    compartment.state = CompartmentState.IN_SERVICE if in_service else CompartmentState.OUT_OF_SERVICE
    compartment.note = "" if in_service else str(_l("Taken out of service by %(name)s", name=actor.display_name))
    event = DoorEventKind.IN_SERVICE if in_service else DoorEventKind.OUT_OF_SERVICE
    _door_event(compartment, event, DoorReason.CHECK, actor=actor)
    record(actor, AuditAction.UPDATE, "compartment", compartment.id, name=f"{terminal.code} #{compartment.number}",
           area_id=terminal.community_id, before={"state": before.value}, after={"state": compartment.state.value})
    return compartment


LOCK_URL_HELP = _l("A lock line is sim:// (simulated), agent (a terminal agent drives the board), a serial "
                   "device such as /dev/ttyUSB0, or socket://host:port (an Ethernet-to-RS-485 converter).")


def normalise_lock_url(url: str) -> str:
    """Check a terminal's lock line; raise DomainError with what is accepted."""
    try:
        return parse_lock_url(url).url
    except ValueError:
        raise DomainError(LOCK_URL_HELP) from None


@use_case
def set_lock_url(terminal: Terminal, url: str, actor: Staff | None = None) -> Terminal:
    from ..admin.audit import AuditAction, record

    before = terminal.lock_url
    terminal.lock_url = normalise_lock_url(url)
    record(actor, AuditAction.UPDATE, "terminal", terminal.id, name=terminal.code, area_id=terminal.community_id,
           before={"lock_url": before}, after={"lock_url": terminal.lock_url})
    return terminal


def cabinet(terminal: Terminal) -> list[tuple[Compartment, LockerItem | None]]:
    """Every compartment of a terminal with what it holds (two queries)."""
    from sqlalchemy.orm import selectinload

    rows = db.session.scalars(select(Compartment).where(Compartment.terminal_id == terminal.id)
                              .order_by(Compartment.number)).all()
    active = {i.compartment_id: i for i in db.session.scalars(
        select(LockerItem).where(LockerItem.compartment_id.in_([c.id for c in rows]),
                                 LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD]))
        .options(selectinload(LockerItem.ticket)))}
    return [(c, active.get(c.id)) for c in rows]
