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
