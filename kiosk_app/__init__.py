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
    from .web import auth, context, errors, headers, i18n, limits, observability, status_pages, transactions  # noqa: F401

    from .models.sealed import Keyring

    # The keys of residents' personal data: a wrong ring stops the start, not a resident's request.
    app.extensions["personal_data_keys"] = Keyring.parse(app.config["PERSONAL_DATA_KEYS"])
    _prepare_sqlite(app)
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True,
                     render_item=models.base.render_migration_item)
    observability.init_app(app)  # first: its timer starts before, and its log line ends after, everything else
    csrf.init_app(app)
    htmx.init_app(app)
    from .services.workdays import LOCAL_TZ

    babel.init_app(app, locale_selector=i18n.babel_locale, timezone_selector=lambda: LOCAL_TZ)
    login_manager.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    context.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    limits.init_app(app)
    transactions.init_app(app)
    status_pages.init_app(app)
    from .services import cache

    cache.init_app(app)

    from .admin.routes import bp as admin_bp
    from .api.routes import bp as api_bp
    from .kiosk.routes import bp as kiosk_bp
    from .public.routes import bp as public_bp
    from .staff.routes import bp as staff_bp
    from .terminal.routes import bp as terminal_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(kiosk_bp, url_prefix="/kiosk")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(admin_bp, url_prefix="/staff/admin")
    app.register_blueprint(terminal_bp, url_prefix="/terminal")
    app.register_blueprint(api_bp, url_prefix="/api")

    from .cli import register as register_cli

    register_cli(app)
    return app


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
        if app.config.get("SQLITE_WRITE_TURN", True):
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
