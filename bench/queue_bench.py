"""How fast is the staff queue with a large history?  Prints figures; asserts nothing.

    .venv/bin/python -m bench.queue_bench --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --tickets 100000 1000000

Builds a fresh database (its own PostgreSQL database next to the one named, or a temporary
SQLite file), migrates it, loads the demo district plus ``--tickets`` generated tickets (each size on a database of its own), then
times the queue pages in-process (server time, no network) as a community's staff and as the
district admin, and shows PostgreSQL's plan for the default queue query; the sizes side by side.
"""

from __future__ import annotations

import argparse
import html
import re
import secrets
import statistics
import time
from contextlib import contextmanager

from sqlalchemy import text

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
]


@contextmanager
def fresh_database(url: str | None):
    """A temporary SQLite file, or a PostgreSQL database of its own beside ``url``."""
    from .run import Database

    database = Database("postgresql" if url else "sqlite", url or "")
    try:
        yield database.url
    finally:
        database.drop()


def measure(database_url: str, tickets: int, requests: int) -> tuple[str, float, dict[str, tuple[float, float, float]]]:
    """One fresh database with ``tickets`` generated tickets: (plan, seconds to generate, timings)."""
    import flask_migrate

    from kiosk_app import create_app
    from kiosk_app.extensions import db
    from kiosk_app.services import seed

    from . import data

    password = secrets.token_urlsafe(12)  # the throwaway database's staff accounts
    plan, timings = "", {}
    with fresh_database(database_url) as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            flask_migrate.upgrade()
            seed.seed_demo(staff_password=password)
            started = time.perf_counter()
            data.generate(tickets)
            generated = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                from kiosk_app.models.ticket import OPEN_SQL

                plan = "\n  ".join(db.session.execute(text(
                    f"EXPLAIN SELECT * FROM tickets WHERE community_id = 4 AND {OPEN_SQL} ORDER BY due_date, id LIMIT 25"
                )).scalars().all())
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
            assert client.get(url_path).status_code == 200  # warm up
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                response = client.get(url_path)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            times.sort()
            timings[label] = (statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], times[-1])
        with app.app_context():
            db.engine.dispose()
    return plan, generated, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (a database is made beside it); "
                        "empty: a temporary SQLite file")
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000],
                        help="history sizes, each measured on a database of its own (e.g. 100000 1000000)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page")
    args = parser.parse_args()

    runs = {}
    for size in args.tickets:
        plan, generated, timings = measure(args.database_url, size, args.requests)
        runs[size] = timings
        backend = "postgresql" if args.database_url else "sqlite"
        print(f"database: {backend}; generated {size:,} tickets with events in {generated:.1f} s")
        if plan:
            print(f"plan of the default queue query ({size:,} tickets):\n  {plan}")
    heads = "".join(f" {f'{size:,} tickets p50 / p95 ms':>32}" for size in runs)
    print(f"\n{'page':<52}{heads}")
    for _user, _path, label in PAGES:
        cells = "".join(f" {f'{runs[size][label][0]:.1f} / {runs[size][label][1]:.1f}':>32}" for size in runs)
        print(f"{label:<52}{cells}")


if __name__ == "__main__":
    main()
