"""The benchmark of the real flows (``make bench``).  Prints figures and writes bench/RESULTS.md.

For each database (SQLite, then PostgreSQL when it answers) it builds a fresh database with the
demo district plus a large generated history, serves the app with gunicorn (3 sync workers on
127.0.0.1, production settings), serves the bare reference page with the same settings, and loads
each endpoint with wrk (Debian's package; ``bench/wrk.lua`` makes the submission a real POST with
a CSRF token, a session and a unique submission key per request):

    reference page · kiosk home · a service's form · ticket submission · the ticket page with its QR
    · the status page · the staff queue (default view, and a search) · a terminal's door-status poll

On PostgreSQL it also serves two limit references (bench/limits.py: bare Flask, one psycopg
connection per worker, same gunicorn settings, same database): reading one ticket row by token into
a ~3 KB page, and inserting one row and committing.  The status page and the submission are then
also given as a share of their limit: how much of the least possible work's speed the app keeps.

For each: requests/s, p50/p95/p99 latency, errors, the ratio to the reference page; then the RSS
of every worker.  After the submission load it checks that every accepted POST made exactly one
ticket and that no two tickets share a number.  Figures are printed, never asserted: the targets
are shown next to them.

    .venv/bin/python -m bench.run [--tickets 100000] [--seconds 10] [--postgres-url URL | --no-postgres]
    .venv/bin/python -m bench.run --smoke     # a few seconds, tiny data: the test suite runs this
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRK_SCRIPT = ROOT / "bench" / "wrk.lua"
RESULTS = ROOT / "bench" / "RESULTS.md"
PASSWORD = secrets.token_urlsafe(12)  # the throwaway database's staff accounts, this run only
SECRET_KEY = secrets.token_hex(32)  # the served app's, this run only (the door poll's session is signed with it)
# The key residents' numbers are sealed with (kiosk_app/models/sealed.py), this run only.
PERSONAL_DATA_KEYS = "bench:aes:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
WORKERS = 3
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# (key, label, concurrent connections).  Throughput pages are loaded like the reference page;
# the back-office and door-poll latencies are measured with one connection per worker.
ENDPOINTS = [
    ("kiosk_home", "kiosk home", 8),
    ("service_form", "service form", 8),
    ("submission", "ticket submission (POST)", 8),
    ("ticket_page", "ticket page with QR", 8),
    ("status_page", "status page", 8),
    ("queue_default", "staff queue, default view", 3),
    ("queue_search", "staff queue, search (last 4 digits)", 3),
    ("door_poll", "terminal door-status poll", 3),
]


# ---------------------------------------------------------------- databases

def postgres_answers(url: str) -> bool:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


class Database:
    """A fresh database for one run: a temporary SQLite file, or a PostgreSQL database of its own."""

    def __init__(self, backend: str, postgres_url: str = ""):
        self.backend, self.postgres_url = backend, postgres_url
        self.folder = tempfile.mkdtemp(prefix="cloudlocker-bench-")
        self.name = f"cloudlocker_bench_{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            self.url = f"sqlite:///{self.folder}/bench.sqlite3"
        else:
            from sqlalchemy.engine import make_url

            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = make_url(postgres_url).set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def drop(self) -> None:
        if self.backend == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Fixture:
    """What the load needs, prepared in-process before the server starts."""

    service_id: int = 0
    building_id: int = 0
    ticket_token: str = ""
    terminal_cookie: str = ""
    door_item_token: str = ""
    door_session_cookie: str = ""
    tickets_before: int = 0
    generated_seconds: float = 0.0
    queue_plans: list[str] = field(default_factory=list)


def prepare(url: str, tickets: int) -> Fixture:
    import flask_migrate
    from sqlalchemy import func, select

    from kiosk_app import create_app
    from kiosk_app.extensions import db
    from kiosk_app.models import Channel, ItemKind, Service, Size, Status, Ticket
    from kiosk_app.services import catalogue, locker, seed, terminals, tickets as ticket_service

    from . import data

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                      "PERSONAL_DATA_KEYS": PERSONAL_DATA_KEYS})
    fixture = Fixture()
    logging.disable(logging.INFO)  # the migrations' progress lines
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed.seed_demo(staff_password=PASSWORD)
        started = time.perf_counter()
        data.generate(tickets)
        fixture.generated_seconds = time.perf_counter() - started
        community = catalogue.get_community("HQ")
        service = db.session.scalar(select(Service).filter_by(code="facility-repair"))
        fixture.service_id = service.id
        fixture.building_id = catalogue.buildings(community)[0].id
        sample = db.session.scalar(select(Ticket).where(Ticket.community_id == community.id,
                                                        Ticket.status == Status.IN_PROGRESS).limit(1))
        if sample is None:  # tiny histories: a fresh ticket will do
            sample = ticket_service.submit_request(
                {"name": "张三", "mobile": "13812345678", "building": str(fixture.building_id), "details": "",
                 "id_number": ""}, service=service, community=community, channel=Channel.KIOSK)
        fixture.ticket_token = sample.token
        # A locker terminal with a door standing open, as while a resident puts papers in.
        terminal, credential = terminals.enrol(terminals.issue_enrolment_code(terminals.get_by_code("HQ-L1")))
        fixture.terminal_cookie = credential
        item = locker.reserve_and_open(terminal, sample, ItemKind.SUBMISSION, locker.DoorReason.DROP_OFF,
                                       min_size=Size.S, actor_label="resident")
        fixture.door_item_token = item.token
        # The screen that made the drop-off owns its door page: the session it holds says so.
        signed = app.session_interface.get_signing_serializer(app).dumps({"locker_items": [item.token]})
        fixture.door_session_cookie = f"{app.config['SESSION_COOKIE_NAME']}={signed}"
        fixture.tickets_before = db.session.scalar(select(func.count()).select_from(Ticket))
        if db.engine.dialect.name == "postgresql":
            fixture.queue_plans = queue_plans(app)
        db.engine.dispose()
    return fixture


def queue_plans(app) -> list[str]:
    """EXPLAIN of every query on tickets that the staff queue's default view runs."""
    from sqlalchemy import event

    from kiosk_app.extensions import db

    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM tickets" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/staff/login", data={"username": "staff-hq", "password": PASSWORD})
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        client.get("/staff/")
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
        app.config["WTF_CSRF_ENABLED"] = True
    plans = []
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            rows = conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + statement, parameters).scalars().all()
            plans.append("\n".join(rows))
    return plans


