"""The periodic work (flask worker): jobs taken one worker at a time, each at its interval; a failing
job does not stop the others; a database that goes away is waited out."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from kiosk_app.extensions import db
from kiosk_app.models import JobState
from kiosk_app.models.base import utcnow
from kiosk_app.services import scheduler
from kiosk_app.services.scheduler import Job

from ..conftest import _build_app


def test_a_due_job_is_taken_once_per_interval_and_not_while_it_is_held(ctx):
    job = Job("outbox", "WORKER_OUTBOX_SECONDS", lambda: "")
    scheduler.ensure([job])
    now = utcnow()
    assert scheduler.claim(job, "one", now) is True
    assert scheduler.claim(job, "two", now) is False  # not due again yet, and held
    later = now + timedelta(seconds=ctx.config["WORKER_OUTBOX_SECONDS"] + 1)
    assert scheduler.claim(job, "two", later) is False  # due, but "one" still holds it
    scheduler.finish(job, "one", summary="sent 0")
    assert scheduler.claim(job, "two", later) is True
    lease_gone = later + timedelta(seconds=ctx.config["WORKER_LEASE_SECONDS"] + 1)
    assert scheduler.claim(job, "three", lease_gone) is True  # "two" died holding it: the lease ran out


def test_every_job_runs_and_a_failing_one_is_recorded_while_the_others_go_on(ctx):
    def broken():
        raise RuntimeError("the gateway is misconfigured")

    jobs = (Job("outbox", "WORKER_OUTBOX_SECONDS", broken), *scheduler.JOBS[1:])
    scheduler.ensure(jobs)
    done = {name: ok for name, ok, _line in scheduler.run_due("test", jobs)}
    assert done == {"outbox": False, "sweep": True, "boards": True, "privacy": True, "throttles": True,
                    "reminders": True, "statistics": True}
    states = {row.name: row for row in db.session.scalars(db.select(JobState))}
    assert "gateway is misconfigured" in states["outbox"].last_error and states["outbox"].failures == 1
    assert states["outbox"].lease_until is None  # given back at once
    assert states["privacy"].last_ok_at is not None and "personal data erased" in states["privacy"].last_summary
    report = {job.name: job for job in scheduler.status(jobs)}
    assert report["outbox"].late and not report["sweep"].late


def test_a_round_with_nothing_due_only_reads(ctx):
    """A worker asks every second: when nothing is due it must not take SQLite's one write lock."""
    from ..helpers import QueryCounter

    scheduler.ensure()
    scheduler.run_due("test")
    with QueryCounter(db.engine) as queries:
        assert scheduler.run_due("test") == []
    assert queries.statements and not [s for s in queries.statements if not s.lstrip().upper().startswith("SELECT")]


def test_two_workers_at_once_never_run_a_job_twice_in_one_interval(app, monkeypatch):
    app.config.update(TEST_JOB_SECONDS=0.3, WORKER_LEASE_SECONDS=0.3)
    runs: list[tuple[str, float, float]] = []
    claimed = []  # the moments the job was taken, as the claims saw them
    guard = threading.Lock()
    real_claim = scheduler.claim

    def claim(job, worker, now=None):
        now = now or utcnow()
        taken = real_claim(job, worker, now)
        if taken:
            with guard:
                claimed.append(now)
        return taken

    monkeypatch.setattr(scheduler, "claim", claim)

    def work():
        start = time.monotonic()
        time.sleep(0.05)  # long enough for the other worker to try meanwhile
        with guard:
            runs.append((threading.current_thread().name, start, time.monotonic()))
        return "ok"

    jobs = (Job("shared", "TEST_JOB_SECONDS", work),)
    stop = threading.Event()

    def worker():
        with app.app_context():
            scheduler.loop(threading.current_thread().name, stop=stop, tick=0.02, jobs=jobs)

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(10)
    runs.sort(key=lambda run: run[1])
    assert len(runs) >= 5 and len(runs) == len(claimed)
    for before, after in zip(runs, runs[1:]):
        assert after[1] >= before[2], "two runs of one job overlapped"
    # By the moments the job was taken (when a thread then started its work depends on the machine's load).
    claimed.sort()
    for before, after in zip(claimed, claimed[1:]):
        assert (after - before).total_seconds() >= 0.3, "a job ran twice in one interval"
    with app.app_context():
        db.engine.dispose()


def test_the_worker_carries_on_after_its_database_connections_are_cut(app, database_url, postgres_url):
    if not postgres_url:
        pytest.skip("PostgreSQL only (runs in the PostgreSQL pass): SQLite has no server to cut connections")
    worker_app = _build_app(f"{database_url}?application_name=worker-under-test", WORKER_OUTBOX_SECONDS=0.5,
                            WORKER_SWEEP_SECONDS=0.5, WORKER_BOARDS_SECONDS=0.5, WORKER_PURGE_SECONDS=0.5,
                            WORKER_REMINDERS_SECONDS=0.5, WORKER_STATISTICS_SECONDS=0.5,
                            WORKER_LEASE_SECONDS=1)
    stop = threading.Event()

    def worker():
        with worker_app.app_context():
            scheduler.loop("under-test", stop=stop, tick=0.1)

    def all_ran_since(moment) -> bool:
        with worker_app.app_context():
            rows = db.session.scalars(db.select(JobState)).all()
            db.session.remove()
        return len(rows) == len(scheduler.JOBS) and all(r.last_ok_at and r.last_ok_at > moment for r in rows)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        start = utcnow()
        assert wait_until(lambda: all_ran_since(start), 20), "the jobs did not all run"
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            cut = connection.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                          "WHERE application_name = 'worker-under-test'")).scalar()
        admin.dispose()
        assert cut >= 1
        after_cut = utcnow()
        assert wait_until(lambda: all_ran_since(after_cut), 30), "the jobs did not run again after the cut"
    finally:
        stop.set()
        thread.join(30)
        with worker_app.app_context():
            db.engine.dispose()


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_statistics_job_lets_sqlite_find_a_mobiles_last_digits_by_their_index(ctx):
    """Without statistics SQLite's planner guessed and walked a community's every ticket for the queue's
    search by the last four digits of a mobile; PostgreSQL keeps its own."""
    from ..helpers import make_ticket

    for _ in range(30):
        make_ticket()
    job = next(job for job in scheduler.JOBS if job.name == "statistics")
    summary = job.run()
    if db.engine.dialect.name != "sqlite":
        assert summary == "kept by the database itself"
        return
    assert db.session.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'tickets'")).scalar() > 0
    plan = " ".join(row[-1] for row in db.session.execute(text(
        "EXPLAIN QUERY PLAN SELECT status, count(*) FROM tickets WHERE community_id IN (4) "
        "AND mobile_last4 = '5678' GROUP BY status")))
    assert "ix_tickets_mobile_last4" in plan, plan
