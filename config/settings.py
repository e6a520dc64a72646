"""Settings, chosen by the ``KIOSK_CONFIG`` environment variable.

Secrets come only from the environment.  Development and testing use a fixed, clearly
marked development key; production refuses to start with it (see ``ProductionConfig.check``).
"""

from __future__ import annotations

import os
from pathlib import Path

DEV_SECRET_KEY = "dev-not-secret-change-me"
# The demo's and the tests' key for residents' personal data (kiosk_app/models/sealed.py): public.
DEV_PERSONAL_DATA_KEYS = "dev:aes:ZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQtMDAwMDA="
BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL") or default
    # Hosted PostgreSQL URLs often say postgres:// or postgresql://; we speak psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class BaseConfig:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'kiosk.sqlite3'}")
    # Pooled connections are pinged before each use, so a restarted database (or a connection a
    # firewall dropped) costs no request: the pool finds it dead and connects afresh.  The round
    # trip costs about 1 ms of a PostgreSQL request; DB_POOL_PRE_PING=0 saves it, and each worker's
    # first request after a database restart then fails once.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": os.environ.get("DB_POOL_PRE_PING", "1") == "1",
                                       "pool_recycle": 3600}
    # Residents' personal data (name, mobile, ID number, free text) is erased this many days after
    # their ticket ends (`flask privacy purge`); the ticket's counts stay for the figures.
    PERSONAL_DATA_DAYS = int(os.environ.get("PERSONAL_DATA_DAYS", "180"))
    # The keys that seal ID numbers, mobile numbers and two-factor secrets in the database, kept
    # outside it (and backed up apart from it): "id:aes:base64,…", the key for new values first.
    # `python -m kiosk_app.keys k1` makes one; README, "Personal data", says how to rotate.
    PERSONAL_DATA_KEYS = os.environ.get("PERSONAL_DATA_KEYS", DEV_PERSONAL_DATA_KEYS)
    # Roles that must sign in with a code from an authenticator app besides the password (comma-separated).
    TWO_FACTOR_ROLES = os.environ.get("TWO_FACTOR_ROLES", "district_admin")
    # Limits on abuse (web/limits.py), as Flask-Limiter reads them: "N per minute; M per hour".
    # RATELIMIT_STORAGE_URI=redis://host:6379/0 shares the counts among workers and servers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") != "0"
    LIMIT_SUBMIT_CLIENT = os.environ.get("LIMIT_SUBMIT_CLIENT", "10 per minute; 120 per hour")
    LIMIT_SUBMIT_MOBILE = os.environ.get("LIMIT_SUBMIT_MOBILE", "5 per hour; 20 per day")
    LIMIT_FIELD_CHECKS = os.environ.get("LIMIT_FIELD_CHECKS", "120 per minute")
    LIMIT_ENROL = os.environ.get("LIMIT_ENROL", "10 per hour")
    LIMIT_LOOKUP = os.environ.get("LIMIT_LOOKUP", "30 per minute")
    # Residents asking for and typing one-time codes to take part in a consultation, per address.
    LIMIT_RESIDENT_CODES = os.environ.get("LIMIT_RESIDENT_CODES", "20 per minute; 200 per hour")
    # Votes by ID card at one kiosk (a queue of residents after a meeting; not a script trying numbers).
    LIMIT_KIOSK_VOTES = os.environ.get("LIMIT_KIOSK_VOTES", "10 per minute; 120 per hour")
    LIMIT_SIGN_IN = os.environ.get("LIMIT_SIGN_IN", "20 per minute; 200 per hour")
    # The periodic work of `flask worker` (services/scheduler.py): each job's interval in seconds, and
    # how long a worker holds a job it runs (another may take it once that has run out).
    WORKER_OUTBOX_SECONDS = float(os.environ.get("WORKER_OUTBOX_SECONDS", "10"))
    WORKER_SWEEP_SECONDS = float(os.environ.get("WORKER_SWEEP_SECONDS", "15"))
    WORKER_BOARDS_SECONDS = float(os.environ.get("WORKER_BOARDS_SECONDS", "60"))
    WORKER_PURGE_SECONDS = float(os.environ.get("WORKER_PURGE_SECONDS", "3600"))
    WORKER_REMINDERS_SECONDS = float(os.environ.get("WORKER_REMINDERS_SECONDS", "900"))
    WORKER_STATISTICS_SECONDS = float(os.environ.get("WORKER_STATISTICS_SECONDS", "86400"))  # SQLite's ANALYZE
    WORKER_LEASE_SECONDS = float(os.environ.get("WORKER_LEASE_SECONDS", "120"))
    # `flask backup`: where backups go and how many are kept (services/backups.py; README, "Backups").
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    BACKUP_KEEP = _env_int("BACKUP_KEEP", 14)
    # Monitoring (kiosk_app/web/observability.py): who may read /metrics (addresses or networks, comma-
    # separated), and one JSON log line per request (production's default) instead of plain text.
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "127.0.0.1,::1")
    LOG_JSON = os.environ.get("LOG_JSON", "0") == "1"
    # Texts to one mobile number, whatever asks for them.
    TEXTS_PER_MOBILE_HOUR = int(os.environ.get("TEXTS_PER_MOBILE_HOUR", "3"))
    TEXTS_PER_MOBILE_DAY = int(os.environ.get("TEXTS_PER_MOBILE_DAY", "10"))
    # Absolute address that ticket QR codes point to.  Must be reachable from residents'
    # phones, so a kiosk that talks to the server as 127.0.0.1 still prints a public URL.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Number of reverse proxies in front (nginx: 1); their X-Forwarded-For gives the client address.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    WTF_CSRF_TIME_LIMIT = None  # a kiosk form may stay open a long time; the session bounds it
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Kiosk behaviour
    KIOSK_IDLE_SECONDS = _env_int("KIOSK_IDLE_SECONDS", 90)
    KIOSK_IDLE_WARNING_SECONDS = _env_int("KIOSK_IDLE_WARNING_SECONDS", 20)  # "are you still there?" before it
    STATUS_REFRESH_SECONDS = _env_int("STATUS_REFRESH_SECONDS", 30)
    # Ticket look-up without the QR: failed attempts allowed per ticket number and per client
    LOOKUP_MAX_FAILURES = 5
    LOOKUP_WINDOW_SECONDS = 15 * 60
    TERMINAL_COOKIE_DAYS = 3650
    # Locker
    PICKUP_DAYS = _env_int("PICKUP_DAYS", 7)
    PICKUP_REMINDER_HOURS = _env_int("PICKUP_REMINDER_HOURS", 48)  # one text this long before the code ends
    NEEDS_INFO_REMINDER_DAYS = _env_int("NEEDS_INFO_REMINDER_DAYS", 3)  # one text if still not answered
    # Guessing pickup codes (README, "Pickup codes"): per window, a terminal's keypad checks at most
    # floor(PICKUP_GUESS_BUDGET × 10^8 / (windows a year can touch × its compartments)) wrong codes,
    # so a year of guessing at full speed, every compartment holding a result, opens fewer than
    # PICKUP_GUESS_BUDGET doors on average.  Past that the keypad waits for the window's end.
    PICKUP_GUESS_BUDGET = 0.01
    PICKUP_WINDOW_SECONDS = 24 * 60 * 60
    # The person mistyping is slowed, not the cabinet: PICKUP_FREE_TRIES wrong codes from a screen or
    # phone cost nothing; after the next one it waits PICKUP_FIRST_WAIT_SECONDS, then twice as long
    # after each further one, at most PICKUP_MAX_WAIT_SECONDS.
    PICKUP_FREE_TRIES = 3
    PICKUP_FIRST_WAIT_SECONDS = 10
    PICKUP_MAX_WAIT_SECONDS = 15 * 60
    PICKUP_ALERT_FAILURES = 10  # wrong codes at one terminal within a window that alert staff
    DOOR_CLOSE_SECONDS = _env_int("DOOR_CLOSE_SECONDS", 120)
    # The rotating QR on a locker's screen: a code is accepted this long after it was shown, and
    # a phone that scanned it may open a door at that locker for this long.
    PHONE_QR_SECONDS = 120
    PHONE_LINK_SECONDS = 10 * 60
    LOCK_RS485 = os.environ.get("LOCK_RS485", "0") == "1"
    # A lock board's exchange: each reply is awaited LOCK_TIMEOUT seconds, tried 1 + LOCK_RETRIES times;
    # a whole door opening (check the board, open, confirm) never takes longer than LOCK_COMMAND_SECONDS,
    # so a resident's request answers within 5 s whatever the board does.
    LOCK_TIMEOUT = float(os.environ.get("LOCK_TIMEOUT", "0.3"))
    LOCK_RETRIES = _env_int("LOCK_RETRIES", 2)
    LOCK_COMMAND_SECONDS = float(os.environ.get("LOCK_COMMAND_SECONDS", "3"))
    # Where the per-port lock files live that keep one process at a time on a serial lock line.
    LOCK_PORT_DIR = os.environ.get("LOCK_PORT_DIR", "")
    # A reservation whose door never opened is released after this long; one whose door opened and
    # was never closed is escalated to staff.  An agent's door command not done in time is given up.
    RESERVATION_TIMEOUT_SECONDS = _env_int("RESERVATION_TIMEOUT_SECONDS", 600)
    AGENT_COMMAND_SECONDS = _env_int("AGENT_COMMAND_SECONDS", 20)
    SWEEP_SECONDS = _env_int("SWEEP_SECONDS", 15)  # the terminal's own traffic sweeps at most this often
    DROP_OFF_TRIES = 3  # compartments tried for one ticket, one tap each, before "hand in at the centre"
    # A receipt printer that does not answer within this many seconds is reported as faulty; the
    # ticket is issued regardless (each terminal's printer is set by `flask terminal-printer`).
    PRINTER_TIMEOUT = float(os.environ.get("PRINTER_TIMEOUT", "2"))
    # Reference data (catalogue, communities, buildings) and the parts of pages that are the same
    # for everyone (the kiosk's catalogue) are kept this long by each worker.
    CACHE_SECONDS = _env_int("CACHE_SECONDS", 60)
    # How often a worker asks whether kept reference data changed elsewhere (services/cache.py).
    CACHE_CHECK_SECONDS = float(os.environ.get("CACHE_CHECK_SECONDS", "1"))
    # Speed mechanisms (kiosk_app/web/transactions.py; README, "Performance"); 0 turns one off.
    READS_AUTOCOMMIT = _env_int("READS_AUTOCOMMIT", 1) == 1  # PostgreSQL: pages that only read skip BEGIN/COMMIT
    SQLITE_WRITE_TURN = _env_int("SQLITE_WRITE_TURN", 1) == 1  # SQLite: submissions queue on a file lock
    KEEP_PREPARED_STATEMENTS = _env_int("KEEP_PREPARED_STATEMENTS", 1) == 1  # end reads with COMMIT, not ROLLBACK
    # Status pages a worker keeps as rendered, answered again while their rows, reader and minute are the
    # same (kiosk_app/web/status_pages.py; about 10 KB each).
    STATUS_PAGES_KEPT = _env_int("STATUS_PAGES_KEPT", 500)
    # Ratings (好差评): changeable this many days; a poor one is followed up within these working days.
    RATING_CHANGE_DAYS = 7
    FOLLOW_UP_DAYS = _env_int("FOLLOW_UP_DAYS", 5)
    # Text messages: "log" (the default, and the demo) or "http" (a gateway by URL and template ids)
    SMS_SENDER = os.environ.get("SMS_SENDER", "log")
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
    SMS_TEMPLATE_IDS = os.environ.get("SMS_TEMPLATE_IDS", "{}")  # JSON: {"issued": "SMS_123", ...}
    SMS_MAX_ATTEMPTS = 10
    # Back office
    STAFF_IDLE_MINUTES = _env_int("STAFF_IDLE_MINUTES", 30)
    # A staff session on a terminal's shared screen (kiosk or locker) ends this soon after the last
    # touch: the next person at the screen must not find doors they may open.
    TERMINAL_STAFF_IDLE_SECONDS = _env_int("TERMINAL_STAFF_IDLE_SECONDS", 120)
    QUEUE_REFRESH_SECONDS = _env_int("QUEUE_REFRESH_SECONDS", 30)
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    # Office hours on working days, for "median handling time in working hours".
    OFFICE_HOURS = os.environ.get("OFFICE_HOURS", "09:00-12:00,13:30-17:30")

    @staticmethod
    def check(config) -> None:
        """Refuse settings that must not reach a running deployment."""