# ---------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with 3 sync workers on 127.0.0.1."""

    def __init__(self, app: str, env: dict, check_path: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # The server's log (a JSON line per request in production) goes to a file: a pipe nobody reads
        # fills up and stalls every worker that writes to it.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(WORKERS), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", app],
            cwd=ROOT, env={**os.environ, **env, "PUBLIC_BASE_URL": self.base},
            stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + check_path, timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    raise RuntimeError(f"gunicorn did not start: {self.log.read().decode()[-2000:]}")
                time.sleep(0.2)

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            kb = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
            sizes.append(kb / 1024)
        return sizes

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies and forms, as a person's browser would carry them (to prepare the load)."""

    def __init__(self, base: str):
        self.base, self.jar = base, CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def get(self, path: str) -> str:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.read().decode()
        except urllib.error.HTTPError as error:  # a redirect, which we do not follow
            if not 300 <= error.code < 400:
                raise
            return ""

    def post(self, path: str, form: dict) -> int:
        try:
            with self.opener.open(self.base + path, data=urllib.parse.urlencode(form).encode(), timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# ---------------------------------------------------------------- load

def wrk(url: str, *, seconds: float, connections: int, headers: dict | None = None,
        body: str | None = None, run_id: str = "") -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(WRK_SCRIPT)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    env = dict(os.environ)
    tokens_file = None
    if body is not None:
        tokens_file = tempfile.NamedTemporaryFile(prefix="bench-tokens-", delete=False).name
        env.update(BENCH_BODY=body, BENCH_RUN=run_id, BENCH_TOKENS=tokens_file)
    output = subprocess.run(command + [url], capture_output=True, text=True, env=env, timeout=seconds + 60).stdout
    line = next((ln for ln in output.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    figures = json.loads(line[6:])
    if tokens_file:
        figures["tokens"] = Path(tokens_file).read_text().split()
        os.unlink(tokens_file)
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return figures


@dataclass
class Row:
    label: str
    connections: int
    figures: dict
    ratio: float | None = None
    key: str = ""  # ENDPOINTS' key, or a limit's


def run_reference(seconds: float, connections: int) -> Row:
    server = Server("bench.reference:app", {}, "/")
    try:
        wrk(server.base + "/", seconds=min(seconds, 2), connections=connections)  # warm up
        figures = wrk(server.base + "/", seconds=seconds, connections=connections)
        figures["rss_mb"] = server.worker_rss_mb()
        figures["page_bytes"] = len(urllib.request.urlopen(server.base + "/").read())
    finally:
        server.stop()
    return Row("reference page (bare Flask, ~3 KB)", connections, figures, 1.0)


def submission_form(fixture: Fixture) -> dict:
    """What a resident's phone posts for a ticket (the CSRF token aside); wrk.lua adds a unique
    submission_key to each request."""
    return {"name": "张三", "mobile": "13812345678", "building": fixture.building_id, "details": "3单元楼道灯不亮",
            "id_number": "", "sms": "1"}


# (key, the endpoint it bounds, its row's label, the share line's words for the endpoint and the limit)
LIMITS = [
    ("limit_read", "status_page", "limit: read one row (bare Flask + psycopg, ~3 KB)", "status page", "read one row"),
    ("limit_insert", "submission", "limit: insert one row (bare Flask + psycopg, POST)", "submission", "insert one row"),
]


def run_limits(database_url: str, fixture: Fixture, seconds: float, only: list[str] | None = None) -> list[Row]:
    """Serve bench/limits.py like the reference page, against the app's benchmark database, and load
    each limit exactly as its endpoint is loaded: the read with the status page's ticket token and
    connections (and its warm-up, so every worker has prepared the query), the insert with the
    submission's form and connections and no warm-up (but no CSRF token: the limit checks none)."""
    import psycopg
    from sqlalchemy.engine import make_url

    from .limits import CREATE_INSERT_TABLE, INSERT_TABLE

    wanted = [(key, endpoint, label) for key, endpoint, label, *_words in LIMITS if not only or endpoint in only]
    if not wanted:
        return []
    connections = {key: conns for key, _label, conns in ENDPOINTS}
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(CREATE_INSERT_TABLE)
    rows = []
    try:
        read_path = f"/t/{fixture.ticket_token}"
        server = Server("bench.limits:app", {"BENCH_LIMIT_DATABASE": conninfo}, read_path)
        try:
            for key, endpoint, label in wanted:
                conns = connections[endpoint]
                if key == "limit_read":
                    wrk(server.base + read_path, seconds=min(seconds, 1), connections=conns)
                    figures = wrk(server.base + read_path, seconds=seconds, connections=conns)
                else:
                    body = urllib.parse.urlencode(submission_form(fixture))
                    figures = wrk(server.base + "/insert", seconds=seconds, connections=conns,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body,
                                  run_id=f"limit{uuid.uuid4().hex[:8]}")
                rows.append(Row(label, conns, figures, key=key))
        finally:
            server.stop()
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {INSERT_TABLE}")
    return rows


def share_of_limits(rows: list[Row]) -> str:
    """The line under PostgreSQL's table: each bounded endpoint's req/s as a share of its limit's."""
    by_key = {row.key: row for row in rows}
    parts = []
    for key, endpoint, _label, endpoint_words, limit_words in LIMITS:
        if key in by_key and endpoint in by_key:
            share = by_key[endpoint].figures["rps"] / by_key[key].figures["rps"]
            parts.append(f"{endpoint_words}: {share:.0%} of its limit ({limit_words})")
    return "- " + "; ".join(parts) if parts else ""


# The benchmark sends thousands of submissions from one address with one mobile number: its abuse
# limits are set out of reach, so every request still goes through the limiter (its cost is measured)
# and none is refused.
OUT_OF_REACH_LIMITS = {name: "100000000 per minute" for name in (
    "LIMIT_SUBMIT_CLIENT", "LIMIT_SUBMIT_MOBILE", "LIMIT_FIELD_CHECKS", "LIMIT_LOOKUP", "LIMIT_SIGN_IN")}


def run_backend(backend: str, database_url: str, fixture: Fixture, seconds: float,
                only: list[str] | None = None) -> tuple[list[Row], dict]:
    env = {"KIOSK_CONFIG": "production", "SECRET_KEY": SECRET_KEY, "PERSONAL_DATA_KEYS": PERSONAL_DATA_KEYS,
           "DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": "0", **OUT_OF_REACH_LIMITS}
    server = Server("wsgi:app", env, "/healthz")
    rows, checks = [], {}
    try:
        resident = Browser(server.base)
        resident.get("/kiosk/community/HQ")
        form_path = f"/kiosk/services/{fixture.service_id}/request"
        token = CSRF.search(resident.get(form_path)).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **submission_form(fixture)})
        staff = Browser(server.base)
        login_token = CSRF.search(staff.get("/staff/login")).group(1)
        if staff.post("/staff/login", {"csrf_token": login_token, "username": "staff-hq", "password": PASSWORD}) != 303:
            raise RuntimeError("could not sign in as staff-hq")
        resident_cookie = {"Cookie": resident.cookie_header()}
        plans = {
            "kiosk_home": ("/kiosk/", resident_cookie, None),
            "service_form": (form_path, resident_cookie, None),
            "submission": (form_path, {**resident_cookie, "Content-Type": "application/x-www-form-urlencoded"}, body),
            "ticket_page": (f"/kiosk/tickets/{fixture.ticket_token}", resident_cookie, None),
            # a phone following its ticket: it has the session cookie from its first visit
            "status_page": (f"/t/{fixture.ticket_token}", resident_cookie, None),
            "queue_default": ("/staff/", {"Cookie": staff.cookie_header()}, None),
            "queue_search": ("/staff/?q=5678", {"Cookie": staff.cookie_header()}, None),
            "door_poll": (f"/terminal/items/{fixture.door_item_token}/door",
                          {"Cookie": f"kiosk_terminal={fixture.terminal_cookie}; {fixture.door_session_cookie}",
                           "HX-Request": "true"}, None),
        }
        run_id = f"bench{uuid.uuid4().hex[:8]}"
        for key, label, connections in ENDPOINTS:
            if only and key not in only:
                continue
            path, headers, post_body = plans[key]
            url = server.base + path
            if post_body is None:  # warm every worker's caches first, as a running server would have
                wrk(url, seconds=min(seconds, 1), connections=connections, headers=headers)
            figures = wrk(url, seconds=seconds, connections=connections, headers=headers, body=post_body,
                          run_id=run_id)
            rows.append(Row(label, connections, figures, key=key))
            if key == "submission":
                checks = submission_checks(database_url, run_id, figures, connections)
        rss = server.worker_rss_mb()
    finally:
        server.stop()
    checks["rss_mb"] = rss
    return rows, checks


def submission_checks(database_url: str, run_id: str, figures: dict, connections: int) -> dict:
    """Every accepted POST (its redirect names the ticket) made exactly one ticket of this run; the
    only other tickets of the run are the POSTs still in flight when wrk stopped (at most one per
    connection); no two tickets share a number."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        run_tickets = dict(conn.execute(text("SELECT token, submission_key FROM tickets WHERE submission_key LIKE :k"),
                                        {"k": f"{run_id}-%"}).all())
        duplicates = conn.execute(text("SELECT count(*) FROM (SELECT number FROM tickets GROUP BY number "
                                       "HAVING count(*) > 1) AS d")).scalar()
    engine.dispose()
    tokens = figures["tokens"]
    found = sum(1 for token in set(tokens) if token in run_tickets)
    in_flight = len(run_tickets) - found
    ok = (len(tokens) == figures["accepted"] == len(set(tokens)) == found and 0 <= in_flight <= connections
          and len(set(run_tickets.values())) == len(run_tickets) and duplicates == 0 and figures["refused"] == 0)
    return {"accepted": figures["accepted"], "refused": figures["refused"], "found": found,
            "tickets_made": len(run_tickets), "in_flight": in_flight, "duplicate_numbers": duplicates, "ok": ok}


# ---------------------------------------------------------------- report

TARGETS = {
    "ticket submission (POST)": "≥ 300/s, 0 errors",
    "kiosk home": "≥ 50 % of reference",
    "service form": "≥ 50 % of reference",
    "status page": "≥ 50 % of reference",
    "staff queue, default view": "p95 < 100 ms (PostgreSQL)",
    "staff queue, search (last 4 digits)": "p95 < 100 ms (PostgreSQL)",
    "terminal door-status poll": "p99 < 20 ms",
}


def verdict(backend: str, row: Row) -> str:
    f = row.figures
    if row.label == "ticket submission (POST)":
        return "met" if f["rps"] >= 300 and f["errors"] == 0 else "missed"
    if row.label in ("kiosk home", "service form", "status page"):
        return "met" if row.ratio is not None and row.ratio >= 0.5 else "missed"
    if row.label.startswith("staff queue"):
        if backend != "postgresql":
            return "—"
        return "met" if f["p95_us"] < 100_000 else "missed"
    if row.label == "terminal door-status poll":
        return "met" if f["p99_us"] < 20_000 else "missed"
    return ""


def machine() -> list[str]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    memory = next((ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
                   if ln.startswith("MemTotal")), "0")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    import gunicorn

    return [f"{os.cpu_count()} CPUs ({cpu}), {int(memory) / 1024 / 1024:.0f} GiB memory, {platform.platform()}",
            f"Python {platform.python_version()}, gunicorn {gunicorn.__version__} ({WORKERS} sync workers), "
            f"SQLite {sqlite3.sqlite_version}, {wrk_version.strip()} (2 threads) on the same cores"]


def table(backend: str, rows: list[Row]) -> list[str]:
    lines = ["| endpoint | conns | req/s | ratio to reference | p50 ms | p95 ms | p99 ms | errors | target |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        f = row.figures
        ratio = f"{row.ratio:.0%}" if row.ratio is not None else ""
        target = TARGETS.get(row.label, "")
        mark = verdict(backend, row)
        lines.append(f"| {row.label} | {row.connections} | {f['rps']:,.0f} | {ratio} | {f['p50_us'] / 1000:.1f} | "
                     f"{f['p95_us'] / 1000:.1f} | {f['p99_us'] / 1000:.1f} | {f['errors']} | "
                     f"{target}{' — ' + mark if target and mark else ''} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000, help="generated history per database")
    parser.add_argument("--seconds", type=int, default=10, help="load per endpoint")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append",
                        help="only this database (may be given twice)")
    parser.add_argument("--only", action="append", choices=[key for key, _label, _c in ENDPOINTS],
                        help="only this endpoint (may be given several times)")
    parser.add_argument("--smoke", action="store_true", help="tiny data, 1 s per endpoint, no RESULTS.md")
    parser.add_argument("--output", default=str(RESULTS), help="where to write the Markdown report")
    args = parser.parse_args(argv)
    if args.smoke:
        args.tickets, args.seconds = min(args.tickets, 300), 1
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2

    backends = args.backend or ["sqlite", "postgresql"]
    if "postgresql" in backends and (args.no_postgres or not postgres_answers(args.postgres_url)):
        print(f"PostgreSQL is not used ({'--no-postgres' if args.no_postgres else args.postgres_url + ' does not answer'})")
        backends = [b for b in backends if b != "postgresql"]

    report = ["# Benchmark results", "", f"`make bench` on {time.strftime('%Y-%m-%d %H:%M %Z')}.", "",
              *[f"- {line}" for line in machine()],
              f"- history: demo district + {args.tickets:,} generated tickets with their events; "
              f"{args.seconds:g} s of load per endpoint after a warm-up", ""]
    problems = 0
    for backend in backends:
        database = Database(backend, args.postgres_url)
        try:
            print(f"== {backend}: preparing the database ({args.tickets:,} tickets) ...", flush=True)
            fixture = prepare(database.url, args.tickets)
            print(f"   generated in {fixture.generated_seconds:.1f} s", flush=True)
            reference = run_reference(args.seconds, 8)
            limits = run_limits(database.url, fixture, args.seconds, args.only) if backend == "postgresql" else []
            rows, checks = run_backend(backend, database.url, fixture, args.seconds, args.only)
        finally:
            database.drop()
        rows = [reference, *limits, *rows]
        for row in rows[1:]:
            row.ratio = row.figures["rps"] / reference.figures["rps"]
        share = share_of_limits(rows)
        lines = [f"## {backend}", "", *table(backend, rows), "", *([share] if share else [])]
        ok = checks.get("ok", True)
        problems += not ok
        lines += [] if "accepted" not in checks else [f"- submission: {checks['accepted']:,} POSTs accepted (303), {checks['refused']} refused; each "
                  f"accepted POST's ticket found: {checks['found']:,}; tickets made in all: {checks['tickets_made']:,} "
                  f"({checks['in_flight']} still in flight when the load stopped); "
                  f"{checks['duplicate_numbers']} duplicate ticket numbers — "
                  f"{'one ticket per accepted POST' if ok else 'MISMATCH'}"]
        lines += ["- RSS per worker after the run: " + ", ".join(f"{mb:.0f} MB" for mb in checks["rss_mb"])
                  + f" (target < 150 MB — {'met' if max(checks['rss_mb'], default=0) < 150 else 'missed'}); "
                  "reference page workers: " + ", ".join(f"{mb:.0f} MB" for mb in reference.figures["rss_mb"]),
                  f"- generating the history took {fixture.generated_seconds:.1f} s", ""]
        if fixture.queue_plans:
            lines += ["Plans of the queries on `tickets` that the staff queue's default view runs:", ""]
            for plan in fixture.queue_plans:
                lines += ["```", plan, "```"]
            lines.append("")
        print("\n".join(lines), flush=True)
        report += lines
    if not args.smoke:
        from .queue_bench import SECTION  # its section (written by queue_bench.py --results) stays

        output = Path(args.output)
        earlier = output.read_text(encoding="utf-8") if output.exists() else ""
        kept = earlier[earlier.index(SECTION):] if SECTION in earlier else ""
        output.write_text("\n".join(report) + "\n" + kept, encoding="utf-8")
        print(f"written to {args.output}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
