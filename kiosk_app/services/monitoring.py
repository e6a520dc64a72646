"""The figures a monitor scrapes (/metrics): the outbox, each terminal's lock boards, doors and
printer, and the periodic work.  A handful of small queries, read at each scrape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Compartment, DoorState, JobState, MessageState, Notification, PrintJob, PrintState, Terminal
from ..models.base import utcnow
from ..models.locker import LockBoardState


@dataclass
class TerminalFigures:
    board_faults: int = 0
    doors_open_too_long: int = 0
    printer_faults: int = 0


@dataclass
class State:
    outbox_pending: int = 0
    outbox_oldest_seconds: float = 0.0
    terminals: dict[str, TerminalFigures] = field(default_factory=dict)
    jobs: dict[str, float] = field(default_factory=dict)  # job → last success (Unix time; 0: never)


def state() -> State:
    now = utcnow()
    found = State()
    pending, oldest = db.session.execute(select(func.count(), func.min(Notification.created_at)).where(
        Notification.state == MessageState.PENDING)).one()
    found.outbox_pending = pending
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)  # SQLite's aggregate is naive
        found.outbox_oldest_seconds = max(0.0, (now - oldest).total_seconds())
    codes = dict(db.session.execute(select(Terminal.id, Terminal.code)).all())
    found.terminals = {code: TerminalFigures() for code in codes.values()}
    for terminal_id, n in db.session.execute(select(LockBoardState.terminal_id, func.count()).where(
            LockBoardState.fault != "").group_by(LockBoardState.terminal_id)):
        found.terminals[codes[terminal_id]].board_faults = n
    too_long = now - timedelta(seconds=current_app.config["DOOR_CLOSE_SECONDS"])
    for terminal_id, n in db.session.execute(select(Compartment.terminal_id, func.count()).where(
            ((Compartment.door == DoorState.OPEN) & (Compartment.door_changed_at < too_long))
            | (Compartment.door == DoorState.UNKNOWN)).group_by(Compartment.terminal_id)):
        found.terminals[codes[terminal_id]].doors_open_too_long = n
    for terminal_id, n in db.session.execute(select(PrintJob.terminal_id, func.count()).where(
            PrintJob.state == PrintState.FAILED, PrintJob.created_at >= now - timedelta(days=1))
            .group_by(PrintJob.terminal_id)):
        found.terminals[codes[terminal_id]].printer_faults = n
    found.jobs = {row.name: row.last_ok_at.timestamp() if row.last_ok_at else 0.0
                  for row in db.session.scalars(select(JobState))}
    return found


def schema_revision() -> str | None:
    """The database's migration revision (alembic_version), for the admin page: after an upgrade of the
    code, "flask db upgrade" brings it level (README, "Upgrading")."""
    from sqlalchemy import inspect, text

    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
