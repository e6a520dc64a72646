"""Tickets: submission by a resident, numbering, and finding a ticket again.

What a resident sees of a ticket (its status page, its timeline) is ``ticket_status``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, case, cast, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached

from ..extensions import db
from ..models import (
    Area,
    Building,
    Channel,
    Notification,
    Service,
    Staff,
    Status,
    Terminal,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketEventKind,
)
from ..models import sealed
from ..metrics import TICKETS as TICKETS_ISSUED
from ..models.base import utcnow
from . import notifications, throttle, validation, workdays
from .errors import DomainError, InvalidInput, NotFound, Throttled
from .ticket_status import TOKEN
from .uow import separate, unit_of_work, use_case, write_turn

FIELDS = ("name", "mobile", "building", "id_number", "details")
SUBMISSION_KEY_LENGTH = 32


# ---------------------------------------------------------------- numbering

def format_number(community_code: str, day: date, sequence: int) -> str:
    """HY + 2026-11-26 + 7 → ``HY-261126-007`` (short enough to read out at a counter)."""
    return f"{community_code}-{day:%y%m%d}-{sequence:03d}"


_COUNTERS = TicketCounter.__table__
_BUMP = (
    update(_COUNTERS)
    .where(_COUNTERS.c.community_id == bindparam("community"), _COUNTERS.c.day == bindparam("on_day"))
    .values(last=_COUNTERS.c.last + 1)
    .returning(_COUNTERS.c.last)
)


def next_sequence(community_id: int, day: date) -> int:
    """Atomically take the next number of a community's day.

    ``UPDATE … RETURNING`` takes the row's write lock, so concurrent submissions queue on it
    (PostgreSQL row lock, SQLite database lock) and never see the same value.  The first ticket
    of a day creates the row; ``ON CONFLICT DO NOTHING`` lets a concurrent first one win quietly.
    """
    connection = db.session.connection()  # plain SQL on the session's transaction
    key = {"community": community_id, "on_day": day}
    value = connection.execute(_BUMP, key).scalar_one_or_none()
    if value is None:
        upsert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(upsert(_COUNTERS).values(community_id=community_id, day=day, last=0).on_conflict_do_nothing())
        value = connection.execute(_BUMP, key).scalar_one()
    return value


# ---------------------------------------------------------------- submission

@dataclass(frozen=True)
class CleanRequest:
    name: str
    mobile: str
    building: Building
    id_number: str | None
    details: str


def clean_field(field: str, value: str | None, *, service: Service, community: Area) -> str | Building | None:
    """Validate one field of the request form (raises ``validation.FieldError``)."""
    if field == "name":
        return validation.clean_name(value)
    if field == "mobile":
        return validation.clean_mobile(value)
    if field == "id_number":
        return validation.clean_id_number(value) if service.needs_id_number else None
    if field == "details":
        return validation.clean_details(value)
    if field == "building":
        from .catalogue import building_of

        building = building_of(community, validation.record_id(value))
        if building is None:
            raise validation.FieldError(_l("Please choose your building from the list."))
        return building
    raise KeyError(field)


def field_message(field: str, value: str | None, *, service: Service, community: Area) -> str:
    """The message for one field as the resident leaves it ("" when it is fine)."""
    try:
        clean_field(field, value, service=service, community=community)
    except validation.FieldError as error:
        return str(error.message)
    return ""


def form_messages(form, *, service: Service, community: Area) -> dict[str, str]:
    """The message of every field of the form that is wrong, by field."""
    return {field: message for field in FIELDS
            if (message := field_message(field, form.get(field), service=service, community=community))}


def validate_request(form: dict, *, service: Service, community: Area) -> CleanRequest:
    """Every field's rule at once; ``InvalidInput`` carries a message per wrong field."""
    cleaned, errors = {}, {}
    for field in FIELDS:
        try:
            cleaned[field] = clean_field(field, form.get(field), service=service, community=community)
        except validation.FieldError as error:
            errors[field] = error.message
    if errors:
        raise InvalidInput(errors)
    return CleanRequest(**cleaned)


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def submit_request(
    form: dict,
    *,
    service: Service,
    community: Area,
    channel: Channel,
    terminal: Terminal | None = None,
    submission_key: str | None = None,
    locale: str = "zh_CN",
    entered_by: Staff | None = None,
    sms_opt_in: bool = True,
) -> Ticket:
    """Create a ticket from a resident's form, or return the one this same form already made."""
    if service.guidance_only:
        raise DomainError(_l("This matter is not handled by the community; see where to go instead."))
    if terminal is not None and terminal.community_id != community.id:
        raise NotFound(_l("No such terminal."))
    from .catalogue import offered

    if service.id not in offered(community.id):
        raise NotFound(_l("This service does not exist or is no longer offered."))
    key = (submission_key or "").strip()[:64] or None
    clean = validate_request(form, service=service, community=community)
    for _attempt in range(3):
        try:
            ticket = _issue(clean, key, service=service, community=community, channel=channel, terminal=terminal,
                            locale=locale, entered_by=entered_by, sms_opt_in=sms_opt_in)
            TICKETS_ISSUED.labels(channel.value).inc()
            return ticket
        except IntegrityError:
            # The same form again (a double tap, a re-sent page, or both at once): the unique
            # submission key refused the second ticket; the first one is the answer.
            if key and (existing := _by_submission_key(key)) is not None:
                return existing
    raise DomainError(_l("The ticket could not be issued. Please try again."))


