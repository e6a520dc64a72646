"""The two limit references (PostgreSQL only): the least work a status page and a submission could do.

A bare Flask app with one psycopg 3 connection per gunicorn worker, nothing of the kiosk app (no
SQLAlchemy, no Babel, no sessions, no CSRF):

- ``GET /t/<token>``  reads one row of ``tickets`` by its token and renders the reference page's
  ~3 KB of HTML with a few of the row's fields: what a status page costs at the very least.
- ``POST /insert``    INSERTs the posted form as one row of a scratch table and COMMITs, then
  answers 303 like the submission does: what a submission costs at the very least.

bench/run.py serves it with the same gunicorn settings as the reference page, against the same
benchmark database as the app, and gives the app's status page and submission as a share of these.
The database comes in ``BENCH_LIMIT_DATABASE`` (a libpq connection string).
"""

import json
import os

import psycopg
from flask import Flask, abort, redirect, render_template, request
from jinja2 import DictLoader

from .reference import ITEMS

# Created by bench/run.py before this app is served, dropped after its load.
INSERT_TABLE = "bench_limit_insert"
CREATE_INSERT_TABLE = (f"CREATE TABLE {INSERT_TABLE} (id bigserial PRIMARY KEY, body text NOT NULL, "
                       "created_at timestamptz NOT NULL DEFAULT now())")

app = Flask(__name__)

_connection: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    """This worker's one connection, opened at its first request (so never shared across gunicorn's
    fork) and kept for the worker's life, as the app's pool keeps its connections.

    autocommit: the read is one statement, which sees what was committed before it started with or
    without a transaction around it, so BEGIN and COMMIT would be two round trips that change
    nothing; the fair minimum for a one-row read has none.  The insert asks for its transaction
    explicitly (below).  Prepared statements are psycopg's default: a query run a few times on a
    connection is prepared on the server and then only executed."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["BENCH_LIMIT_DATABASE"], autocommit=True)
    return _connection


# The reference page's markup and 20-item loop, with the ticket's fields on top (~3 KB).
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ticket {{ ticket.number }}</title></head>
<body><main><h1>Ticket {{ ticket.number }}</h1>
<dl><dt>Status</dt><dd>{{ ticket.status }}</dd><dt>Due</dt><dd>{{ ticket.due_date }}</dd>
<dt>Submitted</dt><dd>{{ ticket.created_at.strftime("%Y-%m-%d %H:%M") }}</dd></dl><ul>
{% for item in items %}<li><a href="/items/{{ loop.index }}">{{ item.name }}</a> <p>{{ item.summary }}</p> <span>{{ item.days }} days</span></li>
{% endfor %}</ul></main></body></html>"""

# Loaded through a loader, the template is compiled once per worker and then only rendered, as a
# real Flask app's templates (and ours) are.  render_template_string, which the reference page
# uses, compiles its source again on every request: a limit must not pay that.
app.jinja_loader = DictLoader({"ticket.html": PAGE})


@app.get("/t/<token>")
def read_one_row(token: str):
    row = connection().execute(
        "SELECT number, status, due_date, created_at FROM tickets WHERE token = %s", (token,)).fetchone()
    if row is None:
        abort(404)
    ticket = dict(zip(("number", "status", "due_date", "created_at"), row))
    return render_template("ticket.html", ticket=ticket, items=ITEMS)


@app.post("/insert")
def insert_one_row():
    # Reading the form is the least any form handler does; the row keeps all of it.
    body = json.dumps(request.form.to_dict(), ensure_ascii=False)
    # A submission's writes (its ticket, first event and message) must commit together, so the app
    # writes them in a transaction; its limit keeps one too, holding just the one row: psycopg sends
    # BEGIN, the INSERT, COMMIT.  (A lone INSERT on autocommit would spare the BEGIN's round trip.)
    with connection().transaction():
        (row_id,) = connection().execute(f"INSERT INTO {INSERT_TABLE} (body) VALUES (%s) RETURNING id",
                                         (body,)).fetchone()
    return redirect(f"/insert/{row_id}", 303)
