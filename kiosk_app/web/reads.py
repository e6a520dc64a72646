"""Pages that only read: their queries run without a transaction around them.

A request's session normally opens a transaction that ends when the request does.  For a page that
only reads, that transaction does nothing but cost: on PostgreSQL a BEGIN and a COMMIT, two more
round trips (and the server's work for them) beside the page's one query.  Under READ COMMITTED
each statement sees the data committed before it started, with or without a transaction around it,
so such a page reads the same rows without one.  SQLite begins a transaction only before a write
anyway.

A view says it only reads with ``@reads_only``; the request then refuses to write through the ORM
(a flush raises), so a view that starts writing one day fails its tests instead of writing outside a
transaction.  (Plain SQL is not watched: the marked views run none that writes.)  When the request
ends, so does its transaction, and the next request of the same session starts afresh.
"""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

READS_ONLY = "reads_only"


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
    session.info[READS_ONLY] = True
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _end_reading(_error) -> None:
    """Hand the connection back (reset for the next user) when a session outlives the request, as
    in a task or test that holds an app context around requests."""
    session = db.session()
    if session.info.pop(READS_ONLY, False):
        # Nothing was written: this ends the transaction SQLAlchemy opened around the reads (on an
        # autocommit connection, without a word to the server, so psycopg keeps what it prepared).
        session.rollback()


def _refuse_writes(session: Session, _flush_context, _instances) -> None:
    if session.info.get(READS_ONLY) and (session.new or session.dirty or session.deleted):
        raise WriteInReadsOnlyRequest("a view marked @reads_only tried to write")


def init_app(app) -> None:
    # First of the app's before-request functions: the staff pages' sign-in check reads the account.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_reading)
    app.teardown_request(_end_reading)
    if not event.contains(Session, "before_flush", _refuse_writes):
        event.listen(Session, "before_flush", _refuse_writes)
