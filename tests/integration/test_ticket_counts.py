"""The counts the database keeps (TicketCount, and the figures' daily summaries) equal a full recount
after any mix of changes: new tickets, changes of status, grid, service, channel, dates and
completion, ratings given, changed and removed, deletions, by the ORM or by plain SQL, and on
PostgreSQL from several connections at once."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import create_engine, delete, func, insert, select, text, update

from kiosk_app.extensions import db
from kiosk_app.models import Building, Channel, Rating, Service, Status, Ticket, TicketCount
from kiosk_app.models import daily
from kiosk_app.models.ticket_count import KEY

from ..helpers import make_ticket

MONDAY = datetime(2025, 6, 9, 1, 0, tzinfo=timezone.utc)
STATUSES = [s.value for s in Status]
CHANNELS = [c.value for c in Channel]


def kept() -> dict[tuple, int]:
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(
        select(*(getattr(TicketCount, c) for c in KEY), TicketCount.n).where(TicketCount.n != 0))}


def recounted() -> dict[tuple, int]:
    columns = [getattr(Ticket, c) for c in KEY]
    return {(*row[:3], str(row[3]), str(row[4])): row[5]
            for row in db.session.execute(select(*columns, func.count()).group_by(*columns))}


def summaries() -> dict[str, set[tuple]]:
    return {table: {tuple(row) for row in db.session.execute(text(f"SELECT * FROM {table} WHERE n <> 0"))}
            for table in ("ticket_days", "completion_days", "rating_days")}


def summaries_equal_a_recount() -> bool:
    """The daily summaries as the triggers left them, and as counted again from every row."""
    db.session.commit()
    before = summaries()
    daily.recount(db.session.connection())
    after = summaries()
    db.session.rollback()
    assert after["ticket_days"], "nothing counted"
    return before == after


def _places():
    buildings = db.session.execute(select(Building.grid_id, Building.community_id)).all()
    services = db.session.scalars(select(Service.id)).all()
    return buildings, services


def test_counts_equal_a_recount_after_10000_random_changes(ctx):
    rng = random.Random(20261201)
    for _ in range(40):
        make_ticket()
    buildings, services = _places()
    ids = list(db.session.scalars(select(Ticket.id)))
    for step in range(10_000):
        choice = rng.random()
        ticket_id = rng.choice(ids)
        if choice < 0.55:
            db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(status=rng.choice(STATUSES)))
        elif choice < 0.65:
            grid_id, community_id = rng.choice(buildings)
            db.session.execute(update(Ticket).where(Ticket.id == ticket_id)
                               .values(grid_id=grid_id, community_id=community_id))
        elif choice < 0.72:
            db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(service_id=rng.choice(services)))
        elif choice < 0.78:
            db.session.execute(text("UPDATE tickets SET channel = :c WHERE id = :id"),
                               {"c": rng.choice(CHANNELS), "id": ticket_id})
        elif choice < 0.81:  # a change of nothing counted
            db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(details=f"步骤 {step}"))
        elif choice < 0.86:  # completed (again), at another time or with other office time, or not at all
            moment = MONDAY + timedelta(minutes=rng.randrange(60 * 24 * 40))
            db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(
                completed_at=None if rng.random() < 0.2 else moment,
                working_seconds=rng.choice([None, 0, 179, 180, 181, rng.randrange(200_000)])))
        elif choice < 0.88:  # when it came in, and its due date
            db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(
                created_at=MONDAY + timedelta(seconds=rng.randrange(86400 * 30)),
                due_date=date(2025, 6, 9) + timedelta(days=rng.randrange(30))))
        elif choice < 0.91:  # rated, rated again, or the rating gone
            level, (grid_id, community_id) = rng.randint(1, 5), rng.choice(buildings)
            db.session.execute(text("DELETE FROM ratings WHERE ticket_id = :id"), {"id": ticket_id})
            if rng.random() < 0.8:
                at = MONDAY + timedelta(hours=rng.randrange(720))
                db.session.execute(insert(Rating).values(
                    ticket_id=ticket_id, level=level, comment="", created_at=at, updated_at=at,
                    community_id=community_id, grid_id=grid_id, service_id=rng.choice(services)))
            if rng.random() < 0.3:
                db.session.execute(text("UPDATE ratings SET level = :level WHERE ticket_id = :id"),
                                   {"level": rng.randint(1, 5), "id": ticket_id})
        elif choice < 0.93 and len(ids) > 20:
            for table in ("ticket_events", "notifications", "print_jobs", "ratings", "follow_ups"):
                db.session.execute(text(f"DELETE FROM {table} WHERE ticket_id = :id"), {"id": ticket_id})
            db.session.execute(delete(Ticket).where(Ticket.id == ticket_id))
            ids.remove(ticket_id)
        else:
            db.session.commit()
            ids.append(make_ticket().id)
        if step % 100 == 99:
            if rng.random() < 0.2:
                db.session.rollback()  # a unit of work given up: nothing of it counted
            else:
                db.session.commit()
    db.session.commit()
    assert kept() == recounted()
    assert sum(kept().values()) == db.session.scalar(select(func.count()).select_from(Ticket))
    assert summaries_equal_a_recount()


def test_counts_hold_under_concurrent_changes(app, ctx, database_url, postgres_url):
    import pytest

    if not postgres_url:
        pytest.skip("PostgreSQL only (runs in the PostgreSQL pass): SQLite has one writer at a time")
    for _ in range(30):
        make_ticket()
    db.session.commit()
    ids = list(db.session.scalars(select(Ticket.id)))
    engine = create_engine(database_url, pool_size=4)
    errors = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with engine.connect() as connection:
                for _ in range(500):
                    # Back and forth between a few states: the order in which a change takes its two
                    # count rows is what keeps opposite changes in one group from deadlocking.
                    connection.execute(text("UPDATE tickets SET status = :s WHERE id = :id"),
                                       {"s": rng.choice(["in_progress", "needs_info", "closed"]),
                                        "id": rng.choice(ids)})
                    connection.commit()
                    connection.execute(text(  # and completed at one of a few moments, in office time or not
                        "UPDATE tickets SET completed_at = created_at + make_interval(hours => :h), "
                        "working_seconds = :w WHERE id = :id"),
                        {"h": rng.randrange(3), "w": rng.choice([0, 3600]), "id": rng.choice(ids)})
                    connection.commit()
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    db.session.expire_all()
    assert errors == []
    assert kept() == recounted()
    assert summaries_equal_a_recount()


def test_the_benchmarks_bulk_history_is_counted_and_readable(ctx):
    """The history generator (COPY with the triggers quiet on PostgreSQL) leaves the counts equal to
    a recount, and tickets whose sealed numbers open and whose timelines are there."""
    from bench import data

    before = db.session.scalar(select(func.count()).select_from(Ticket))
    assert data.generate(3000, chunk=1000) == 3000
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == before + 3000
    assert kept() == recounted()
    assert summaries_equal_a_recount()
    newest = db.session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(50)).all()
    assert all(len(t.resident_mobile) == 11 and t.resident_mobile.endswith(t.mobile_last4) for t in newest)
    assert all(t.events for t in newest)
    make_ticket()  # numbering and ids go on after the generated rows
