"""One use case, one transaction: the only module of the services that commits.

A service function that changes state runs its work in a unit of work::

    @use_case
    def close_follow_up(actor, follow_up_id, findings, actions_taken):
        ...                      # load, check, change, record events; helpers only add and flush

It commits once, at its end; an exception anywhere in it rolls all of it back, so a use case that
fails half-way leaves nothing behind.  A use case called by another joins the caller's unit (the
outer one commits).  Routes, CLI commands and the request's end never commit.

A few writes must stand on their own before the use case goes on.  Each is a ``separate(reason)``
block, committed at its end; it may not run inside a unit (it would commit half of it):

- a throttle's attempt counter: counted before the guess is checked, so a failure after the check
  cannot take the count back;
- a compartment's reservation before its door is driven: no transaction is held while the hardware
  works (on SQLite it would hold the write lock), another request cannot take the compartment
  meanwhile, and a worker that dies at the door leaves a reservation the sweeper finds;
- what a door command or a print job did: recorded whatever happens after it;
- the day's ticket numbers and the ticket (its own short transaction: every submission of a
  community waits for the counter's lock while it is held).
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_OPEN = "unit_of_work"  # session.info: a unit is open on this session
WROTE = "wrote"  # session.info: the session's current transaction has written


class NestedSeparateWrite(RuntimeError):
    """A ``separate`` block inside a unit of work would commit part of that unit."""


class WriteOutsideUseCase(RuntimeError):
    """Something was written outside a use case (a route, a template, a helper called directly)."""


@contextmanager
def unit_of_work(*, keep_loaded: bool = False):
    """A use case's transaction: committed when the block ends, rolled back if it raises.

    ``keep_loaded`` commits without expiring what the session holds, for a caller that shows at once
    what it just wrote (reading it back would fetch the same values again).
    """
    session = db.session()
    if session.info.get(_OPEN):  # a use case called by another: the outer one commits
        yield session
        return
    if session.new or session.dirty or session.deleted or session.info.get(WROTE):
        raise WriteOutsideUseCase("changes were made before the use case began; make them inside it")
    session.info[_OPEN] = True
    before = session.expire_on_commit
    try:
        yield session
        session.flush()
        # What the session holds is read again after a commit that wrote; a unit that wrote nothing
        # (a sweep that found nothing to do) leaves it loaded: none of it changed here.
        session.expire_on_commit = before and not keep_loaded and wrote(session)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.expire_on_commit = before
        session.info.pop(_OPEN, None)


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service function in its own unit of work (or its caller's)."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return function(*args, **kwargs)

    return run


@contextmanager
def separate(reason: str, *, keep_loaded: bool = False):
    """A write that stands on its own before the use case goes on (``reason`` says why; see above)."""
    if db.session().info.get(_OPEN):
        raise NestedSeparateWrite(f"{reason}: a separate write cannot run inside a unit of work")
    with unit_of_work(keep_loaded=keep_loaded) as session:
        yield session


def in_unit_of_work() -> bool:
    return bool(db.session().info.get(_OPEN))


@contextmanager
def write_turn():
    """SQLite: a busy write path takes its turn before it writes (SQLITE_WRITE_LOCK; unset, no turn).

    SQLite lets one writer in at a time; the others poll with sleeps that grow to 100 ms, so a burst
    of submissions from several workers waits far longer than the writes take.  Here the writers
    queue on a file lock instead, which the kernel hands to the next one the moment it is released
    (the benchmark's submissions on SQLite: about twice the throughput).  A new open file per turn,
    so threads of one process queue too.  PostgreSQL needs nothing of the kind: its row locks wake
    the next writer at once.
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


# ---------------------------------------------------------------- which transactions wrote

def _flushed(session: Session, _context) -> None:
    session.info[WROTE] = True


def _executed(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def _ended(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)


def wrote(session: Session) -> bool:
    """Whether the session's current transaction has written (a flush or an INSERT/UPDATE/DELETE)."""
    return bool(session.info.get(WROTE))


def watch_writes() -> None:
    """Note on each session whether its transaction wrote (the request's end refuses such a one)."""
    if not event.contains(Session, "after_flush", _flushed):
        event.listen(Session, "after_flush", _flushed)
        event.listen(Session, "do_orm_execute", _executed)
        event.listen(Session, "after_transaction_end", _ended)
