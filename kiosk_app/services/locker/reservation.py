"""Reserving a compartment and opening it; residents' drop-offs; stranded reservations (the sweeper)."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import (
    Channel,
    CommandState,
    Compartment,
    CompartmentState,
    DoorCommand,
    DoorEvent,
    DoorEventKind,
    DoorReason,
    DoorState,
    ItemKind,
    ItemState,
    LockBoardState,
    LockerItem,
    Size,
    Staff,
    Status,
    Terminal,
    Ticket,
    TicketEvent,
)
from ...models.base import utcnow
from ..errors import DomainError, NotFound
from ..uow import separate, use_case
from ..workflow import Action, record_locker_transition
from .boards import _read_board
from .doors import DoorFault, LockerUnavailable, _door_event, open_door
from .notes import _ticket_note


class TerminalFull(DomainError):
    pass


FULL = _l("Sorry, every compartment of a fitting size is in use. Please hand the papers in at the service "
          "centre, or try another locker.")


# ---------------------------------------------------------------- reserving

def _free_compartments(terminal_id: int, min_size: Size):
    active = exists().where(LockerItem.compartment_id == Compartment.id,
                            LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD]))
    sizes = [s for s in Size if s.rank >= min_size.rank]
    return (
        select(Compartment)
        .where(Compartment.terminal_id == terminal_id, Compartment.state == CompartmentState.IN_SERVICE,
               Compartment.size.in_(sizes), Compartment.door == DoorState.CLOSED, ~active)
    )


def active_item_of(ticket: Ticket, kind: ItemKind) -> LockerItem | None:
    return db.session.scalar(select(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == kind,
        LockerItem.state.in_([ItemState.RESERVED, ItemState.HELD])))


def reserve(terminal: Terminal, ticket: Ticket, kind: ItemKind, min_size: Size = Size.S,
            actor: Staff | None = None) -> LockerItem:
    """Hold a free compartment of at least ``min_size`` for ``ticket`` (smallest fitting first, on a
    board that answers before one that did not).

    Safe under concurrency: PostgreSQL skips rows other transactions are locking, and unique indexes
    on active items refuse a second item in a compartment and a second active item of a kind for one
    ticket (a double tap: the other request's item is returned); a refused attempt tries the next
    compartment.  Each failed attempt means another request got a compartment, so this ends.
    """
    faulty_boards = select(LockBoardState.number).where(LockBoardState.terminal_id == terminal.id,
                                                        LockBoardState.fault != "")
    smallest_first = case((Compartment.size == Size.S, 0), (Compartment.size == Size.M, 1), else_=2)
    answering_first = case((Compartment.board.in_(faulty_boards), 1), else_=0)
    stmt = (_free_compartments(terminal.id, min_size)
            .order_by(answering_first, smallest_first, Compartment.number).limit(1))
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Compartment)
    for _attempt in range(200):
        try:
            with separate(RESERVED_FIRST):
                compartment = db.session.scalar(stmt)
                if compartment is None:
                    raise TerminalFull(FULL)
                item = LockerItem(compartment_id=compartment.id, ticket_id=ticket.id, kind=kind,
                                  state=ItemState.RESERVED, created_by_id=actor.id if actor else None)
                db.session.add(item)
        except IntegrityError:
            if (other := active_item_of(ticket, kind)) is not None:
                return other
            continue
        item.just_reserved = True  # not a column: tells reserve_and_open this request made it
        return item
    raise TerminalFull(FULL)


RESERVED_FIRST = "the compartment is held before its door is driven, and no transaction waits on the hardware"


def reserve_and_open(terminal: Terminal, ticket: Ticket, kind: ItemKind, reason: DoorReason, *,
                     min_size: Size = Size.S, actor: Staff | None = None, actor_label: str = "") -> LockerItem:
    """Reserve a compartment and open it: one lock commanded at most.  If the door fails the item is
    given up and the error raised (``DoorFault``, ``LockerUnavailable``), so the person is told at once
    and may try another compartment; a fault never walks through the cabinet door by door.  The
    ticket's timeline says what happened (the resident's status page shows it)."""
    if (existing := active_item_of(ticket, kind)) is not None:  # a double tap: the first tap's door
        return existing
    try:
        item = reserve(terminal, ticket, kind, min_size, actor)
    except TerminalFull:
        if kind == ItemKind.SUBMISSION:
            with separate("the resident's ticket says no door opened"):
                _ticket_note(ticket, "locker_full", None)
        raise
    if not getattr(item, "just_reserved", False):  # the other request of a double tap reserved it
        return item
    try:
        open_door(item.compartment, reason, item=item, actor=actor, actor_label=actor_label)
    except (DoorFault, LockerUnavailable) as error:
        # (A worker that dies before this leaves the reservation to the sweeper, which releases it.)
        with separate("the reservation is given up once its door has failed"):
            item.state, item.ended_at = ItemState.CANCELLED, utcnow()
            if kind == ItemKind.SUBMISSION:
                problem = ("door_unknown" if getattr(error, "possibly_open", False)
                           else "door_jammed" if isinstance(error, DoorFault) else "locker_fault")
                _ticket_note(ticket, problem, item.compartment)
        raise
    return item


# ---------------------------------------------------------------- residents' drop-offs

# What went wrong with a drop-off, as the resident's ticket page tells it (the latest of these wins).
DROP_OFF_PROBLEMS = ("locker_full", "locker_fault", "door_jammed", "door_unknown", "dropoff_released",
                     "dropoff_escalated")
# After these another compartment may well open (the board may have recovered, a door been freed).
RETRYABLE = ("locker_full", "locker_fault", "door_jammed", "dropoff_released")


def drop_off_problem(ticket: Ticket) -> TicketEvent | None:
    """What the resident must be told about a drop-off that did not put their papers in a compartment
    (the latest locker problem on the timeline, unless papers went in or a door is open for them since)."""
    if ticket.channel != Channel.LOCKER or ticket.status == Status.WITHDRAWN:
        return None
    if active_item_of(ticket, ItemKind.SUBMISSION) is not None:
        return None
    last = db.session.scalar(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id,
        TicketEvent.action.in_((*DROP_OFF_PROBLEMS, "papers_deposited"))).order_by(TicketEvent.id.desc()).limit(1))
    return last if last is not None and last.action != "papers_deposited" else None


def drop_off_tried(ticket: Ticket) -> bool:
    """Whether this ticket's drop-off has already had its go: a compartment was reserved for it, or
    none was free.  The same form sent again then tries no door."""
    return db.session.scalar(select(
        exists().where(LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.SUBMISSION)
        | exists().where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "locker_full")))


def tries_left(ticket: Ticket) -> bool:
    tries = db.session.scalar(select(db.func.count()).select_from(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.SUBMISSION))
    return tries < current_app.config["DROP_OFF_TRIES"]


def retry_drop_off(terminal: Terminal, ticket: Ticket, *, actor_label: str = "resident") -> LockerItem:
    """One more try for a ticket whose drop-off did not open a door: another compartment, one lock."""
    if ticket.terminal_id != terminal.id or ticket.channel != Channel.LOCKER:
        raise NotFound(_l("We could not find this ticket."))
    if (item := active_item_of(ticket, ItemKind.SUBMISSION)) is not None:
        return item
    if drop_off_problem(ticket) is None or ticket.status != Status.SUBMITTED:
        raise DomainError(_l("Nothing to try again for this ticket."))
    if not tries_left(ticket):
        raise DomainError(_l("The locker has been tried enough times for this ticket. Please hand the papers in "
                             "at the service centre."))
    return reserve_and_open(terminal, ticket, ItemKind.SUBMISSION, DoorReason.DROP_OFF,
                            min_size=ticket.service.papers_size if ticket.service.needs_paperwork else Size.S, actor_label=actor_label)


def item_by_token(terminal: Terminal, token: str) -> LockerItem:
    """An item of this terminal by its token (the route checks the browser is the item's owner)."""
    item = db.session.scalar(select(LockerItem).filter_by(token=(token or "")[:32])) if token else None
    if item is None or item.compartment.terminal_id != terminal.id:
        raise NotFound(_l("Nothing to show there."))
    return item


@use_case
def cancel_drop_off(item: LockerItem) -> LockerItem:
    """The resident gave up before closing the door on their papers."""
    if item.kind != ItemKind.SUBMISSION or item.state != ItemState.RESERVED:
        raise NotFound(_l("Nothing to cancel there."))
    item.state, item.ended_at = ItemState.CANCELLED, utcnow()
    record_locker_transition(item.ticket, Action.WITHDRAW, actor_label="resident")
    return item


def given_up_by_resident(item: LockerItem) -> bool:
    """A drop-off the resident cancelled (its ticket withdrawn), not one the sweeper released."""
    return item.kind == ItemKind.SUBMISSION and item.state == ItemState.CANCELLED \
        and item.ticket.status == Status.WITHDRAWN


def left_open_after_cancelling(item: LockerItem) -> bool:
    """The resident gave up and the door they opened may still be open: their screen stays on it,
    saying to close it, until it is closed."""
    return given_up_by_resident(item) and item.compartment.door in (DoorState.OPEN, DoorState.UNKNOWN)


def submission_in_locker(ticket: Ticket) -> LockerItem | None:
    """The resident's papers, while they wait in a compartment."""
    if ticket.channel != Channel.LOCKER:  # only a locker drop-off puts papers in a compartment
        return None
    return db.session.scalar(select(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.SUBMISSION, LockerItem.state == ItemState.HELD))


# ---------------------------------------------------------------- stranded reservations

_last_sweep: dict[int, float] = {}


def maybe_sweep(terminal: Terminal) -> None:
    """Sweep from the terminal's own traffic (its screen, door pages, its agent), at most every
    SWEEP_SECONDS per terminal and worker: a reservation left by a worker that died mid drop-off
    ends even if nobody runs ``flask locker check``."""
    now = time.monotonic()
    if now - _last_sweep.get(terminal.id, -1e9) < current_app.config["SWEEP_SECONDS"]:
        return
    _last_sweep[terminal.id] = now
    sweep(terminal)


@use_case
def sweep(terminal: Terminal | None = None) -> dict[str, int]:
    """End what was left half done, and say so with a door event each:
    - an agent's door command not done within AGENT_COMMAND_SECONDS is given up (the agent will not
      open that door later), and its reservation released if the door never opened;
    - a reservation older than RESERVATION_TIMEOUT_SECONDS whose door never opened is released;
    - one whose door opened (or may have) and was never closed is escalated: the item is given up and
      the compartment waits for staff to look inside (the open-door alert is already up).
    """
    config, now = current_app.config, utcnow()
    counts = {"expired_commands": 0, "released": 0, "escalated": 0}
    stale_commands = select(DoorCommand).where(
        DoorCommand.state == CommandState.PENDING,
        DoorCommand.created_at < now - timedelta(seconds=config["AGENT_COMMAND_SECONDS"]))
    if terminal is not None:
        stale_commands = stale_commands.where(DoorCommand.terminal_id == terminal.id)
    for command in db.session.scalars(stale_commands).all():
        command.state, command.done_at = CommandState.FAILED, now
        command.error = "expired: the terminal's agent did not answer in time"
        counts["expired_commands"] += 1
        if command.item is not None and command.item.state == ItemState.RESERVED and not _opened(command.item):
            _release(command.item, "the terminal's agent did not answer")
            counts["released"] += 1
    stale = select(LockerItem).join(Compartment).where(
        LockerItem.state == ItemState.RESERVED,
        LockerItem.created_at < now - timedelta(seconds=config["RESERVATION_TIMEOUT_SECONDS"]))
    if terminal is not None:
        stale = stale.where(Compartment.terminal_id == terminal.id)
    for item in db.session.scalars(stale).all():
        for command in db.session.scalars(select(DoorCommand).filter_by(item_id=item.id,
                                                                        state=CommandState.PENDING)):
            command.state, command.done_at, command.error = CommandState.FAILED, now, "expired"
        if item.compartment.door == DoorState.CLOSED and not _opened(item) and _reads_closed(item.compartment):
            _release(item, "reservation timed out before the door opened")
            counts["released"] += 1
        else:
            _escalate(item)
            counts["escalated"] += 1
    return counts


def _reads_closed(compartment: Compartment) -> bool:
    """Before a compartment is given back: a worker may have died after its open frame went out and
    before it recorded the opening, so a real board is asked.  A lock that reads open is recorded
    open; a board that does not answer leaves the door possibly open."""
    terminal = compartment.terminal
    if terminal.lock_line.kind in ("sim", "agent"):  # nothing commanded that the app did not record
        return True
    states = _read_board(terminal, compartment.board)
    closed = None if states is None else states.get(compartment.lock)
    if closed:
        return True
    compartment.door = DoorState.OPEN if closed is False else DoorState.UNKNOWN
    compartment.door_changed_at = utcnow()
    return False


def _opened(item: LockerItem) -> bool:
    return db.session.scalar(select(exists().where(DoorEvent.item_id == item.id,
                                                   DoorEvent.event == DoorEventKind.OPENED)))


def _release(item: LockerItem, detail: str) -> None:
    item.state, item.ended_at = ItemState.CANCELLED, utcnow()
    _door_event(item.compartment, DoorEventKind.RELEASED, _opening_reason(item), item=item,
                actor_label="sweeper", detail=detail)
    if item.kind == ItemKind.SUBMISSION:
        _ticket_note(item.ticket, "dropoff_released", item.compartment)


ESCALATED = _l("Left open past its time: check for papers of ticket %(number)s, then put it back in service")


def _escalate(item: LockerItem) -> None:
    compartment = item.compartment
    item.state, item.ended_at = ItemState.CANCELLED, utcnow()
    compartment.state = CompartmentState.CHECK
    compartment.note = str(ESCALATED % {"number": item.ticket.number})[:200]
    _door_event(compartment, DoorEventKind.ESCALATED, _opening_reason(item), item=item, actor_label="sweeper",
                detail=f"door {compartment.door.value} past RESERVATION_TIMEOUT_SECONDS; ticket {item.ticket.number}")
    if item.kind == ItemKind.SUBMISSION:
        _ticket_note(item.ticket, "dropoff_escalated", compartment)


def _opening_reason(item: LockerItem) -> DoorReason:
    return DoorReason.DROP_OFF if item.kind == ItemKind.SUBMISSION else DoorReason.RETURN
