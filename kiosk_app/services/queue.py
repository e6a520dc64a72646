"""The staff queue: tickets in scope, overdue first then by due date, with filters and counts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Channel, Staff, Status, Ticket, TicketCount
from ..models.ticket import IS_OPEN
from . import scope, workdays
from .cache import kept
from .validation import record_id
from .workflow import OPEN
from .uow import use_case

PAGE_SIZE = 25
EXPORT_LIMIT = 20_000
STATUS_CHOICES = ("open", "all", *[s.value for s in Status])
NUMBER_PATTERN = re.compile(r"^[A-Z0-9]{1,8}-\d{6}-\d{3,}$")  # HQ-261126-007


@dataclass(frozen=True)
class Filters:
    status: str = "open"
    service: int | None = None
    grid: int | None = None
    channel: str | None = None
    overdue: bool = False
    due_today: bool = False
    mine: bool = False
    to_hand_back: bool = False  # done, with a physical result neither in a locker nor handed over yet
    q: str = ""
    page: int = 1
    # The page after (or before) the row with this key, as the Next (Previous) link has it: a deep
    # page is found by its key in the index, never by counting past the pages before it (OFFSET).
    after: str = ""
    before: str = ""

    @classmethod
    def from_args(cls, args) -> Filters:
        """Lenient: a value that makes no sense is dropped, never an error page."""
        status = args.get("status") or "open"
        channel = args.get("channel") or None
        page = record_id(args.get("page")) or 1
        return cls(
            status=status if status in STATUS_CHOICES else "open",
            service=record_id(args.get("service")),
            grid=record_id(args.get("grid")),
            channel=channel if channel in {c.value for c in Channel} else None,
            overdue=args.get("overdue") == "1",
            due_today=args.get("due_today") == "1",
            mine=args.get("mine") == "1",
            to_hand_back=args.get("to_hand_back") == "1",
            q="".join((args.get("q") or "").split())[:32],
            page=min(page, 100_000),
            after=_cursor(args.get("after")),
            before=_cursor(args.get("before")),
        )

    @property
    def history(self) -> bool:
        """All tickets or a finished state (or results to hand back): newest first.  The open views
        go by due date (the overdue ones first, as their dates are the earliest)."""
        return self.to_hand_back or self.status not in ("open", *[s.value for s in OPEN])

    def query_string(self, **changes) -> str:
        if "page" in changes and not {"after", "before"} & set(changes):
            changes.update(after="", before="")  # another page number: its own key, or none
        values = replace(self, **changes)
        pairs = {
            "status": values.status if values.status != "open" else None,
            "service": values.service, "grid": values.grid, "channel": values.channel,
            "overdue": "1" if values.overdue else None, "due_today": "1" if values.due_today else None,
            "mine": "1" if values.mine else None, "to_hand_back": "1" if values.to_hand_back else None,
            "q": values.q or None,
            "page": values.page if values.page != 1 else None,
            "after": values.after or None, "before": values.before or None,
        }
        return urlencode({k: v for k, v in pairs.items() if v is not None})


CURSOR = re.compile(r"^(\d{4}-\d{2}-\d{2}\.)?\d{1,12}$")  # "2026-12-01.123" (by due date) or "123" (by id)


def _cursor(value) -> str:
    value = (value or "").strip()
    return value if CURSOR.match(value) else ""


@dataclass
class QueuePage:
    tickets: list[Ticket]
    total: int
    page: int
    pages: int
    status_counts: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def key(ticket: Ticket, filters: Filters) -> str:
        return str(ticket.id) if filters.history else f"{ticket.due_date.isoformat()}.{ticket.id}"

    def next_page(self, filters: Filters) -> str | None:
        """The query string of the next page, or None on the last."""
        if self.page >= self.pages or not self.tickets:
            return None
        return filters.query_string(page=self.page + 1, after=self.key(self.tickets[-1], filters), before="")

    def previous_page(self, filters: Filters) -> str | None:
        if self.page <= 1 or not self.tickets:
            return None
        if self.page == 2:
            return filters.query_string(page=1)
        return filters.query_string(page=self.page - 1, before=self.key(self.tickets[0], filters), after="")


def _seek(filters: Filters, conditions: list, page: int):
    """The page's order, and the condition that starts it at its key; (order, reversed?, offset)."""
    if filters.history:
        key, ahead, back = Ticket.id, [Ticket.id.desc()], [Ticket.id.asc()]
        parse = int
    else:
        key, ahead, back = tuple_(Ticket.due_date, Ticket.id), [Ticket.due_date, Ticket.id], \
            [Ticket.due_date.desc(), Ticket.id.desc()]

        def parse(text):
            day, _, ident = text.partition(".")
            return tuple_(date.fromisoformat(day), int(ident))
    try:
        if filters.after and (filters.history == ("." not in filters.after)):
            conditions.append((key < parse(filters.after)) if filters.history else (key > parse(filters.after)))
            return ahead, False, 0
        if filters.before and (filters.history == ("." not in filters.before)):
            conditions.append((key > parse(filters.before)) if filters.history else (key < parse(filters.before)))
            return back, True, 0
    except ValueError:  # a date that does not exist: as if no key were given
        pass
    return ahead, False, (page - 1) * PAGE_SIZE  # a page asked for by its number alone (a typed address)


