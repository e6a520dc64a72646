"""Extensions, created once and bound to the app in ``create_app``."""

import fcntl
from contextlib import contextmanager

from flask import current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that SQLite batch migrations can drop and recreate them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
htmx = Htmx()
login_manager = LoginManager()


@contextmanager
def write_turn():
    """A busy write path takes its turn on SQLite before it writes.

    SQLite lets one writer in at a time; the others poll with sleeps that grow to 100 ms, so a
    burst of submissions from several workers waits far longer than the writes take.  Here the
    writers queue on a file lock instead, which the kernel hands to the next one the moment it is
    released.  (A new open file per turn, so threads of one process queue too.)  PostgreSQL
    needs nothing of the kind: its row locks wake the next writer at once.
    """
    path = current_app.config.get("SQLITE_WRITE_LOCK")
    if not path:
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
