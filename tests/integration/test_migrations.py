"""The schema comes from the migrations, and the migrations match the models."""

import flask_migrate
from sqlalchemy import inspect

from kiosk_app.extensions import db


def test_migrations_build_the_schema_the_models_describe(make_app):
    app = make_app()
    with app.app_context():
        db.drop_all()
        assert inspect(db.engine).get_table_names() == []
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"areas", "grids", "buildings", "services", "tickets", "ticket_events", "terminals"} <= tables
        # Raises if a model change has no migration.
        flask_migrate.check()
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_the_locker_migrations_go_down_and_up_again_with_rows_in_place(make_app):
    """Rebuilding tables that others refer to (SQLite batch mode) keeps working once they hold rows."""
    from kiosk_app.models import ItemKind, LockerItem
    from kiosk_app.services import locker, seed, terminals

    from ..helpers import STAFF_PASSWORD, make_ticket

    app = make_app()
    with app.app_context():
        db.drop_all()
        flask_migrate.upgrade()
        seed.seed_demo(staff_password=STAFF_PASSWORD)
        item = locker.reserve(terminals.get_by_code("HQ-L1"), make_ticket(), ItemKind.SUBMISSION)
        item_id = item.id
        db.session.remove()
        flask_migrate.downgrade(revision="0009")
        flask_migrate.upgrade()
        item = db.session.get(LockerItem, item_id)
        assert item is not None and len(item.token) >= 20  # a token made for the row that had none
        db.session.remove()  # PostgreSQL: a session still reading the table would block the DROPs
        flask_migrate.downgrade(revision="base")


def _demo_with_a_consultation_and_a_home_visit():
    """In an app's context: the database migrated to the head and seeded, with a draft consultation
    and a home-visit ticket."""
    from kiosk_app.services import seed

    from ..helpers import STAFF_PASSWORD, make_ticket
    from .test_consultations import draft

    db.drop_all()
    flask_migrate.upgrade()
    seed.seed_demo(staff_password=STAFF_PASSWORD)
    return draft(), make_ticket(service_code="home-visit")


def test_tasks_learn_their_community_from_their_consultation_and_tickets_tasks_go_on_the_way_down(make_app):
    """0034: a task carries its community (from its consultation) and may be a ticket's instead."""
    from datetime import date

    from kiosk_app.models import ConsultationTask, TaskOwner

    app = make_app()
    with app.app_context():
        consultation, ticket = _demo_with_a_consultation_and_a_home_visit()
        for values in ({"consultation_id": consultation.id}, {"ticket_id": ticket.id}):
            db.session.add(ConsultationTask(community_id=consultation.community_id, title="一项任务",
                                            owner_kind=TaskOwner.VOLUNTEERS, due_on=date(2026, 12, 31), **values))
        db.session.commit()
        community_id = consultation.community_id
        db.session.remove()
        flask_migrate.downgrade(revision="0033")
        flask_migrate.upgrade()
        rows = db.session.execute(db.text("SELECT community_id, consultation_id, ticket_id FROM consultation_tasks")).all()
        assert [tuple(row) for row in rows] == [(community_id, consultation.id, None)]
        db.session.remove()
        flask_migrate.downgrade(revision="base")


def test_a_tickets_task_learns_its_english_title_from_the_tickets_service(make_app):
    """0035: a ticket's help already offered is named in English after the ticket's service; a
    consultation's task keeps the words staff typed."""
    from datetime import date

    from kiosk_app.models import ConsultationTask, TaskOwner

    app = make_app()
    with app.app_context():
        consultation, ticket = _demo_with_a_consultation_and_a_home_visit()
        for values in ({"consultation_id": consultation.id, "title": "修车棚"},
                       {"ticket_id": ticket.id, "title": ticket.service_name_zh}):
            db.session.add(ConsultationTask(community_id=consultation.community_id, owner_kind=TaskOwner.VOLUNTEERS,
                                            due_on=date(2026, 12, 31), **values))
        db.session.commit()
        chinese, english = ticket.service_name_zh, ticket.service_name_en
        db.session.remove()
        flask_migrate.downgrade(revision="0034")
        flask_migrate.upgrade()
        rows = db.session.execute(db.text("SELECT title, title_en FROM consultation_tasks ORDER BY id")).all()
        assert english and [tuple(row) for row in rows] == [("修车棚", ""), (chinese, english)]
        db.session.remove()
        flask_migrate.downgrade(revision="base")