def _place(actor: Staff, filters: Filters, on) -> list:
    """Scope, grid, service and channel, on tickets or on their kept counts (``on``: Ticket or TicketCount)."""
    conditions = [scope.ticket_filter(actor, on=on)]
    if filters.grid is not None:
        scope.check_grid(actor, filters.grid)
        conditions.append(on.grid_id == filters.grid)
    if filters.service is not None:
        conditions.append(on.service_id == filters.service)
    if filters.channel:
        conditions.append(on.channel == filters.channel)
    return conditions


def _conditions(actor: Staff, filters: Filters, today: date, *, with_status: bool = True):
    conditions = _place(actor, filters, Ticket)
    if filters.overdue:
        conditions += [IS_OPEN, Ticket.due_date < today]
    if filters.due_today:
        conditions += [IS_OPEN, Ticket.due_date == today]
    if filters.mine:
        conditions.append(Ticket.assignee_id == actor.id)
    if filters.to_hand_back:
        from .locker import awaiting_hand_back

        conditions.append(awaiting_hand_back())
    if filters.q:
        text = filters.q.upper()
        if text.isdigit() and len(text) == 4:
            # Four digits are the last four of a mobile (indexed): never a scan of the history.
            conditions.append(Ticket.mobile_last4 == text)
        elif NUMBER_PATTERN.match(text):
            conditions.append(Ticket.number == text)  # a whole number, as on the receipt (unique index)
        else:
            conditions.append(Ticket.number.contains(text))  # part of a number
    if with_status and not filters.to_hand_back:  # (those are all done: the status filter steps aside)
        if filters.status == "open":
            conditions.append(IS_OPEN)
        elif filters.status != "all":
            conditions.append(Ticket.status == Status(filters.status))
    return conditions


def queue(actor: Staff, filters: Filters, today: date | None = None) -> QueuePage:
    today = today or workdays.local_date(_now())
    conditions = _conditions(actor, filters, today)
    counts = status_counts(actor, filters, today)
    if _counted(filters):
        total = counts.get(filters.status, 0)
    else:
        total = db.session.scalar(select(func.count()).select_from(Ticket).where(*conditions))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    order, backwards, offset = _seek(filters, conditions, page)
    stmt = (
        select(Ticket)
        .where(*conditions)
        .options(joinedload(Ticket.service), joinedload(Ticket.grid), joinedload(Ticket.building),
                 joinedload(Ticket.assignee))
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset(offset)
    )
    tickets = list(db.session.scalars(stmt).unique())
    if backwards:
        tickets.reverse()
    return QueuePage(tickets=tickets, total=total, page=page, pages=pages, status_counts=counts)


