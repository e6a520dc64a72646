"""Fixtures shared by the whole suite.

The database comes from ``TEST_DATABASE_URL``: unset means SQLite (a fresh file per test, so
threads and a live server can share it); a PostgreSQL URL means a database of our own, created
for this run next to the one named and dropped at the end (one per pytest-xdist worker).  Without
a reachable PostgreSQL the tests that need a database are skipped locally with the reason, and
fail in CI (CI=true).

``make_app`` gives an app whose tables are created empty; ``app`` one whose database holds the
demo district as seeding it leaves it, seeded only once per run though (``SeededDemo``).

Each test builds its own app; what would be done again for every one of them and comes out the
same each time (compiling templates and URL builders) is done once per process instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
import uuid
from contextlib import contextmanager

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from kiosk_app import create_app
from kiosk_app.extensions import db
from kiosk_app.models import Staff
from kiosk_app.services import seed

from .helpers import STAFF_PASSWORD

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under pytest-xdist
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_PASSWORD_HASH = generate_password_hash(STAFF_PASSWORD, method="scrypt:1024:8:1")


def pytest_report_header(config):
    backend = make_url(TEST_DATABASE_URL).get_backend_name() if TEST_DATABASE_URL else "sqlite"
    return f"database backend: {backend}"


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database for this test run, or None when the suite runs on SQLite.

    Under pytest-xdist each worker is a session of its own and so gets a database of its own.
    """
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
    admin.dispose()
    with new_database(url, f"cloudlocker_test_{WORKER}_{uuid.uuid4().hex[:10]}") as made:
        yield made


@contextmanager
def new_database(url, name: str):
    """A PostgreSQL database of its own on the server of ``url``, dropped afterwards."""
    url = make_url(url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
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


# The suite runs with reference data read afresh each time (TestingConfig.CACHE_SECONDS = 0); make test
# runs the web tests once more with it kept, as deployments keep it, so the cached path and its
# invalidation on change are tried by every page.
_CACHE_SECONDS = os.environ.get("TEST_CACHE_SECONDS")


def _config(database_url: str, **overrides) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": "http://kiosk.test",
        **({"CACHE_SECONDS": int(_CACHE_SECONDS)} if _CACHE_SECONDS else {}),
        **overrides,
    }


class _TemplateCode(BytecodeCache):
    """Compiled Jinja templates, kept for every app this process builds.

    Each test builds its own app, and each app's Jinja environment would otherwise compile every
    template it renders afresh.  Entries are keyed by template and checked against its source.
    """

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _TemplateCode()


def _share_url_builders() -> None:
    """Compile each route's URL builder once per test process, not once per app.

    Every test builds its own app, and registering a route makes Werkzeug generate and compile
    Python code for building its URLs: three quarters of the time create_app takes.  That code
    depends only on the rule, its parsed parts and its defaults (the rule itself is passed in when
    it runs), so apps registering the same rule can share it.  Werkzeug is pinned; if the method
    is ever gone, apps are simply built the slow way.
    """
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    builders: dict = {}

    @functools.wraps(compile_builder)
    def _shared(self, append_unknown=True):
        try:
            defaults = tuple(sorted((self.defaults or {}).items()))
            key = (self.rule, tuple(self._trace), defaults, append_unknown)
            builder = builders.get(key)
        except TypeError:  # defaults that cannot be compared or hashed
            return compile_builder(self, append_unknown)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = _shared


_share_url_builders()


def _build_app(database_url: str, **overrides):
    application = create_app(_config(database_url, **overrides))
    application.jinja_env.bytecode_cache = _TEMPLATE_CODE
    return application


def _drop_tables(engine) -> None:
    """Every table gone, the migrations' own too."""
    db.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


# PostgreSQL test databases whose tables are as create_all made them.  A test given make_app may
# drop them or run migrations, so make_app takes its database off this list.
_TABLES_AS_CREATED: set[str] = set()


@pytest.fixture
def make_app(database_url):
    """Build an app on the test database; tables are created empty."""
    made = []

    def _make(**overrides):
        application = _build_app(database_url, **overrides)
        _TABLES_AS_CREATED.discard(database_url)
        with application.app_context():
            _drop_tables(db.engine)
            db.create_all()
        made.append(application)
        return application

    yield _make
    for application in made:
        with application.app_context():
            db.session.remove()
            _drop_tables(db.engine)
            db.engine.dispose()


