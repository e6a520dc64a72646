"""A large, realistic ticket history generated in bulk (for benchmarks; never for the demo).

Tickets are spread over every community, grid, building and active service, over the last
``days`` days, in every state, each with the events its state implies, from a pool of residents
(people come back; their numbers are sealed once each).  On PostgreSQL rows go in with COPY with the
tables' triggers quiet, and the kept counts and daily summaries are made once at the end, as a restore
does: a million tickets and their 4.5 million events in under a minute.  On SQLite, multi-row INSERTs in chunks.
"""

from __future__ import annotations

import enum
import operator
import queue
import random
import secrets
import threading
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, insert, select, text

from kiosk_app.extensions import db
from kiosk_app.models import (Area, AreaLevel, Building, Channel, Rating, Service, Staff, Status, Ticket, TicketCounter,
                              TicketEvent)
from kiosk_app.models import sealed
from kiosk_app.models.base import utcnow
from kiosk_app.services import workdays

PATHS = {
    Status.SUBMITTED: ["submitted"],
    Status.ACCEPTED: ["submitted", "accept"],
    Status.IN_PROGRESS: ["submitted", "accept", "start"],
    Status.NEEDS_INFO: ["submitted", "accept", "start", "ask_info"],
    Status.COMPLETED: ["submitted", "accept", "start", "complete"],
    Status.REJECTED: ["submitted", "reject"],
    Status.CLOSED: ["submitted", "accept", "start", "complete", "close"],
}
AFTER = {"submitted": Status.SUBMITTED, "accept": Status.ACCEPTED, "start": Status.IN_PROGRESS,
         "ask_info": Status.NEEDS_INFO, "complete": Status.COMPLETED, "reject": Status.REJECTED,
         "close": Status.CLOSED}
# Most history is finished; a working queue holds a few percent.
WEIGHTS = {Status.SUBMITTED: 3, Status.ACCEPTED: 2, Status.IN_PROGRESS: 3, Status.NEEDS_INFO: 1,
           Status.COMPLETED: 15, Status.REJECTED: 3, Status.CLOSED: 73}


RATED = 0.4  # of closed tickets, rated by their residents, mostly well
LEVELS, LEVEL_WEIGHTS = [5, 4, 3, 2, 1], [60, 25, 9, 4, 2]
RESIDENTS = 50_000
EVENT_COLUMNS = ("id", "ticket_id", "created_at", "action", "from_status", "to_status", "actor_staff_id",
                 "actor_label", "note", "params", "public")
STEPS = [timedelta(hours=step * 3) for step in range(6)]  # an event every three hours
CHANNELS = [c.value for c in Channel]


