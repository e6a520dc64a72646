"""The periodic work, run by ``flask worker``: one process (or several, on one server or many) that
sends the text outbox, ends stranded locker reservations, asks the lock boards whether they answer,
erases personal data kept long enough, forgets old attempt counters and (SQLite) makes the tables'
statistics again — each at its interval.

Jobs are shared through the ``job_states`` table: a worker takes a due job with one conditional
UPDATE that also sets a lease (``claim``), so two workers never run the same job in the same
interval, and a worker killed mid-run blocks the job only until its lease runs out.  Each run is
logged and its outcome kept on the row (``status``: the admin page and the health check show it).
A database that goes away (restarted, a network cut) costs the worker a few failed rounds, logged,
and it carries on when the database is back.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from ..extensions import db
from ..models import JobState
from ..models.base import utcnow
from .uow import use_case

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    setting: str  # the configuration key of its interval, in seconds
    run: Callable[[], str]  # does the work (in its own units of work); returns a line for the log

    def interval(self) -> float:
        return float(current_app.config[self.setting])


def _outbox() -> str:
    from . import notifications

    counts = notifications.send_due(notifications.sender_from_config())
    return f"sent {counts['sent']}, to retry {counts['retry']}, given up {counts['failed']}"


def _sweep() -> str:
    from .locker import sweep

    counts = sweep()
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def _boards() -> str:
    from ..models import Terminal, TerminalKind
    from .locker import check_boards

    faults = 0
    lockers = db.session.scalars(select(Terminal).filter_by(kind=TerminalKind.LOCKER).order_by(Terminal.code)).all()
    for terminal in lockers:
        faults += sum(1 for fault in check_boards(terminal).values() if fault)
    return f"{len(lockers)} lockers, {faults} boards not answering"


def _purge() -> str:
    from . import privacy

    return f"personal data erased from {privacy.purge()} tickets"


def _throttles() -> str:
    from . import throttle

    return f"{throttle.purge()} old attempt counters forgotten"


def _reminders() -> str:
    from .notices import send_due
    from .reminders import send_reminders

    counts = send_reminders()
    told = send_due()
    return (f"pickup reminders {counts['pickup']}, information reminders {counts['needs_info']}, "
            f"consultations' votes opened {told['vote_open']}, results {told['vote_result']}")


@use_case
def _statistics() -> str:
    """SQLite keeps no statistics of its own (PostgreSQL's autovacuum does): without them its planner
    guesses, and walked a community's every ticket to find the tickets of one mobile's last four
    digits rather than that column's index.  ANALYZE with a sampling limit takes milliseconds
    however large the file."""
    if db.engine.dialect.name != "sqlite":
        return "kept by the database itself"
    db.session.execute(text("PRAGMA analysis_limit = 1000"))
    db.session.execute(text("ANALYZE"))
    return "statistics of the tables made again"


JOBS = (
    Job("outbox", "WORKER_OUTBOX_SECONDS", _outbox),
    Job("sweep", "WORKER_SWEEP_SECONDS", _sweep),
    Job("boards", "WORKER_BOARDS_SECONDS", _boards),
    Job("privacy", "WORKER_PURGE_SECONDS", _purge),
    Job("throttles", "WORKER_PURGE_SECONDS", _throttles),
    Job("reminders", "WORKER_REMINDERS_SECONDS", _reminders),
    Job("statistics", "WORKER_STATISTICS_SECONDS", _statistics),
)


JOB_LABELS = {
    "outbox": _l("Text messages sent"),
    "sweep": _l("Stranded locker reservations ended"),
    "boards": _l("Lock boards asked"),
    "privacy": _l("Personal data kept long enough erased"),
    "throttles": _l("Old attempt counters forgotten"),
    "reminders": _l("Reminders to residents queued"),
    "statistics": _l("Database statistics made again"),
}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@use_case
def _ensure(names: list[str], now: datetime) -> None:
    known = set(db.session.scalars(select(JobState.name).where(JobState.name.in_(names))))
    for name in names:
        if name not in known:
            db.session.add(JobState(name=name, next_due_at=now))


def ensure(jobs=JOBS) -> None:
    """A row for each job (due at once); two workers starting together both succeed."""
    try:
        _ensure([job.name for job in jobs], utcnow())
    except IntegrityError:  # the other worker made them first
        pass


@use_case
def claim(job: Job, worker: str, now: datetime | None = None) -> bool:
    """Take ``job`` if it is due and nobody holds it: the next interval starts now, and the lease lasts
    the longer of the interval and WORKER_LEASE_SECONDS."""
    now = now or utcnow()
    interval = job.interval()
    lease = max(interval, float(current_app.config["WORKER_LEASE_SECONDS"]))
    taken = db.session.execute(
        update(JobState)
        .where(JobState.name == job.name, JobState.next_due_at <= now,
               (JobState.lease_until.is_(None)) | (JobState.lease_until < now))
        .values(next_due_at=now + timedelta(seconds=interval), lease_until=now + timedelta(seconds=lease),
                worker=worker[:80], last_started_at=now, runs=JobState.runs + 1)
        .execution_options(synchronize_session=False)).rowcount
    return taken == 1


@use_case
def finish(job: Job, worker: str, *, summary: str = "", error: str = "") -> None:
    now = utcnow()
    values = dict(lease_until=None, last_finished_at=now)
    if error:
        values.update(last_error=error[:300], failures=JobState.failures + 1)
    else:
        values.update(last_ok_at=now, last_summary=summary[:300], last_error="")
    db.session.execute(update(JobState).where(JobState.name == job.name, JobState.worker == worker[:80])
                       .values(**values).execution_options(synchronize_session=False))


def _due(jobs, now: datetime) -> list[Job]:
    """The jobs that look due and free, by one read: a round with nothing due writes nothing (on
    SQLite a write takes the database's one write lock, which submissions wait for)."""
    rows = {row.name: row for row in db.session.scalars(select(JobState).where(
        JobState.name.in_([job.name for job in jobs])))}
    db.session.rollback()  # end the read: the claims are units of work of their own
    if len(rows) < len(jobs):
        ensure(jobs)
        return list(jobs)
    return [job for job in jobs if rows[job.name].next_due_at <= now
            and (rows[job.name].lease_until is None or rows[job.name].lease_until < now)]


def run_due(worker: str, jobs=JOBS) -> list[tuple[str, bool, str]]:
    """One round: every job that is due and free, run by this worker.  Returns (job, ok, line)."""
    done = []
    for job in _due(jobs, utcnow()):
        if not claim(job, worker):  # (another worker took it between the read and now)
            continue
        started = time.monotonic()
        try:
            summary = job.run()
        except (OperationalError, DBAPIError) as error:
            # The database itself: give the job back if it can still be told, and end the round
            # (``loop`` waits and tries again); if not, the lease runs out by itself.
            db.session.rollback()
            try:
                finish(job, worker, error=f"database: {type(error).__name__}")
            except (OperationalError, DBAPIError):
                pass
            raise
        except Exception as error:  # a job's own failure is recorded and the others go on
            db.session.rollback()
            log.exception("job %s failed", job.name)
            finish(job, worker, error=f"{type(error).__name__}: {error}")
            done.append((job.name, False, str(error)))
            continue
        finish(job, worker, summary=summary)
        log.info("job %s done in %.2f s: %s", job.name, time.monotonic() - started, summary)
        done.append((job.name, True, summary))
    return done


def loop(worker: str | None = None, *, stop=None, tick: float = 1.0, jobs=JOBS) -> None:
    """Run due jobs until ``stop`` (a threading.Event) is set; a lost database is waited out."""
    worker = worker or worker_name()
    pause = tick
    while stop is None or not stop.is_set():
        try:
            run_due(worker, jobs)
            pause = tick
        except (OperationalError, DBAPIError) as error:
            pause = min(max(pause * 2, 1.0), 30.0)
            log.warning("database unreachable (%s); the worker tries again in %.0f s", type(error).__name__, pause)
        finally:
            db.session.remove()
        if stop is not None:
            stop.wait(pause)
        else:
            time.sleep(pause)


@dataclass(frozen=True)
class JobStatus:
    name: str
    interval: float
    last_started_at: datetime | None
    last_ok_at: datetime | None
    last_summary: str
    last_error: str
    failures: int
    late: bool  # no success within three intervals (or never)


def status(jobs=JOBS, now: datetime | None = None) -> list[JobStatus]:
    """Each job's last run, for the admin page and the health check."""
    now = now or utcnow()
    rows = {row.name: row for row in db.session.scalars(select(JobState))}
    found = []
    for job in jobs:
        row, interval = rows.get(job.name), job.interval()
        last_ok = row.last_ok_at if row else None
        late = last_ok is None or (now - last_ok).total_seconds() > 3 * interval
        found.append(JobStatus(job.name, interval, row.last_started_at if row else None, last_ok,
                               row.last_summary if row else "", row.last_error if row else "",
                               row.failures if row else 0, late))
    return found