class DevelopmentConfig(BaseConfig):
    """The embedded default: SQLite under instance/, for the demo and a single community centre."""


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = _database_url("sqlite://")
    PUBLIC_BASE_URL = "http://kiosk.test"
    SERVER_NAME = None
    PRINTER_TIMEOUT = 0.5
    CACHE_SECONDS = 0  # each test builds its own catalogue
    TWO_FACTOR_ROLES = ""  # the demo's district admin signs in with a password; tests of two factors set it
    SWEEP_SECONDS = 0  # each test's terminal traffic sweeps (a worker's memory of the last sweep is not the test's)


class ProductionConfig(BaseConfig):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") != "0"
    LOG_JSON = os.environ.get("LOG_JSON", "1") == "1"
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))

    @staticmethod
    def check(config) -> None:
        key = config.get("SECRET_KEY") or ""
        if key == DEV_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "ProductionConfig needs SECRET_KEY from the environment (32+ random characters); "
                "refusing to start with the development key."
            )
        if not config.get("PUBLIC_BASE_URL"):
            raise RuntimeError("ProductionConfig needs PUBLIC_BASE_URL (the address in ticket QR codes).")
        keys = config.get("PERSONAL_DATA_KEYS") or ""
        if not keys or DEV_PERSONAL_DATA_KEYS.split(":")[2] in keys:
            raise RuntimeError(
                "ProductionConfig needs PERSONAL_DATA_KEYS from the environment (make one with "
                "`python -m kiosk_app.keys k1`); refusing to start with the development key."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[BaseConfig]:
    name = os.environ.get("KIOSK_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"KIOSK_CONFIG={name!r} is not one of {', '.join(CONFIGS)}") from None
