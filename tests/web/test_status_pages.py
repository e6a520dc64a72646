"""Status pages kept as rendered (web/status_pages.py): the page Flask renders, never an old one, and
only for a resident's plain session."""

import re
from datetime import timedelta

import pytest
from flask import Response
from werkzeug.test import Client

from kiosk_app.extensions import db
from kiosk_app.models import Status, Ticket
from kiosk_app.services import locker, ratings, terminals, workflow
from kiosk_app.web import status_pages

from ..helpers import HX, QueryCounter, csrf_token, make_ticket, sign_in, staff
from .test_terminal import place_result

CSRF = re.compile(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+')


def text(response) -> str:
    return response.get_data(as_text=True)


def without_tokens(page: str) -> str:
    return CSRF.sub(r"\1…", page)


def fresh(app, client, path: str, **headers) -> Response:
    """The page as Flask renders it, past the kept pages, for the same browser."""
    inner = Client(app.extensions["status_pages"].wsgi_app, Response)
    inner.set_cookie("session", client.get_cookie("session").value)
    return inner.get(path, headers=headers)


@pytest.fixture
def reader(resident):
    """A resident's browser whose session holds its CSRF token (any page with a form gives it one)."""
    csrf_token(resident)
    return resident


def new_ticket(app, **changes) -> tuple[str, int, str]:
    """A ticket's status page address, id and number."""
    with app.app_context():
        ticket = make_ticket(**changes)
        return f"/t/{ticket.token}", ticket.id, ticket.number


class Answer:
    """One GET of a status page, and whether it came from the kept pages (one read there, nothing else)."""

    def __init__(self, app, client, path: str, **headers):
        pages = app.extensions["status_pages"]
        with app.app_context():
            engine = db.engine
        reads = pages.reads
        with QueryCounter(engine) as queries:
            self.response = client.get(path, headers=headers)
        self.kept = queries.count == 0 and pages.reads == reads + 1
        self.read_here = pages.reads - reads
        self.page = text(self.response)


def test_a_kept_page_is_the_rendered_page_through_a_tickets_life(app, reader):
    token, number = place_result(app)
    path = f"/t/{token}"
    with app.app_context():
        ticket_id = db.session.scalar(db.select(Ticket.id).filter_by(token=token))

    def both(check: str) -> str:
        """After a change: the first answer renders again, the second is kept; both equal Flask's page."""
        first, second = Answer(app, reader, path), Answer(app, reader, path)
        assert not first.kept and second.kept
        expected = without_tokens(text(fresh(app, reader, path)))
        assert without_tokens(first.page) == expected == without_tokens(second.page)
        assert check in second.page
        return second.page

    page = both('id="pickup-code"')
    code = re.search(r'id="pickup-code">(\d{4}) (\d{4})<', page).group(1, 2)
    assert f"{number} 号格口" in page and 'id="rating"' not in page
    with app.app_context():
        item = locker.pick_up(terminals.get_by_code("HQ-L1"), "".join(code))
        locker.door_closed(item.compartment, actor=None)
    page = both('id="rating"')
    assert 'id="pickup-code"' not in page and "已办结" in page
    with app.app_context():
        ratings.rate(db.session.get(Ticket, ticket_id), 4, "很快")
    assert "很快" in both('id="current-rating"')
    with app.app_context():
        ratings.rate(db.session.get(Ticket, ticket_id), 2, "其实有点慢")
    page = both('id="current-rating"')
    assert "其实有点慢" in page and "很快" not in page


def test_each_change_of_a_tickets_progress_is_seen_at_once(app, reader):
    path, ticket_id, _number = new_ticket(app)
    for action, note, shown in (("accept", "", "已受理"), ("ask_info", "请补充楼道照片", "请补充楼道照片"),
                                ("resume", "照片已收到", "照片已收到")):
        Answer(app, reader, path)
        assert Answer(app, reader, path).kept
        with app.app_context():
            workflow.apply_action(staff("admin-hq"), ticket_id, action, note=note)
        answer = Answer(app, reader, path)
        assert not answer.kept and shown in answer.page
        assert without_tokens(answer.page) == without_tokens(text(fresh(app, reader, path)))


def test_a_kept_answer_has_the_rendered_headers_its_own_request_id_and_a_token_that_works(app, reader):
    path, _id, _number = new_ticket(app, status=Status.COMPLETED)
    rendered, kept = Answer(app, reader, path), Answer(app, reader, path)
    assert kept.kept
    for name in ("Content-Security-Policy", "X-Frame-Options", "Cache-Control", "Referrer-Policy", "Vary",
                 "Content-Type"):
        assert kept.response.headers[name] == rendered.response.headers[name], name
    assert kept.response.headers["Cache-Control"] == "no-store"
    assert kept.response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in kept.response.headers
    assert int(kept.response.headers["Content-Length"]) == len(kept.response.get_data())
    assert kept.response.headers["X-Request-ID"] != rendered.response.headers["X-Request-ID"]
    asked = reader.get(path, headers={"X-Request-ID": "proxy-given-id-1"})
    assert asked.headers["X-Request-ID"] == "proxy-given-id-1"
    # The reader's own CSRF token is in the kept page, and the rating form takes it.
    token = re.search(r'name="csrf_token" value="([^"]+)"', kept.page).group(1)
    assert "csrf-" not in kept.page
    done = reader.post(f"{path}/rating", data={"csrf_token": token, "level": "5"})
    assert done.status_code == 303


def test_the_poll_of_a_finished_ticket_stops_from_a_kept_answer_too(app, reader):
    path, _id, _number = new_ticket(app, status=Status.CLOSED)
    first, second = (Answer(app, reader, path, **HX) for _ in range(2))
    assert second.kept and first.response.status_code == second.response.status_code == 286
    assert second.page.startswith('<section id="ticket-status"')
    whole = Answer(app, reader, path)  # the whole page is another key
    assert not whole.kept and whole.response.status_code == 200 and "<html" in whole.page


def test_each_reader_gets_their_own_language_and_print_size(app, reader):
    path, _id, number = new_ticket(app)
    Answer(app, reader, path)
    assert "已提交" in Answer(app, reader, path).page
    reader.post("/prefs", data={"csrf_token": csrf_token(reader), "lang": "en", "large": "1",
                                        "next": path})
    english = Answer(app, reader, path)
    assert not english.kept and "Submitted" in english.page and "large-print" in english.page
    again = Answer(app, reader, path)
    assert again.kept and again.page == english.page


@pytest.mark.parametrize("who", ["staff", "terminal", "query", "first_visit", "forged", "unknown"])
def test_only_a_residents_plain_session_is_answered_from_kept_pages(app, reader, who):
    path, _id, number = new_ticket(app)
    Answer(app, reader, path)
    assert Answer(app, reader, path).kept  # the page is kept for the resident ...
    client = reader
    if who == "staff":
        client = sign_in(app, "staff-hq")
    elif who == "terminal":
        reader.set_cookie("kiosk_terminal", "not-a-real-credential")
    elif who == "query":
        path += "?from=sms"
    elif who == "first_visit":
        client = app.test_client()
    elif who == "forged":
        value = reader.get_cookie("session").value
        reader.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    elif who == "unknown":
        path = "/t/" + "x" * 32
    answer = Answer(app, client, path)  # ... and the others go through Flask, unread here
    assert not answer.kept and answer.read_here <= (1 if who == "unknown" else 0)
    assert answer.response.status_code == (404 if who == "unknown" else 200)
    if who in ("first_visit", "forged"):
        assert "Set-Cookie" in answer.response.headers  # a session of its own, as Flask gives one


def test_a_new_minute_renders_again(app, reader, monkeypatch):
    path, _id, number = new_ticket(app)
    Answer(app, reader, path)
    assert Answer(app, reader, path).kept
    later = status_pages.utcnow() + timedelta(minutes=1)
    monkeypatch.setattr(status_pages, "utcnow", lambda: later)
    assert not Answer(app, reader, path).kept


def test_a_failure_before_flask_leaves_the_page_to_flask(app, reader, monkeypatch, caplog):
    path, _id, number = new_ticket(app)
    Answer(app, reader, path)

    def broken(_token):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(app.extensions["status_pages"], "_rows", broken)
    answer = Answer(app, reader, path)
    assert answer.response.status_code == 200 and number in answer.page
    assert "not answered from the kept pages" in caplog.text


def test_the_kept_pages_are_bounded_and_can_be_turned_off(app, reader, make_app):
    app.extensions["status_pages"].pages.size = 2
    paths = [new_ticket(app)[0] for _ in range(3)]
    for path in paths:
        Answer(app, reader, path)
    assert len(app.extensions["status_pages"].pages) == 2
    assert not Answer(app, reader, paths[0]).kept  # the least recently used went first
    assert Answer(app, reader, paths[2]).kept
    off = make_app(STATUS_PAGES_KEPT=0)
    assert "status_pages" not in off.extensions and not isinstance(off.wsgi_app, status_pages.StatusPages)


def test_a_connection_lost_under_the_kept_pages_is_made_again(app, reader, caplog):
    """PostgreSQL restarted, or the connection killed: that request goes through Flask, the next one
    reads on a new connection."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the kept pages hold a connection of their own on PostgreSQL only")
    pages = app.extensions["status_pages"]
    path, _id, number = new_ticket(app)
    Answer(app, reader, path)
    assert Answer(app, reader, path).kept
    [held] = pages._idle  # one request at a time here: one connection, idle between them
    with app.app_context():
        db.session.execute(db.text("SELECT pg_terminate_backend(:pid)"), {"pid": held.info.backend_pid})
        db.session.rollback()
    lost = Answer(app, reader, path)
    assert lost.response.status_code == 200 and number in lost.page and not lost.kept
    assert "reading on the kept connection failed" in caplog.text and held.closed
    assert Answer(app, reader, path).kept and pages._idle and pages._idle[0] is not held


def test_the_kept_pages_lend_a_connection_to_one_request_at_a_time_and_no_more_than_are_asked_at_once(app, reader):
    """A server that starts a thread per request (the development server) must not leave a connection
    behind for each."""
    import threading

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the kept pages hold connections of their own on PostgreSQL only")
    pages = app.extensions["status_pages"]
    path, _id, _number = new_ticket(app)
    Answer(app, reader, path)
    cookie = reader.get_cookie("session").value

    def ask():
        client = app.test_client()
        client.set_cookie("session", cookie)
        assert client.get(path).status_code == 200

    for _round in range(5):
        threads = [threading.Thread(target=ask) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert 1 <= len(pages._idle) <= 3  # 15 requests on 15 threads: at most the 3 asked at once

