"""How a request's database transaction ends, and the two speed mechanisms that depend on it.

Use cases commit their own work (``services/uow.py``).  When a request ends, what is left in its
session is reads: the page rendered after a use case, or a page that only reads.  A transaction that
wrote is a bug (a write outside a use case): it is rolled back, logged, and in tests raised.

Two mechanisms save PostgreSQL round trips and work; each has a setting that turns it off, and the
benchmark shows what each is worth (README, "Performance"):

- ``READS_AUTOCOMMIT``: a GET view marked ``@reads_only`` runs its queries on an autocommit
  connection, without BEGIN and COMMIT around them (two round trips beside a status page's one
  query).  Under READ COMMITTED each statement sees what was committed before it started, with or
  without a transaction, so such a page reads the same rows.  The request then refuses to write
  through the ORM (a flush raises ``WriteInReadsOnlyRequest``), so a marked view that starts writing
  fails its tests.  Plain SQL that writes is not watched: the marked views run none.
- ``KEEP_PREPARED_STATEMENTS``: psycopg prepares a query on the server once it has run a few times
  on a connection (sparing PostgreSQL about 1 ms of planning for the status page), and forgets every
  prepared statement on ROLLBACK, which is how a session ends a transaction it did not commit.  A
  request whose transaction provably wrote nothing (no flush, no INSERT/UPDATE/DELETE through the
  session: ``uow.wrote``) ends it with COMMIT instead, which changes no data.

SQLite needs neither: it begins a transaction only before a write, and has no server to plan.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..services import uow

log = logging.getLogger(__name__)

READS_ONLY = "reads_only"  # session.info: this request's view only reads


def reads_only(view):
    """Mark a GET view that never writes."""
    view.reads_only = True
    return view


class WriteInReadsOnlyRequest(RuntimeError):
    """A view marked ``@reads_only`` tried to write."""


def _begin_reading() -> None:
    if request.method not in ("GET", "HEAD"):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, READS_ONLY, False):
        return
    session = db.session()
    session.info[READS_ONLY] = "reading"
    if current_app.config["READS_AUTOCOMMIT"] and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        session.info[READS_ONLY] = AUTOCOMMIT


AUTOCOMMIT = "autocommit"


def _refuse_writes(session: Session, _flush_context, _instances) -> None:
    if session.info.get(READS_ONLY) and (session.new or session.dirty or session.deleted):
        raise WriteInReadsOnlyRequest("a view marked @reads_only tried to write")


def _end_request(error) -> None:
    """End what is left of the request's transaction (the session itself is removed after this)."""
    session = db.session()
    reading = session.info.pop(READS_ONLY, False)
    if session.get_transaction() is None:
        return
    if uow.wrote(session) or session.new or session.dirty or session.deleted:
        session.rollback()
        if error is None:
            log.error("%s %s: a write outside a use case was rolled back", request.method, request.path)
            if current_app.config.get("TESTING"):
                raise uow.WriteOutsideUseCase(f"{request.method} {request.path} wrote outside a use case")
        return
    if reading == AUTOCOMMIT:
        # An autocommit connection: this ends SQLAlchemy's transaction without a word to the server
        # (psycopg keeps what it prepared), and hands the connection back when a session outlives
        # its request, as in a task or test that holds an app context around requests.
        session.rollback()
        return
    if error is None and current_app.config["KEEP_PREPARED_STATEMENTS"] \
            and session.get_bind().dialect.name == "postgresql":
        try:
            session.commit()  # reads only (checked above): COMMIT where ROLLBACK would drop the prepared
        except Exception:  # noqa: BLE001 - the connection failed: the session's usual ROLLBACK follows
            session.rollback()


def init_app(app: Flask) -> None:
    uow.watch_writes()
    # First of the app's before-request functions: the staff pages' sign-in check reads the account.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_reading)
    app.teardown_request(_end_request)
    if not event.contains(Session, "before_flush", _refuse_writes):
        event.listen(Session, "before_flush", _refuse_writes)
