"""Upgrading a live installation: every migration applied over a year's tickets keeps the application
waiting for a moment at most, and a migration stopped half way finishes when run again."""

from __future__ import annotations

import flask_migrate
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.migration_locks import measure
from kiosk_app import migration_steps
from kiosk_app.extensions import db
from kiosk_app.models import Notification, Ticket, TicketEvent
from kiosk_app.models.sealed import key_id_of

from ..conftest import _build_app, _drop_tables, new_database

TICKETS = 100_000
LONGEST_WAIT = 5.0  # seconds a staff member's click may wait on an upgrade; it waited 90 s and more


@pytest.fixture
def empty_postgres(postgres_url):
    if postgres_url is None:
        pytest.skip("measures PostgreSQL's locks: runs in the PostgreSQL pass (TEST_DATABASE_URL)")
    with new_database(postgres_url, f"{make_url(postgres_url).database}_locks") as url:
        yield url


def test_every_migration_over_100000_tickets_keeps_writes_waiting_a_moment_at_most(empty_postgres, record_property):
    app = _build_app(empty_postgres)
    lines = []
    steps = measure(app, TICKETS, echo=lines.append)
    worst = max(steps, key=lambda step: step.longest[1])
    lines.append(f"{TICKETS} tickets, every migration in {sum(s.seconds for s in steps):.1f} s; longest wait "
                 f"{worst.longest[1] * 1000:.0f} ms ({worst.revision}, {worst.longest[0]})")
    record_property("figures", "\n".join(lines))
    assert worst.longest[1] < LONGEST_WAIT, "\n".join(lines)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == TICKETS
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == steps[-1].revision
        # The rows were carried along: every mobile sealed with its digest, every name filled in.
        stored = db.session.execute(text(
            "SELECT count(*) FILTER (WHERE mobile_lookup = ''), count(*) FILTER (WHERE service_name_zh = ''), "
            "min(resident_mobile), max(resident_mobile) FROM tickets")).one()
        assert stored[:2] == (0, 0)
        assert key_id_of(stored[2]) and key_id_of(stored[3])
        assert db.session.get(Ticket, 12345).resident_mobile == "13800012345"
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.mobile_lookup == "")) == 0
        rated = db.session.scalars(select(TicketEvent).where(TicketEvent.action == "rated").limit(3)).all()
        assert [(e.params, e.note) for e in rated] == [('{"level": 4}', "办得很快")] * 3
        indexes = db.session.execute(text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).scalar()
        assert indexes == 0  # every index built CONCURRENTLY is valid
        db.session.remove()
        db.engine.dispose()


def test_a_migration_stopped_half_way_finishes_when_run_again(make_app, monkeypatch):
    from ..helpers import make_ticket

    app = make_app()
    with app.app_context():
        from kiosk_app.services import seed

        _drop_tables(db.engine)
        flask_migrate.upgrade()
        seed.seed_demo(staff_password="x" * 12)
        for n in range(1200):  # more than two batches
            make_ticket(mobile=f"139{n:08d}")
        db.session.commit()
        plain = {t.id: t.resident_mobile for t in db.session.scalars(select(Ticket))}
        db.session.remove()
        flask_migrate.downgrade(revision="0020")  # as 0020 kept them: in the open
        assert db.session.scalar(text("SELECT resident_mobile FROM tickets ORDER BY id LIMIT 1")).isdigit()
        db.session.remove()

    calls = {"n": 0}
    real = migration_steps.update_rows

    def failing(table, changes):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the server went away")
        real(table, changes)

    monkeypatch.setattr(migration_steps, "update_rows", failing)
    with app.app_context(), pytest.raises(ConnectionError):
        flask_migrate.upgrade()
    monkeypatch.setattr(migration_steps, "update_rows", real)
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == "0020"
        flask_migrate.upgrade()
        assert {t.id: t.resident_mobile for t in db.session.scalars(select(Ticket))} == plain
        assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.mobile_lookup == "")) == 0