_INSERT_TICKET = insert(Ticket.__table__).returning(Ticket.__table__.c.id)
_INSERT_EVENT = insert(TicketEvent.__table__)
_INSERT_MESSAGE = insert(Notification.__table__)


def _issue(clean: CleanRequest, key: str | None, *, service: Service, community: Area, channel: Channel,
           terminal: Terminal | None, locale: str, entered_by: Staff | None, sms_opt_in: bool) -> Ticket:
    """One short transaction: the day's next number, the ticket, its first event and its first message.

    Everything that can be worked out beforehand is; inside, plain SQL: on PostgreSQL one statement,
    on SQLite (where the whole write transaction is the queue every submission waits in) four.
    """
    now = utcnow()
    day = workdays.local_date(now)
    values = dict(
        token=secrets.token_urlsafe(24), submission_key=key, community_id=community.id, service_id=service.id,
        service_name_zh=service.name_zh, service_name_en=service.name_en,
        grid_id=clean.building.grid_id, building_id=clean.building.id, terminal_id=terminal.id if terminal else None,
        channel=channel, status=Status.SUBMITTED, resident_name=clean.name, resident_mobile=clean.mobile,
        mobile_lookup=sealed.lookup(clean.mobile), mobile_last4=clean.mobile[-4:], id_number=clean.id_number,
        id_number_lookup=sealed.lookup(clean.id_number) if clean.id_number else None, details=clean.details, locale=locale,
        sms_opt_in=sms_opt_in, due_date=workdays.due_date_for(now, service.deadline_days), physical_result=False,
        assignee_id=None, opened_at=None, completed_at=None, created_at=now, updated_at=now, version=1,
    )
    event = dict(action=TicketEventKind.SUBMITTED, from_status=None, to_status=Status.SUBMITTED,
                 actor_staff_id=entered_by.id if entered_by else None, actor_label=f"resident:{channel.value}",
                 note="", params="", public=True, created_at=now)
    # The caller shows this ticket at once: kept loaded, it is not read back after the commit.
    with write_turn(), separate("the day's numbers: every submission of a community waits for the counter's "
                                "lock while this transaction holds it", keep_loaded=True):
        connection = db.session.connection()  # plain SQL on the session's transaction
        write = _write_numbered if connection.dialect.name == "postgresql" else _write
        ticket = write(connection, values, event, community, day)
        # The row just written, as a persistent object without reading it back.
        make_transient_to_detached(ticket)
        db.session.add(ticket)
    return ticket


def _write(connection, values: dict, event: dict, community: Area, day: date) -> Ticket:
    """SQLite: the day's next number, then three INSERTs (SQLite serialises write transactions)."""
    ticket = Ticket(**values, number=format_number(community.code, day, next_sequence(community.id, day)))
    ticket.id = connection.execute(_INSERT_TICKET, {**values, "number": ticket.number}).scalar_one()
    connection.execute(_INSERT_EVENT, {**event, "ticket_id": ticket.id})
    message = notifications.compose(ticket, "issued", due=ticket.due_date.isoformat())
    if message is not None:
        connection.execute(_INSERT_MESSAGE, message)
    return ticket


def _write_numbered(connection, values: dict, event: dict, community: Area, day: date) -> Ticket:
    """PostgreSQL: one statement takes the day's next number and writes the ticket, its first event
    and its first message; the COMMIT follows at once.

    The day's counter row is the one lock every submission of a community waits for: this statement
    takes it and the COMMIT right after it lets it go.  The message is composed beforehand around a
    placeholder that the statement replaces by the number.
    """
    placeholder = "#" + secrets.token_hex(15)
    ticket = Ticket(**values, number=placeholder)
    # written only while the number has texts left (notifications.ALLOWANCE), asked in the same statement
    message = notifications.message_values(ticket, "issued", due=ticket.due_date.isoformat())
    params = {"community": community.id, "on_day": day, "prefix": format_number(community.code, day, 0)[:-3],
              "placeholder": placeholder,
              **{f"ticket_{name}": value for name, value in values.items()},
              **{f"event_{name}": value for name, value in event.items()},
              **{f"message_{name}": value for name, value in (message or {}).items() if name != "ticket_id"},
              **(notifications.allowance(ticket.resident_mobile) if message else {})}
    statement = _numbered_write_statement(tuple(values), tuple(event), tuple(message or ()))
    row = connection.execute(statement, params).first()
    if row is None:  # the day's first ticket: make the counter row, then number
        connection.execute(pg_insert(_COUNTERS).values(community_id=community.id, day=day, last=0)
                           .on_conflict_do_nothing())
        row = connection.execute(statement, params).one()
    ticket.id, ticket.number, queued = row
    if message and not queued:
        notifications.not_queued(ticket.resident_mobile)
    return ticket


