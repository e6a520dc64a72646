"""社区云柜 · Community Cloud Locker."""

from __future__ import annotations

from flask import Flask

from config.settings import TestingConfig, config_from_env

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    config_class = TestingConfig if test_config and test_config.get("TESTING") else config_from_env()
    app.config.from_object(config_class)
    if test_config:
        app.config.update(test_config)
    config_class.check(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind a reverse proxy: take the client's address (for throttling) from X-Forwarded-*.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from . import models  # noqa: F401  (registers the tables)
    from .extensions import babel, csrf, db, htmx, login_manager, migrate
    from .web import auth, context, errors, i18n, reads  # noqa: F401  (auth registers the user loader)

    _prepare_sqlite(app)
    db.init_app(app)
    _keep_prepared_statements(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True,
                     render_item=models.base.render_migration_item)
    csrf.init_app(app)
    htmx.init_app(app)
    from .services.workdays import LOCAL_TZ

    babel.init_app(app, locale_selector=i18n.babel_locale, timezone_selector=lambda: LOCAL_TZ)
    login_manager.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    context.init_app(app)
    errors.init_app(app)
    reads.init_app(app)

    from .api.routes import bp as api_bp
    from .kiosk.routes import bp as kiosk_bp
    from .public.routes import bp as public_bp
    from .staff.routes import bp as staff_bp
    from .terminal.routes import bp as terminal_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(kiosk_bp, url_prefix="/kiosk")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(terminal_bp, url_prefix="/terminal")
    app.register_blueprint(api_bp, url_prefix="/api")

    from .cli import register as register_cli

    register_cli(app)
    return app


def _keep_prepared_statements(app: Flask) -> None:
    """PostgreSQL: end a request that wrote nothing with COMMIT rather than ROLLBACK.

    psycopg prepares a query on the server once it has run a few times on a connection, which
    spares PostgreSQL planning it again (about 1 ms for the status page's query), but it forgets
    them all on every ROLLBACK, and SQLAlchemy ends each request's session with one.  Committing a
    transaction that wrote nothing changes no data; a request that wrote and did not commit, or
    that failed, still ends with ROLLBACK.
    """
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from .extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "begin")
    def _began(conn):
        conn.info["wrote"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):
        if not conn.info.get("wrote") and not statement.lstrip()[:6].upper().startswith("SELECT"):
            conn.info["wrote"] = True

    if not event.contains(Session, "after_begin", _note_connection):
        event.listen(Session, "after_begin", _note_connection)
        event.listen(Session, "after_transaction_end", _forget_connection)

    @app.teardown_request
    def _end_cleanly(error):
        if error is not None:
            return
        session = db.session()
        connection = session.info.get(_CONNECTION)  # None: the request ran no SQL at all
        if connection is None or session.get_transaction() is None or session.new or session.dirty \
                or session.deleted:
            return
        if connection.info.get("wrote", True):
            return
        try:
            session.commit()
        except Exception:  # noqa: BLE001 - a transaction already failed: the usual ROLLBACK follows
            session.rollback()


_CONNECTION = "connection"


def _note_connection(session, _transaction, connection) -> None:
    """The connection a session's transaction runs on, once it runs SQL (merging a kept row runs none)."""
    session.info[_CONNECTION] = connection


def _forget_connection(session, transaction) -> None:
    if transaction.parent is None:  # the session's transaction ended (not a savepoint within it)
        session.info.pop(_CONNECTION, None)


def _prepare_sqlite(app: Flask) -> None:
    """SQLite: make the instance folder, wait for the write lock, and let readers not block writers."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite"):
        return
    from pathlib import Path

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    path = uri.split("sqlite:///", 1)[1] if "sqlite:///" in uri else ""
    if path and not path.startswith(":memory:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        app.config.setdefault("SQLITE_WRITE_LOCK", path + ".write-lock")
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    if not getattr(_prepare_sqlite, "listening", False):
        @event.listens_for(Engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            if type(dbapi_connection).__module__.startswith("sqlite3"):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

        _prepare_sqlite.listening = True
