"""Profile one flow of the benchmark in-process (``make profile FLOW=status_page``).

It builds a fresh database as ``make bench`` does (the demo district and a generated history), makes
the app with production settings, prepares the request the load sends (a resident's session with
its community and CSRF token, a signed-in member of staff, an enrolled terminal), then hands that
request straight to the WSGI app, again and again, under pyinstrument.  It prints:

- the CPU time per request of the app and, on PostgreSQL, of the server's own processes (CPU, not
  wall time: on a shared, noisy machine CPU time is what holds still between two runs);
- the SQL statements one request runs;
- pyinstrument's call tree of the app's time.

Profile before optimising, and compare the CPU figures before and after a change.

    .venv/bin/python -m bench.profile status_page [--requests 1000] [--backend postgresql] [--tickets 5000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import sys
import time
from pathlib import Path

from .run import (CSRF, DEFAULT_POSTGRES, ENDPOINTS, OUT_OF_REACH_LIMITS, PASSWORD, PERSONAL_DATA_KEYS, SECRET_KEY,
                  Database, postgres_answers, prepare)

FLOWS = [key for key, _label, _connections in ENDPOINTS]


def server_cpu_ticks(process_name: str = "postgres") -> dict[int, int]:
    """CPU clock ticks used so far by each process of that name (the database server's backends)."""
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        if f"({process_name})" in text:
            fields = text.rsplit(")", 1)[1].split()
            ticks[int(stat.parent.name)] = int(fields[11]) + int(fields[12])
    return ticks


def server_cpu_seconds_between(before: dict[int, int], after: dict[int, int]) -> float:
    """Of the processes alive at both moments (a backend that ended took its figures with it)."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys()) / os.sysconf("SC_CLK_TCK")


class Flow:
    """The requests of one flow, as WSGI environs ready to be handed to the app."""

    def __init__(self, app, fixture, flow: str):
        self.app, self.flow = app, flow
        client = app.test_client()
        client.get("/kiosk/community/HQ")
        self.form_path = f"/kiosk/services/{fixture.service_id}/request"
        self.csrf = CSRF.search(client.get(self.form_path).get_data(as_text=True)).group(1)
        self.cookies = {"session": client.get_cookie("session").value}
        self.headers: dict[str, str] = {}
        self.path, self.form = {
            "kiosk_home": ("/kiosk/", None),
            "service_form": (self.form_path, None),
            "submission": (self.form_path, {"csrf_token": self.csrf, "name": "张三", "mobile": "13812345678",
                                            "building": str(fixture.building_id), "details": "3单元楼道灯不亮",
                                            "id_number": "", "sms": "1"}),
            "ticket_page": (f"/kiosk/tickets/{fixture.ticket_token}", None),
            "status_page": (f"/t/{fixture.ticket_token}", None),
            "queue_default": ("/staff/", None),
            "queue_search": ("/staff/?q=5678", None),
            "door_poll": (f"/terminal/items/{fixture.door_item_token}/door", None),
        }[flow]
        if flow.startswith("queue_"):
            staff = app.test_client()
            token = CSRF.search(staff.get("/staff/login").get_data(as_text=True)).group(1)
            staff.post("/staff/login", data={"csrf_token": token, "username": "staff-hq", "password": PASSWORD})
            self.cookies = {"session": staff.get_cookie("session").value}
        if flow == "door_poll":
            name, signed = fixture.door_session_cookie.split("=", 1)
            self.cookies = {"kiosk_terminal": fixture.terminal_cookie, name: signed}
            self.headers = {"HX-Request": "true"}
        self.keys = itertools.count()

    def environs(self, count: int) -> list[dict]:
        from werkzeug.test import EnvironBuilder

        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        made = []
        for _ in range(count):
            form = None if self.form is None else {**self.form, "submission_key": f"profile-{next(self.keys)}"}
            made.append(EnvironBuilder(path=self.path, method="POST" if form else "GET", data=form,
                                       headers={"Cookie": cookie, **self.headers}).get_environ())
        return made

    def send(self, environ: dict) -> str:
        status = []
        body = self.app(environ, lambda code, headers, exc_info=None: status.append(code))
        try:
            b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        return status[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("flow", choices=FLOWS)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=5000, help="generated history")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("pyinstrument is missing: make profile installs it (requirements-dev.txt)", file=sys.stderr)
        return 2
    if args.backend == "postgresql" and not postgres_answers(args.postgres_url):
        print(f"PostgreSQL does not answer at {args.postgres_url}; try --backend sqlite", file=sys.stderr)
        return 2

    database = Database(args.backend, args.postgres_url)
    try:
        fixture = prepare(database.url, args.tickets)
        from sqlalchemy import event

        from kiosk_app import create_app
        from kiosk_app.extensions import db

        os.environ["KIOSK_CONFIG"] = "production"  # the settings the benchmark's server runs with
        app = create_app({"SECRET_KEY": SECRET_KEY, "PERSONAL_DATA_KEYS": PERSONAL_DATA_KEYS,
                          "SQLALCHEMY_DATABASE_URI": database.url,
                          "SESSION_COOKIE_SECURE": False, "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
                          **OUT_OF_REACH_LIMITS})
        flow = Flow(app, fixture, args.flow)
        for environ in flow.environs(50):  # warm up: kept values, prepared statements
            flow.send(environ)

        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def record(_conn, _cursor, statement, *_args):
            statements.append(" ".join(statement.split())[:160])

        event.listen(engine, "before_cursor_execute", record)
        kept = app.extensions.get("status_pages")  # its read runs on the driver, unseen by the engine's events
        reads = kept.reads if kept else 0
        status = flow.send(flow.environs(1)[0])
        event.remove(engine, "before_cursor_execute", record)
        if kept and kept.reads > reads:
            statements[:0] = ["(kept status pages) " + " ".join(kept.statement_text().split())[:140]]

        # CPU time first, without the profiler (which slows what it watches several times over).
        environs = flow.environs(args.requests)
        server_before, cpu_before = server_cpu_ticks(), time.process_time()
        statuses = {flow.send(environ) for environ in environs}
        n = args.requests
        app_cpu = (time.process_time() - cpu_before) / n * 1000
        server = server_cpu_seconds_between(server_before, server_cpu_ticks()) / n * 1000
        environs = flow.environs(args.requests)
        profiler = Profiler(interval=0.0002)
        profiler.start()
        statuses |= {flow.send(environ) for environ in environs}
        profiler.stop()
    finally:
        database.drop()

    print(f"{args.flow} on {args.backend}: {n:,} requests, answered {', '.join(sorted(statuses | {status}))}")
    print(f"CPU per request: app {app_cpu:.3f} ms"
          + (f", PostgreSQL server {server:.3f} ms" if args.backend == "postgresql" else ""))
    print(f"SQL statements per request: {len(statements)}")
    for statement in statements:
        print(f"  {statement}")
    print(re.sub(r"\n{3,}", "\n\n", profiler.output_text(unicode=True, color=False)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