@lru_cache(maxsize=8)
def _numbered_write_statement(values: tuple[str, ...], event: tuple[str, ...], message: tuple[str, ...]):
    """The statement of ``_write_numbered`` for these columns, built once: data-modifying CTEs, each
    fed by the one before (no counter row, no ticket; no ticket, no event and no message; no texts
    left for the number, no message).  It answers the ticket's id and number, and whether the message
    was queued."""
    tickets, events, messages = Ticket.__table__, TicketEvent.__table__, Notification.__table__
    counter = _BUMP.cte("counter")
    number = bindparam("prefix", type_=String) + case(
        (counter.c.last < 1000, func.lpad(cast(counter.c.last, String), 3, "0")), else_=cast(counter.c.last, String))
    ticket = insert(tickets).from_select(
        [*(tickets.c[name] for name in values), tickets.c.number],
        select(*(bindparam(f"ticket_{name}", type_=tickets.c[name].type) for name in values), number)
        .select_from(counter),
    ).returning(tickets.c.id, tickets.c.number).cte("ticket")
    written = []
    for table, prefix, names in ((events, "event", event), (messages, "message", message)):
        names = [name for name in names if name != "ticket_id"]
        if not names:
            continue
        columns = [bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in names]
        rows = select(ticket.c.id, *columns)
        if table is messages:  # its text and parameters carry the number: the placeholder is replaced here
            rows = select(ticket.c.id, *(func.replace(column, bindparam("placeholder"), ticket.c.number)
                                         if name in ("body", "params") else column
                                         for name, column in zip(names, columns))).where(notifications.ALLOWANCE)
        written.append(insert(table).from_select([table.c.ticket_id, *(table.c[name] for name in names)], rows)
                       .returning(table.c.id).cte(f"first_{prefix}"))
    queued = select(func.count()).select_from(written[-1]).scalar_subquery() if message else literal(0)
    return select(ticket.c.id, ticket.c.number, queued).add_cte(*written)


@use_case
def send_by_text_after_all(ticket: Ticket) -> bool:
    """A resident who declined messages asks for the ticket by text after all (say, the receipt
    printer failed).  Once: a second request sends nothing more.  Returns whether a message went out."""
    from ..models import Notification

    if ticket.sms_opt_in:
        already = db.session.scalar(db.select(Notification.id).filter_by(ticket_id=ticket.id, kind="issued"))
        if already is not None:
            return False
    ticket.sms_opt_in = True
    notifications.enqueue(ticket, "issued", due=ticket.due_date.isoformat())
    return True


def _by_submission_key(key: str) -> Ticket | None:
    return db.session.scalar(db.select(Ticket).filter_by(submission_key=key))


# ---------------------------------------------------------------- finding a ticket

# Built once: a statement built per call (its loader options, its cache key) cost a third as much
# again as running it.
_BY_TOKEN = db.select(Ticket).where(Ticket.token == bindparam("token")).options(
    joinedload(Ticket.service), joinedload(Ticket.community))


def get_by_token(token: str) -> Ticket:
    """The ticket behind a status address, with its service and community, to act on it (the status
    page itself reads ``ticket_status.status_by_token``)."""
    ticket = db.session.scalars(_BY_TOKEN, {"token": token}).first() if token and TOKEN.match(token) else None
    if ticket is None:
        raise NotFound(_l("We could not find this ticket."))
    return ticket


LOOKUP_REFUSED = _l("No ticket matches this number and these digits. Please check both and try again.")
LOOKUP_PAUSED = _l("Too many attempts. Please wait a few minutes, or scan the QR code on your ticket.")


def find_for_resident(number: str, last4: str, *, client: str, limit: int, window_seconds: int) -> Ticket:
    """A ticket by its number and the last four digits of the mobile.

    Wrong and unknown combinations get the same message, and failures are counted per number
    and per client so that nobody can try all 10,000 endings.
    """
    number = "".join(validation._normalise(number).split()).upper()[:32]
    last4 = "".join(validation._normalise(last4).split())[:8]
    keys = (f"lookup:number:{number}", f"lookup:client:{client}")
    limits = (limit, limit * 6)
    # Count the attempt first (atomically), so parallel guesses are all counted.
    counts = [throttle.count_attempt(k, window_seconds) for k in keys]
    if any(count > lim for count, lim in zip(counts, limits)):
        raise Throttled(LOOKUP_PAUSED)
    with unit_of_work():
        ticket = None
        if number and len(last4) == 4 and last4.isdigit():
            ticket = db.session.scalar(db.select(Ticket).filter_by(number=number, mobile_last4=last4))
        if ticket is None:
            raise InvalidInput({"number": LOOKUP_REFUSED})
        throttle.clear(keys[0])
        throttle.forgive(keys[1])
    return ticket