def _residents(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(mobile, as stored, its digest) for ``count`` residents."""
    ring = sealed.keyring()
    mobiles = {f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" for _ in range(count)}
    return [(m, ring.seal(m, "tickets.resident_mobile"), ring.lookup(m)) for m in sorted(mobiles)]


def _row_maker(table, now):
    """A function making a row as COPY takes it from a dict: every column in order, the Python-side
    defaults filled in (enum values already given as their strings)."""
    defaults = {}
    for column in table.columns:
        default = column.default
        value = None if default is None else default.arg if default.is_scalar else now
        defaults[column.key] = value.value if isinstance(value, enum.Enum) else value
    getter = operator.itemgetter(*[column.key for column in table.columns])
    return lambda row: getter({**defaults, **row})


class _Copy:
    """Rows into PostgreSQL by COPY on a connection of its own, with the tables' triggers quiet, from a
    thread of its own: the database takes one chunk while the next is being made."""

    def __init__(self):
        self.raw = db.engine.raw_connection()
        self.cursor = self.raw.cursor()
        self.cursor.execute("SET session_replication_role = replica")
        self.chunks: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (chunk := self.chunks.get()) is not None:
                table, rows = chunk
                columns = ", ".join(c.name for c in table.columns)
                with self.cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        except BaseException as error:  # noqa: BLE001  (handed to the caller by write or close)
            self.error = error
            while self.chunks.get() is not None:  # let the caller's next writes through
                pass

    def write(self, table, rows) -> None:
        if self.error is not None:
            raise self.error
        self.chunks.put((table, rows))

    def close(self) -> None:
        self.chunks.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        self.cursor.execute("SET session_replication_role = DEFAULT")
        self.raw.commit()
        self.raw.close()


def generate(count: int, *, days: int = 365, seed: int = 7, chunk: int = 20_000) -> int:
    rng = random.Random(seed)
    postgres = db.engine.dialect.name == "postgresql"
    residents = _residents(rng, min(RESIDENTS, max(count // 4, 10)))
    copier = _Copy() if postgres else None
    ticket_row = _row_maker(Ticket.__table__, utcnow())
    assert tuple(c.key for c in TicketEvent.__table__.columns) == EVENT_COLUMNS, "EVENT_COLUMNS is out of date"
    clock = workdays.OfficeClock(workdays.parse_office_hours(current_app.config["OFFICE_HOURS"]),
                                 workdays.district_days())
    deadlines: dict[tuple, object] = {}  # (day, working days) -> due date: the calendar read once each

    def due(day, days_allowed):
        if (day, days_allowed) not in deadlines:
            deadlines[day, days_allowed] = workdays.add_working_days(day, days_allowed)
        return deadlines[day, days_allowed]

    rating_row = _row_maker(Rating.__table__, utcnow())
    next_event_id = (db.session.scalar(select(func.max(TicketEvent.id))) or 0) + 1
    next_rating_id = (db.session.scalar(select(func.max(Rating.id))) or 0) + 1
    buildings = db.session.execute(select(Building.id, Building.grid_id, Building.community_id)).all()
    services = db.session.execute(
        select(Service.id, Service.deadline_days).where(Service.guidance_only.is_(False),
                                                       Service.is_proposal.is_(False))).all()
    staff_by_area = {}
    for staff_id, area_id in db.session.execute(select(Staff.id, Staff.area_id)):
        staff_by_area.setdefault(area_id, []).append(staff_id)
    prefixes = {a.id: a.code for a in db.session.scalars(select(Area).where(Area.level == AreaLevel.COMMUNITY))}
    next_id = (db.session.scalar(select(func.max(Ticket.id))) or 0) + 1
    now = utcnow()
    statuses, weights = list(WEIGHTS), list(WEIGHTS.values())
    sequence: dict[tuple[int, object], int] = {}
    made = 0
    while made < count:
        tickets, events, rated = [], [], []
        for _ in range(min(chunk, count - made)):
            building_id, grid_id, community_id = rng.choice(buildings)
            service_id, deadline = rng.choice(services)
            created = now - timedelta(seconds=rng.randrange(days * 86400))
            day = workdays.local_date(created)
            status = rng.choices(statuses, weights)[0]
            # Old tickets are finished; the open ones are recent.
            if status in (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.NEEDS_INFO):
                created = now - timedelta(seconds=rng.randrange(21 * 86400))
                day = workdays.local_date(created)
            key = (community_id, day)
            sequence[key] = sequence.get(key, 0) + 1
            mobile, mobile_stored, mobile_lookup = rng.choice(residents)
            assignee = rng.choice(staff_by_area.get(community_id, [None])) if status != Status.SUBMITTED else None
            completed = created + timedelta(hours=rng.randrange(2, 24 * 10)) \
                if status in (Status.COMPLETED, Status.CLOSED) else None
            ticket_id = next_id + made
            tickets.append(dict(
                id=ticket_id,
                number=f"{prefixes[community_id]}-{day:%y%m%d}-{sequence[key]:03d}",
                token=secrets.token_urlsafe(24), community_id=community_id, service_id=service_id,
                grid_id=grid_id, building_id=building_id, channel=rng.choice(CHANNELS), status=status.value,
                resident_name=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["伟", "芳", "秀英", "敏", "静", "强"]),
                resident_mobile=mobile_stored if postgres else mobile, mobile_lookup=mobile_lookup,
                mobile_last4=mobile[-4:], details="", locale="zh_CN",
                due_date=due(day, deadline), physical_result=False,
                opened_at=None if status == Status.SUBMITTED else created, completed_at=completed,
                working_seconds=None if completed is None else clock.seconds_between(created, completed),
                created_at=created, updated_at=completed or created, version=len(PATHS[status]),
                assignee_id=assignee,
            ))
            if status == Status.CLOSED and rng.random() < RATED:
                level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
                rated.append(dict(id=next_rating_id + len(rated), ticket_id=ticket_id, level=level, comment="",
                                  created_at=completed + STEPS[1], updated_at=completed + STEPS[1],
                                  community_id=community_id, grid_id=grid_id, service_id=service_id))
            previous = None
            for step, action in enumerate(PATHS[status]):  # as EVENT_COLUMNS has them
                first = action == "submitted"
                events.append((next_event_id + len(events), ticket_id, created + STEPS[step], action, previous,
                               AFTER[action].value, None if first else assignee,
                               "resident:kiosk" if first else "", "", "", True))
                previous = AFTER[action].value
            made += 1
        next_event_id += len(events)
        next_rating_id += len(rated)
        if copier is not None:
            copier.write(Ticket.__table__, map(ticket_row, tickets))
            copier.write(TicketEvent.__table__, events)
            copier.write(Rating.__table__, map(rating_row, rated))
        else:
            # Core inserts of the tables (not the ORM's bulk path): several times faster.
            db.session.execute(insert(Ticket.__table__), tickets)
            db.session.execute(insert(TicketEvent.__table__), [dict(zip(EVENT_COLUMNS, e)) for e in events])
            if rated:
                db.session.execute(insert(Rating.__table__), rated)
            db.session.commit()
    if copier is not None:
        copier.close()
    # Real submissions continue each day's numbering after the generated ones.
    db.session.execute(insert(TicketCounter.__table__), [
        {"community_id": community_id, "day": day, "last": last} for (community_id, day), last in sequence.items()
    ])
    db.session.commit()
    if postgres:
        from kiosk_app.models import daily, ticket_count

        for table in ("tickets", "ticket_events", "ratings"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
        ticket_count.recount(db.session.connection())
        daily.recount(db.session.connection())
        db.session.commit()
        # What autovacuum does on a live server: statistics and the visibility map (index-only scans).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE tickets"))
            conn.execute(text("VACUUM ANALYZE ticket_events"))
            conn.execute(text("VACUUM ANALYZE ratings"))
    else:  # what the worker's statistics job does on a live server (SQLite keeps none by itself)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return made
