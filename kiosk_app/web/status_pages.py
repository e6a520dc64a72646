"""Status pages kept as rendered, per worker: the page residents' phones reload and poll most.

A ticket's status page is a function of its rows (the ticket, its service and community, its public
timeline, its rating, the result waiting for it in a compartment), of who reads it (language, large
print, the community in the top bar, full page or htmx swap, the address it was asked at) and of the
minute (the "last updated" time, the rating's week, the pickup code's expiry).  So a request for one
is met before Flask: its rows are read in one plain statement on the worker's own connection, and when
the same rows were rendered for the same reader in the same minute, the answer is that rendering, with
the reader's own CSRF token put in.  Otherwise Flask serves the page as always, and it is kept.  The
key holds the rows themselves, not a version a change could forget to bump: whatever changes what the
page shows makes another key, at once.

Only a resident's plain session takes this way: its cookie verified as Flask verifies it, holding a
CSRF token and nothing but the language, print size and community.  Staff, an enrolled terminal, a
phone linked to a locker, a first visit (no session yet), a query string, a missing ticket or a
database that does not answer go the whole way through Flask.  A kept answer carries the headers
Flask gave its rendering (security headers included) and is logged and counted like any request.

What it saves (``bench/profile.py status_page``, PostgreSQL): the app's CPU per status page from
1.75 ms to about 0.2 ms; ``make bench`` shows it under load.  What would break it: a page showing
something that is in neither ``_reading()`` nor the reader's key.  tests/web/test_status_pages.py
walks a ticket through its life and compares each kept answer with a fresh rendering.
``STATUS_PAGES_KEPT`` renderings are kept per worker (about 10 KB each); 0 turns this off.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import String, event, literal_column, type_coerce
from werkzeug.http import parse_cookie

from ..extensions import db
from ..models import Area, Compartment, ItemKind, ItemState, LockerItem, Rating, Service, Terminal, Ticket, TicketEvent
from ..models.base import utcnow
from ..services import ticket_help
from . import htmx, observability
from .context import TERMINAL_COOKIE

log = logging.getLogger(__name__)

ENDPOINT, ROUTE = "public.ticket_status", "/t/<token>"
PATH = re.compile(r"^/t/([A-Za-z0-9_-]{16,64})$")  # the route's address, the token's shape (ticket_status.TOKEN)
# What a plain resident's session may hold (``_fresh``: Flask-Login's mark, False without a sign-in);
# anything else (a sign-in, a linked locker, a message to show once) and the request goes through Flask.
READER_KEYS = frozenset({"csrf_token", "lang", "large", "community_id", "_fresh"})
CSRF_MARK = f"csrf-{secrets.token_hex(12)}"  # rendered for the CSRF token; random per worker: no text names it
KEEP = "kiosk_app.status_page.keep"  # environ: this request's rendering is to be kept (set here, never by a client)
# Headers a kept answer does not repeat: they are this request's own.
OWN_HEADERS = frozenset({"content-length", "set-cookie", "x-request-id"})
CSRF_REUSE_SECONDS = 60  # a signed CSRF token is reused this long (its signature has no time limit here)


def _reading():
    """Everything of the database a status page shows, in one statement, rows in a fixed order."""
    tickets, events, services, areas = (Ticket.__table__, TicketEvent.__table__, Service.__table__,
                                        Area.__table__)
    ratings, items, compartments, terminals = (Rating.__table__, LockerItem.__table__, Compartment.__table__,
                                               Terminal.__table__)
    waiting = ((items.c.ticket_id == tickets.c.id)
               & (type_coerce(items.c.kind, String) == literal_column(f"'{ItemKind.RESULT.value}'"))
               & (type_coerce(items.c.state, String) == literal_column(f"'{ItemState.HELD.value}'")))
    return (
        db.select(tickets.c.id, tickets.c.number, tickets.c.status, tickets.c.physical_result,
                  tickets.c.resident_name, tickets.c.resident_mobile, tickets.c.due_date,
                  tickets.c.service_name_zh, tickets.c.service_name_en, services.c.name_zh, services.c.name_en,
                  areas.c.name_zh, areas.c.name_en,
                  events.c.id, events.c.action, events.c.to_status, events.c.note, events.c.params,
                  events.c.created_at,
                  ratings.c.level, ratings.c.comment, ratings.c.created_at, ratings.c.updated_at,
                  items.c.id, items.c.held_at, items.c.pickup_expires_at, compartments.c.number,
                  terminals.c.id, terminals.c.name_zh, terminals.c.name_en,
                  services.c.volunteer_eligible, ticket_help.helping(tickets.c.id))
        .select_from(tickets)
        .join(services, services.c.id == tickets.c.service_id)
        .join(areas, areas.c.id == tickets.c.community_id)
        .outerjoin(events, (events.c.ticket_id == tickets.c.id) & events.c.public)
        .outerjoin(ratings, ratings.c.ticket_id == tickets.c.id)
        .outerjoin(items, waiting)
        .outerjoin(compartments, compartments.c.id == items.c.compartment_id)
        .outerjoin(terminals, terminals.c.id == compartments.c.terminal_id)
        .where(tickets.c.token == db.bindparam("token"))
        .order_by(events.c.id, items.c.id)
    )


class Kept:
    """A bounded map, the least recently used entry dropped first; safe across a worker's threads."""

    def __init__(self, size: int):
        self.size, self._entries, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class StatusPages:
    """The WSGI layer in front of the Flask app that answers kept status pages."""

    def __init__(self, app, wsgi_app, size: int):
        self.app, self.wsgi_app = app, wsgi_app
        self.pages = Kept(size)  # key -> (status line, headers, body with CSRF_MARK)
        self.sessions = Kept(size)  # session cookie -> (its data, when it expires): verified once
        self.tokens = Kept(size)  # raw CSRF token -> (signed, when signed)
        self.reads = 0  # statements run here (tests count them beside the ORM's)
        self._lock, self._idle, self._pid = threading.Lock(), [], os.getpid()
        self._generation = 0  # bumped when the engine is disposed of: what was lent before is closed on return
        self._statement: tuple[str, bool] | None = None
        self._engine = None
        cookie_lifetime = app.permanent_session_lifetime.total_seconds()
        self._session_max_age = int(cookie_lifetime)
        self._csrf = URLSafeTimedSerializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key,
                                            salt="wtf-csrf-token")

    def __call__(self, environ, start_response):
        match = PATH.match(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        try:
            key, raw_csrf = self._key(environ, match.group(1))
        except Exception:  # noqa: BLE001 - whatever failed here, Flask's way serves (and reports) it
            log.warning("status page: not answered from the kept pages", exc_info=True)
            key = None
        if key is None:
            return self.wsgi_app(environ, start_response)
        kept = self.pages.get(key)
        if kept is None:
            return self._render_and_keep(environ, start_response, key, raw_csrf)
        status, headers, body = kept
        body = body.replace(CSRF_MARK.encode(), self._signed(raw_csrf).encode())
        request_id = observability.request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(status, [*headers, ("Content-Length", str(len(body))), ("X-Request-ID", request_id)])
        observability.record(request_id, "GET", ENDPOINT, ROUTE, int(status[:3]), started)
        return [body]

    # -- who reads, and what --------------------------------------------------------------------------

    def _key(self, environ, token: str):
        """The kept page's key for this request and the reader's raw CSRF token; (None, None) for a
        request that goes through Flask."""
        cookies = parse_cookie(environ)
        config = self.app.config
        if TERMINAL_COOKIE in cookies or config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
            return None, None
        reader = self._session(cookies.get(config["SESSION_COOKIE_NAME"]))
        if reader is None or not isinstance(reader.get("csrf_token"), str) or not reader.keys() <= READER_KEYS \
                or reader.get("_fresh", False) is not False:
            return None, None
        rows = self._rows(token)
        if not rows:  # not found, or no answer: Flask says which
            return None, None
        lang = reader.get("lang")
        community_id = reader.get("community_id")
        key = (token, rows, htmx.is_swap_environ(environ),
               lang if lang in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"], bool(reader.get("large")),
               community_id if isinstance(community_id, int) else None,
               environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), environ.get("SCRIPT_NAME"),
               environ.get("HTTP_X_FORWARDED_HOST"), environ.get("HTTP_X_FORWARDED_PROTO"),
               environ.get("HTTP_X_FORWARDED_PREFIX"), utcnow().replace(second=0, microsecond=0))
        return key, reader["csrf_token"]

    def _session(self, cookie: str | None) -> dict | None:
        """The session in the cookie, verified as Flask's session interface does (its signature, its age),
        once per cookie: the same cookie string holds the same data until it expires."""
        if not cookie:
            return None
        known = self.sessions.get(cookie)
        if known is not None and known[1] > time.time():
            return known[0]
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        try:
            data, signed_at = serializer.loads(cookie, max_age=self._session_max_age, return_timestamp=True)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        self.sessions.put(cookie, (data, signed_at.timestamp() + self._session_max_age))
        return data

    def _signed(self, raw: str) -> str:
        """The reader's CSRF token as Flask-WTF signs it, reused for a minute (each signing costs as much
        as the rest of a kept answer)."""
        known = self.tokens.get(raw)
        if known is not None and time.monotonic() - known[1] < CSRF_REUSE_SECONDS:
            return known[0]
        signed = self._csrf.dumps(raw)
        self.tokens.put(raw, (signed, time.monotonic()))
        return signed

    # -- the rendering, kept -------------------------------------------------------------------------

    def _render_and_keep(self, environ, start_response, key, raw_csrf: str):
        """Flask renders the page with the mark for the CSRF token (``render_with_mark``); it is kept
        when it is the status page itself (not an error), and answered with the reader's token."""
        environ[KEEP] = False
        answer: list = []

        def capture(status, headers, exc_info=None):
            answer[:] = [status, headers]
            return lambda _data: None  # (Flask never writes through it)

        chunks = self.wsgi_app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status, headers = answer
        if environ[KEEP] is True and status[:3] in ("200", "286") \
                and not any(name.lower() == "set-cookie" for name, _ in headers):
            self.pages.put(key, (status, [(name, value) for name, value in headers
                                          if name.lower() not in OWN_HEADERS], body))
        if CSRF_MARK.encode() in body:
            body = body.replace(CSRF_MARK.encode(), self._signed(raw_csrf).encode())
            headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    def _rows(self, token: str) -> tuple | None:
        """The page's rows as the driver gives them, outside any session or transaction; None when the
        database did not answer."""
        engine = self._engine
        if engine is None:
            with self.app.app_context():
                engine = self._engine = db.engine
            event.listen(engine, "engine_disposed", self._close_connections)
        if self._statement is None:
            compiled = _reading().compile(dialect=engine.dialect)
            self._statement = (str(compiled), bool(compiled.positional))
        sql, positional = self._statement
        parameters = (token,) if positional else {"token": token}
        self.reads += 1
        if engine.dialect.name == "postgresql":
            return self._read_postgresql(engine, sql, parameters)
        connection = engine.raw_connection()  # SQLite: in-process, its pool's connection costs nothing
        try:
            cursor = connection.cursor()
            cursor.execute(sql, parameters)
            return tuple(tuple(row) for row in cursor.fetchall())
        finally:
            connection.close()

    def _read_postgresql(self, engine, sql: str, parameters) -> tuple | None:
        """On a connection of the layer's own, kept on autocommit: one round trip, no BEGIN or ROLLBACK, no
        ping (the pool pings each connection it lends), the statement prepared on the server after a few
        runs.  A connection is lent to one request at a time and taken back after it, so there are never
        more than the requests answered at once (a worker's threads); one that fails is closed."""
        connection, generation = self._lend(engine)
        try:
            rows = tuple(connection.execute(sql, parameters).fetchall())
        except Exception:  # noqa: BLE001 - database gone or restarted: Flask's way reports it
            log.warning("status page: reading on the kept connection failed", exc_info=True)
            connection.close()
            return None
        self._take_back(connection, generation)
        return rows

    def _lend(self, engine):
        """An idle connection, or a new one; with the engine's generation it belongs to."""
        with self._lock:
            if self._pid != os.getpid():  # a forked worker: its parent's connections are not its own
                self._pid, self._idle = os.getpid(), []
            generation = self._generation
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection, generation
        fairy = engine.raw_connection()
        connection = fairy.driver_connection
        fairy.detach()  # the pool forgets it: this layer lends it from now on
        connection.autocommit = True
        return connection, generation

    def _take_back(self, connection, generation: int) -> None:
        with self._lock:
            if self._pid == os.getpid() and generation == self._generation:
                self._idle.append(connection)
                return
        connection.close()  # lent before the engine was disposed of

    def _close_connections(self, _engine) -> None:
        """The engine is disposed of (a test's end, a worker's): so are the idle connections here, and
        each lent one when it comes back."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for connection in idle:
            connection.close()

    def statement_text(self) -> str:
        return self._statement[0] if self._statement else ""


def render_with_mark(environ) -> bool:
    """For the view: render the CSRF token as the mark, to be kept?  (Then it is told it was rendered.)"""
    if environ.get(KEEP) is False:
        environ[KEEP] = True
        return True
    return False


def init_app(app) -> None:
    size = int(app.config.get("STATUS_PAGES_KEPT") or 0)
    if size > 0:
        app.extensions["status_pages"] = app.wsgi_app = StatusPages(app, app.wsgi_app, size)