def _counted(filters: Filters) -> bool:
    """Whether the database's kept counts (TicketCount) answer for these filters: all but those on
    what they do not hold (a deadline, an assignee, a search, results to hand back)."""
    return not (filters.overdue or filters.due_today or filters.mine or filters.to_hand_back or filters.q)


def _kept_counts(actor: Staff, filters: Filters) -> dict[str, int]:
    conditions = _place(actor, filters, TicketCount)
    return {status: int(n) for status, n in db.session.execute(
        select(TicketCount.status, func.sum(TicketCount.n)).where(*conditions).group_by(TicketCount.status))}


def status_counts(actor: Staff, filters: Filters, today: date) -> dict[str, int]:
    """Tickets per status for the tabs, under the other filters.

    Read from the counts the database keeps (TicketCount: a few rows per grid and service, however
    long the history); under a filter they do not hold, the open states are counted on every view
    (their partial indexes hold only open tickets) and the finished ones, bounded by that filter,
    are kept per worker for CACHE_SECONDS.
    """
    if _counted(filters):
        counts = _kept_counts(actor, filters)
        counts["open"] = sum(counts.get(s.value, 0) for s in OPEN)
        counts["all"] = sum(counts.get(s.value, 0) for s in Status)
        return counts
    conditions = _conditions(actor, filters, today, with_status=False)
    counts = {status.value: n for status, n in db.session.execute(
        select(Ticket.status, func.count()).where(*conditions, IS_OPEN).group_by(Ticket.status))}
    if not (filters.overdue or filters.due_today):  # (those are open by definition: none finished)
        counts.update(kept(("finished_counts", actor.id, filters.query_string(status="all", page=1), today), lambda: {
            status.value: n for status, n in db.session.execute(
                select(Ticket.status, func.count()).where(*conditions, Ticket.status.not_in(OPEN))
                .group_by(Ticket.status))}))
    counts["open"] = sum(counts.get(s.value, 0) for s in OPEN)
    counts["all"] = sum(counts.get(s.value, 0) for s in Status)
    return counts


@use_case
def export_rows(actor: Staff, filters: Filters, today: date | None = None) -> list[Ticket]:
    """The filtered queue for a CSV file; every export is recorded (who, when, what, how many)."""
    from ..models import DataExport

    from .admin.audit import AuditAction, record

    today = today or workdays.local_date(_now())
    stmt = (
        select(Ticket)
        .where(*_conditions(actor, filters, today))
        .options(joinedload(Ticket.service), joinedload(Ticket.grid), joinedload(Ticket.building),
                 joinedload(Ticket.assignee))
        .order_by(Ticket.due_date, Ticket.id)
        .limit(EXPORT_LIMIT)
    )
    rows = list(db.session.scalars(stmt).unique())
    unmasked = scope.may_export_personal_data(actor)
    db.session.add(DataExport(staff_id=actor.id, filters=filters.query_string(page=1)[:500], rows=len(rows),
                              unmasked=unmasked))
    record(actor, AuditAction.EXPORT, "queue", None, name=filters.query_string(page=1)[:200], area_id=actor.area_id,
           after={"rows": len(rows), "unmasked": unmasked})
    return rows


def deadline_counts(actor: Staff, today: date | None = None) -> dict[str, int]:
    """Overdue and due-today tickets in scope, for the navigation on every staff page (one query)."""
    today = today or workdays.local_date(_now())
    # Both are due by today: the bound lets the database read the open tickets' index (due date
    # second) from its start to today alone (SQLite otherwise read every open ticket's row).
    stmt = select(
        func.count().filter(Ticket.due_date < today),
        func.count().filter(Ticket.due_date == today),
    ).where(scope.ticket_filter(actor), IS_OPEN, Ticket.due_date <= today)
    overdue, due_today = db.session.execute(stmt).one()
    return {"overdue": overdue or 0, "due_today": due_today or 0}


def _now():
    from ..models.base import utcnow

    return utcnow()
