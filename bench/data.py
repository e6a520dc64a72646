"""A large, realistic ticket history generated in bulk (for benchmarks; never for the demo).

Tickets are spread over every community, grid, building and active service, over the last
``days`` days, in every state, each with the events its state implies.  Rows go in with
multi-row INSERTs in chunks, which takes seconds for 100,000 tickets.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy import func, insert, select

from kiosk_app.extensions import db
from kiosk_app.models import Area, AreaLevel, Building, Channel, Service, Staff, Status, Ticket, TicketCounter, TicketEvent
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


def generate(count: int, *, days: int = 365, seed: int = 7, chunk: int = 5000) -> int:
    rng = random.Random(seed)
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
        tickets, events = [], []
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
            mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            assignee = rng.choice(staff_by_area.get(community_id, [None])) if status != Status.SUBMITTED else None
            completed = created + timedelta(hours=rng.randrange(2, 24 * 10)) \
                if status in (Status.COMPLETED, Status.CLOSED) else None
            ticket_id = next_id + made
            tickets.append(dict(
                id=ticket_id,
                number=f"{prefixes[community_id]}-{day:%y%m%d}-{sequence[key]:03d}",
                token=secrets.token_urlsafe(24), community_id=community_id, service_id=service_id,
                grid_id=grid_id, building_id=building_id, channel=rng.choice(list(Channel)), status=status,
                resident_name=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["伟", "芳", "秀英", "敏", "静", "强"]),
                resident_mobile=mobile, mobile_lookup=sealed.lookup(mobile), mobile_last4=mobile[-4:], details="", locale="zh_CN",
                due_date=workdays.add_working_days(day, deadline), physical_result=False,
                opened_at=None if status == Status.SUBMITTED else created, completed_at=completed,
                created_at=created, updated_at=completed or created, version=len(PATHS[status]),
                assignee_id=assignee,
            ))
            previous = None
            for step, action in enumerate(PATHS[status]):
                moment = created + timedelta(hours=step * 3)
                events.append(dict(ticket_id=ticket_id, created_at=moment, action=action, from_status=previous,
                                   to_status=AFTER[action], actor_staff_id=None if action == "submitted" else assignee,
                                   actor_label="resident:kiosk" if action == "submitted" else "", note="",
                                   public=True))
                previous = AFTER[action]
            made += 1
        # Core inserts of the tables (not the ORM's bulk path): several times faster.
        db.session.execute(insert(Ticket.__table__), tickets)
        db.session.execute(insert(TicketEvent.__table__), events)
        db.session.commit()
    # Real submissions continue each day's numbering after the generated ones.
    db.session.execute(insert(TicketCounter.__table__), [
        {"community_id": community_id, "day": day, "last": last} for (community_id, day), last in sequence.items()
    ])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        db.session.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) FROM tickets))"))
        db.session.commit()
        # What autovacuum does on a live server: statistics and the visibility map (index-only scans).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE tickets"))
            conn.execute(text("VACUUM ANALYZE ticket_events"))
    return made