class SeededDemo:
    """The demo district (``seed.seed_demo``), built once per session and put back before each test.

    Seeding through the ORM and hashing the staff password take longer than most tests, so the
    result is kept: on SQLite as a database file, copied to be the test's own; on PostgreSQL as
    each table's rows (COPY) and each sequence's position, put back in one transaction after
    every table is emptied.  Either way a test starts from what a freshly created and seeded
    database holds, ids and sequences included.
    """

    def __init__(self, postgres_url: str | None, folder):
        self.postgres_url = postgres_url
        self.template = None if postgres_url else folder / "seeded.sqlite3"
        self.engine = None  # PostgreSQL: the connection that puts the rows back
        self.tables: list[str] = []  # quoted names, parents before children
        self.rows: list[tuple[str, bytes]] = []  # (table, its rows as COPY text), parents first
        self.sequences = ""  # one SELECT setval(...) for every sequence

    def build(self) -> None:
        url = self.postgres_url or f"sqlite:///{self.template}"
        application = _build_app(url)
        with application.app_context():
            _drop_tables(db.engine)
            db.create_all()
            seed.seed_demo(staff_password=STAFF_PASSWORD)
            # Signing in checks the password against its hash: scrypt at Werkzeug's default cost
            # takes about 0.1 s, many tests sign in, so the demo staff get a cheap scrypt hash of
            # the same password.  Hashes the code makes (new accounts, changed passwords) are not
            # touched.
            db.session.execute(update(Staff).values(password_hash=TEST_PASSWORD_HASH))
            db.session.commit()
            db.session.remove()
            if self.postgres_url:
                self._capture(db.engine)
                _TABLES_AS_CREATED.add(url)
            else:
                with db.engine.connect() as conn:  # all of it in the main file, none left in the -wal
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()
        if self.postgres_url:
            self.engine = create_engine(self.postgres_url)

    def _capture(self, engine) -> None:
        preparer = engine.dialect.identifier_preparer
        self.tables = [preparer.format_table(table) for table in db.metadata.sorted_tables]
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for table in self.tables:
                with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                    data = b"".join(bytes(block) for block in copy)
                if data:
                    self.rows.append((table, data))
            cursor.execute("SELECT schemaname, sequencename, start_value, last_value FROM pg_sequences "
                           "WHERE schemaname = current_schema() ORDER BY sequencename")
            calls = []
            for schema, sequence, start, last in cursor.fetchall():
                name = f"{preparer.quote_schema(schema)}.{preparer.quote(sequence)}"
                # A sequence never used restarts at its start; a used one continues after its last value.
                value, called = (start, "false") if last is None else (last, "true")
                calls.append(f"setval('{name}', {int(value)}, {called})")
            self.sequences = f"SELECT {', '.join(calls)}" if calls else ""
            raw.rollback()
        finally:
            raw.close()

    def restore(self, database_url: str) -> None:
        if self.template is not None:
            shutil.copyfile(self.template, make_url(database_url).database)
            return
        if database_url not in _TABLES_AS_CREATED:
            _drop_tables(self.engine)
            db.metadata.create_all(self.engine)
            _TABLES_AS_CREATED.add(database_url)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            # The rows as they were, counts included: the tables' triggers (ticket_counts) stay quiet.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("; ".join(f"DELETE FROM {table}" for table in reversed(self.tables)))
            for table, data in self.rows:
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(data)
            if self.sequences:
                cursor.execute(self.sequences)
            raw.commit()
        finally:
            raw.close()

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


@pytest.fixture(scope="session")
def seeded_demo(postgres_url, tmp_path_factory):
    demo = SeededDemo(postgres_url, tmp_path_factory.mktemp("seeded"))
    demo.build()
    yield demo
    demo.close()


@pytest.fixture
def app(database_url, seeded_demo):
    """An app on the test database holding the demo district: make_app() then seed_demo, in effect."""
    seeded_demo.restore(database_url)
    application = _build_app(database_url)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


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


def _closing_responses(wsgi_app):
    """The app's responses closed even when the browser goes before they are sent (werkzeug's server
    skips ``close()`` then, and a static file's handle was left to the garbage collector: a
    ResourceWarning in whichever test came next)."""
    def serve(environ, start_response):
        response = wsgi_app(environ, start_response)
        try:
            yield from response
        finally:
            if hasattr(response, "close"):
                response.close()
    return serve


@contextmanager
def serving(app):
    """``app`` served over HTTP on 127.0.0.1 (threaded), its QR codes pointing at itself: the base URL."""
    server = make_server("127.0.0.1", 0, _closing_responses(app), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@pytest.fixture
def live_server(app):
    """The test app (the demo district) served over HTTP."""
    with serving(app) as base_url:
        yield base_url


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



def pytest_terminal_summary(terminalreporter, config):
    """Figures a test measured (record_property("figures", …)), printed after the run, workers' too."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "figures" and report.when == "call":
                terminalreporter.write_sep("-", report.nodeid.split("::")[-1])
                terminalreporter.write_line(value)
