"""How fast is the staff queue with a large history?  Prints figures; asserts nothing.

    .venv/bin/python -m bench.queue_bench --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --tickets 100000 1000000

Builds a fresh database (its own PostgreSQL database next to the one named, or a temporary
SQLite file), migrates it, loads the demo district plus ``--tickets`` generated tickets (each size
on a database of its own), then times the queue and figures pages in-process (server time, no
network) as a community's staff, a grid worker and the district admin; the sizes side by side.
On PostgreSQL it also shows, for each page, the plan of its slowest statement (EXPLAIN ANALYZE).
``--results bench/RESULTS.md`` writes the table and the plans into that file's section on the back
office (replacing the section of an earlier run, keeping the rest).
"""

from __future__ import annotations

import argparse
import html
import re
import secrets
import statistics
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import event, text

NEXT_LINK = re.compile(r'href="/staff/\?([^"]*after=[^"]*)"')
PAGES = [
    ("staff-hq", "/staff/", "queue, default view"),
    ("staff-hq", "/staff/?status=all&overdue=1", "queue, overdue in all states"),
    ("staff-hq", "/staff/?q=5678", "queue, search by last 4 digits"),
    ("grid-hq1", "/staff/", "queue, grid worker"),
    ("admin-district", "/staff/", "queue, district admin (all communities)"),
    ("admin-district", "/staff/?status=all&page=40", "queue, district admin, page 40 of all (by number)"),
    ("admin-district", "next:40:/staff/?status=all", "queue, district admin, page 40 of all (Next links)"),
    ("admin-hq", "/staff/figures", "figures, this month"),
    ("admin-hq", f"/staff/figures?from={date.today() - timedelta(days=364)}&to={date.today()}",
     "figures, a year (community)"),
    ("admin-district", f"/staff/figures?from={date.today() - timedelta(days=364)}&to={date.today()}",
     "figures, a year (district)"),
]
SECTION = "## The back office with a large history (bench/queue_bench.py)"


@contextmanager
def fresh_database(url: str | None):
    """A temporary SQLite file, or a PostgreSQL database of its own beside ``url``."""
    from .run import Database

    database = Database("postgresql" if url else "sqlite", url or "")
    try:
        yield database.url
    finally:
        database.drop()


@contextmanager
def slowest_statement(engine):
    """The slowest statement run inside the block (and its parameters): found = [seconds, sql, params]."""
    found = [0.0, "", None]
    started = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - started.pop(id(cursor), time.perf_counter())
        if took > found[0] and statement.lstrip().upper().startswith("SELECT"):
            found[:] = [took, statement, parameters]

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def measure(database_url: str, tickets: int, requests: int) -> tuple[float, dict, dict[str, str]]:
    """One fresh database with ``tickets`` generated tickets: (seconds to generate, timings, plans)."""
    import flask_migrate

    from kiosk_app import create_app
    from kiosk_app.extensions import db
    from kiosk_app.services import seed

    from . import data

    password = secrets.token_urlsafe(12)  # the throwaway database's staff accounts
    timings, plans = {}, {}
    with fresh_database(database_url) as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            flask_migrate.upgrade()
            seed.seed_demo(staff_password=password)
            started = time.perf_counter()
            data.generate(tickets)
            generated = time.perf_counter() - started
            postgres = db.engine.dialect.name == "postgresql"
            engine = db.engine
        clients = {}
        for username, url_path, label in PAGES:
            client = clients.get(username)
            if client is None:
                client = clients[username] = app.test_client()
                response = client.post("/staff/login", data={"username": username, "password": password})
                assert response.status_code == 303, response.status_code
            if url_path.startswith("next:"):  # the page reached by following Next from the first
                _, hops, url_path = url_path.split(":", 2)
                for _ in range(int(hops) - 1):
                    link = NEXT_LINK.search(client.get(url_path).get_data(as_text=True))
                    url_path = "/staff/?" + html.unescape(link.group(1))
            with slowest_statement(engine) as slowest:
                assert client.get(url_path).status_code == 200  # warm up
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                response = client.get(url_path)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            times.sort()
            timings[label] = (statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], times[-1])
            if postgres and slowest[1]:
                with engine.connect() as conn:
                    plans[label] = "\n".join(conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, COSTS OFF) " + slowest[1], slowest[2]).scalars())
        with app.app_context():
            db.engine.dispose()
    return generated, timings, plans


def report(backend: str, generated: dict[int, float], runs: dict[int, dict], plans: dict[str, str]) -> str:
    sizes = list(runs)
    lines = [SECTION, "",
             f"In-process server time of each page, {backend}, caches off (the suite's settings); "
             + "; ".join(f"{size:,} tickets generated with their events in {generated[size]:.1f} s" for size in sizes)
             + ".", "",
             "| page | " + " | ".join(f"{size:,} tickets p50 / p95 ms" for size in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for _user, _path, label in PAGES:
        lines.append(f"| {label} | " + " | ".join(f"{runs[size][label][0]:.1f} / {runs[size][label][1]:.1f}"
                                                  for size in sizes) + " |")
    if plans:
        lines += ["", f"The plan of each page's slowest statement ({sizes[-1]:,} tickets, EXPLAIN ANALYZE):", ""]
        for label, plan in plans.items():
            lines += [f"**{label}**", "", "```", plan, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_section(path: Path, section: str) -> None:
    """``section`` in place of the file's earlier one (or at its end)."""
    text_before = path.read_text() if path.exists() else ""
    head, found, tail = text_before.partition(SECTION)
    if found:
        following = re.search(r"^## ", tail, re.MULTILINE)
        tail = tail[following.start():] if following else ""
        path.write_text(head + section + ("\n" + tail if tail else ""))
    else:
        path.write_text(text_before.rstrip() + "\n\n" + section if text_before else section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (a database is made beside it); "
                        "empty: a temporary SQLite file")
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000],
                        help="history sizes, each measured on a database of its own (e.g. 100000 1000000)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page")
    parser.add_argument("--results", type=Path, help="a Markdown file to write the results into (its section)")
    args = parser.parse_args()

    runs, generated, plans = {}, {}, {}
    for size in args.tickets:
        generated[size], runs[size], plans = measure(args.database_url, size, args.requests)
    section = report("PostgreSQL" if args.database_url else "SQLite", generated, runs, plans)
    print(section)
    if args.results:
        write_section(args.results, section)


if __name__ == "__main__":
    main()
