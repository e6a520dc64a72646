"""A period's figures, read from the daily summaries, equal the same figures worked out ticket by
ticket (received, open, done, rejected and overdue per service and grid; how many were completed and
the medians of the time they took; the ratings), for a staff member of a community and of a grid."""

from __future__ import annotations

import random
import statistics
from datetime import date, datetime, timedelta, timezone

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Rating, Role, Staff, Status, Ticket
from kiosk_app.models.base import utcnow
from kiosk_app.services import figures, ratings, scope, workdays
from kiosk_app.services.workflow import OPEN

from ..helpers import completed_at, make_ticket, staff

TODAY = date(2025, 6, 20)
# A whole month (its monthly rows), days at both ends of one (daily rows), both, a single day.
PERIODS = [(date(2025, 6, 1), date(2025, 6, 30)), (date(2025, 6, 3), date(2025, 6, 27)),
           (date(2025, 5, 30), date(2025, 7, 2)), (date(2025, 5, 29), date(2025, 6, 30)), (date(2025, 6, 9), date(2025, 6, 9))]
SERVICES = ["facility-repair", "sanitation"]


def expected(actor, start: date, end: date) -> dict:
    """The figures the slow way: every ticket of the period, one by one."""
    lo, hi = workdays.local_midnight(start), workdays.local_midnight(end + timedelta(days=1))
    visible = db.session.scalars(db.select(Ticket).where(scope.ticket_filter(actor))).all()
    received = [t for t in visible if lo <= t.created_at < hi]
    done = [t for t in visible if t.completed_at is not None and lo <= t.completed_at < hi]
    rated = db.session.scalars(db.select(Rating).where(Rating.ticket_id.in_([t.id for t in visible]))).all()

    def kept(tenths: int) -> int:  # 0.1 h below 10 h, 0.5 h below 50 h, then whole hours (models/daily.py)
        return tenths if tenths < 100 else int(tenths / 5 + 0.5) * 5 if tenths < 500 else int(tenths / 10 + 0.5) * 10

    def tenths(seconds: float) -> int:
        return 0 if seconds == 0 else kept(max(1, int(seconds / 360 + 0.5)))

    def median(values):
        return round(statistics.median(values) / 10, 1) if values else None

    def row(tickets):
        open_ = [t for t in tickets if t.status in OPEN]
        return (len(tickets), len(open_), sum(t.status in figures.DONE for t in tickets),
                sum(t.status == Status.REJECTED for t in tickets), sum(t.due_date < TODAY for t in open_))

    return {
        "total": row(received),
        "by_grid": sorted(row([t for t in received if t.grid_id == g]) for g in {t.grid_id for t in received}),
        "by_service": sorted(row([t for t in received if t.service_id == s]) for s in {t.service_id for t in received}),
        "completed": len(done),
        "median_hours": median([tenths(t.working_seconds) for t in done]),
        "median_elapsed_hours": median([kept(int((t.completed_at - t.created_at).total_seconds() / 360 + 0.5))
                                        for t in done]),
        "outside_office_hours": sum(t.working_seconds == 0 for t in done),
        "ratings": sorted(r.level for r in rated if lo <= r.created_at < hi),
    }


def shown(result: figures.Figures) -> dict:
    def row(r):
        return (r.received, r.open, r.done, r.rejected, r.overdue)

    return {
        "total": row(result.total),
        "by_grid": sorted(row(r) for _, r in result.by_grid),
        "by_service": sorted(row(r) for _, r in result.by_service),
        "completed": result.completed_count,
        "median_hours": result.median_hours,
        "median_elapsed_hours": result.median_elapsed_hours,
        "outside_office_hours": result.outside_office_hours,
        "ratings": result.satisfaction.ratings,
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_figures_from_the_daily_summaries_equal_the_figures_ticket_by_ticket(ctx, seed):
    rng = random.Random(seed)
    may = datetime(2025, 5, 28, 0, 0, tzinfo=timezone.utc)
    for _ in range(80):
        created = may + timedelta(minutes=rng.randrange(60 * 24 * 40))  # some before or after the period
        ticket = make_ticket(rng.choice(["HQ", "XJ"]), service_code=rng.choice(SERVICES),
                             building_index=rng.randrange(4), created_at=created, status=rng.choice(list(Status)),
                             due_date=date(2025, 6, 1) + timedelta(days=rng.randrange(30)))
        if ticket.status in figures.DONE or rng.random() < 0.1:
            # completed that day after 16:00 local, a few days later, or at once in the evening (0 office hours)
            completed_at(ticket, created + timedelta(minutes=rng.choice([0, 1, 3, 90, 60 * 26, 60 * 24 * 5 + 7,
                                                                         rng.randrange(60 * 24 * 12)])))
        if ticket.status == Status.CLOSED and rng.random() < 0.6:
            ratings.rate(ticket, rng.randint(1, 5))
    rated_on = workdays.local_date(utcnow())  # ratings are given now, whenever the tickets came in
    for start, end in [*PERIODS, (rated_on - timedelta(days=3), rated_on)]:
        for username in ("admin-hq", "staff-hq", "admin-district"):
            actor = staff(username)
            want = expected(actor, start, end)
            got = shown(figures.community_figures(actor, start, end, TODAY))
            assert got == {**want, "ratings": len(want["ratings"])}, (username, start, end)
    want = expected(staff("admin-district"), *PERIODS[2])
    assert want["total"][0] > 40 and want["completed"] > 10  # something to count
    assert expected(staff("admin-district"), rated_on, rated_on)["ratings"]


def test_a_grid_workers_figures_are_their_grids(ctx):
    grid_worker = db.session.scalar(db.select(Staff).where(Staff.role == Role.GRID_WORKER))
    for index in range(4):
        make_ticket(created_at=datetime(2025, 6, 10, 2, tzinfo=timezone.utc), building_index=index)
    result = figures.community_figures(grid_worker, *PERIODS[0], TODAY)
    assert 0 < result.total.received == expected(grid_worker, *PERIODS[0])["total"][0] < 4
