"""Fixtures shared by the whole suite.

The database comes from ``TEST_DATABASE_URL``: unset means SQLite (a fresh file per test, so
threads and a live server can share it); a PostgreSQL URL means a database of our own, created
for this run next to the one named and dropped at the end.  Without a reachable PostgreSQL the
tests that need a database are skipped locally with the reason, and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from kiosk_app import create_app
from kiosk_app.extensions import db
from kiosk_app.services import seed

from .helpers import STAFF_PASSWORD

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_report_header(config):
    backend = make_url(TEST_DATABASE_URL).get_backend_name() if TEST_DATABASE_URL else "sqlite"
    return f"database backend: {backend}"


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database for this test run, or None when the suite runs on SQLite."""
    if not TEST_DATABASE_URL:
        yield None
        return
    url = make_url(TEST_DATABASE_URL)
    if url.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"TEST_DATABASE_URL must be PostgreSQL, not {url.get_backend_name()}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001
        admin.dispose()
        reason = f"PostgreSQL at {url.render_as_string(hide_password=True)} is not reachable: {error}"
        if IN_CI:
            pytest.fail("CI needs PostgreSQL; " + reason, pytrace=False)
        pytest.skip(reason)
    name = f"cloudlocker_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(postgres_url, tmp_path):
    return postgres_url or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def make_app(database_url):
    """Build an app on the test database; tables are created empty."""
    made = []

    def _make(**overrides):
        config = {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PUBLIC_BASE_URL": "http://kiosk.test",
            **overrides,
        }
        application = create_app(config)
        with application.app_context():
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.create_all()
        made.append(application)
        return application

    yield _make
    for application in made:
        with application.app_context():
            db.session.remove()
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    application = make_app()
    with application.app_context():
        seed.seed_demo(staff_password=STAFF_PASSWORD)
    return application


@pytest.fixture
def ctx(app):
    """An application context, for tests that call services directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def resident(client):
    """A browser (phone or ordinary) that has chosen the Hongqi Road community."""
    response = client.get("/kiosk/community/HQ")
    assert response.status_code == 302
    return client


@pytest.fixture
def live_server(app):
    """The test app served over HTTP on 127.0.0.1 (threaded), its QR codes pointing at itself."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(10)
    server.server_close()


@pytest.fixture(autouse=True)
def _working_simulated_doors():
    """Doors jammed by one test stay jammed in no other."""
    from kiosk_app.services.locker import SimulatedDoors

    SimulatedDoors.jammed.clear()
    yield
    SimulatedDoors.jammed.clear()


@pytest.fixture(autouse=True)
def _empty_simulated_printer():
    """The simulated printer keeps its last 20 jobs: each test counts its own from nothing."""
    from kiosk_app.hardware import printers

    printers.SIMULATED.clear()
    yield
