"""How a request's transaction ends: use cases commit their own work; what is left at the request's
end is reads, which on PostgreSQL end with COMMIT (so the server keeps the queries psycopg prepared);
a transaction that wrote outside a use case is rolled back, and in tests refused loudly."""

import pytest
from sqlalchemy import text

from kiosk_app.extensions import db
from kiosk_app.models import Ticket
from kiosk_app.services import cache as kept

from ..helpers import make_ticket


def _transaction_status() -> str:
    """psycopg's word for the connection after a query: INTRANS inside a transaction, IDLE outside."""
    db.session.scalar(db.select(Ticket.id).limit(1))
    return db.session.connection().connection.dbapi_connection.info.transaction_status.name


def _change_the_ticket(details: str, *, commit: bool) -> str:
    ticket = db.session.scalar(db.select(Ticket))
    ticket.details = details
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return "ok"


@pytest.fixture
def pg_app(app, postgres_url):
    if not postgres_url:
        pytest.skip("PostgreSQL only: SQLite has no prepared statements to keep (runs in the PostgreSQL pass)")

    @app.get("/_test/prepared")
    def prepared():
        return str(db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))

    return app


def test_read_only_requests_keep_the_prepared_queries(pg_app):
    with pg_app.app_context():
        token = make_ticket().token
    client = pg_app.test_client()
    for _ in range(7):  # psycopg prepares a query after it ran five times on a connection
        # (a query string takes the page through Flask, past the kept status pages)
        assert client.get(f"/t/{token}?through=flask").status_code == 200
    assert int(client.get("/_test/prepared").get_data(as_text=True)) > 0


def test_a_request_that_ran_no_sql_takes_no_connection(pg_app, monkeypatch):
    """Naming the resident's community reads a kept row: no connection is checked out just to end
    a transaction that never ran a statement."""
    from sqlalchemy import event

    from kiosk_app.services import catalogue

    from ..helpers import community

    pg_app.config["CACHE_SECONDS"] = 60
    # The clock stands still: the once-a-second read of the cache's stamp is not this test's subject.
    monkeypatch.setattr(kept.time, "monotonic", lambda: 1000.0)
    kept.forget()
    with pg_app.app_context():
        community_id, name = community().id, community().name

    @pg_app.get("/_test/community-name")
    def community_name():
        return catalogue.get_community_by_id(community_id).name

    client = pg_app.test_client()
    assert client.get("/_test/community-name").status_code == 200  # keeps the row
    checkouts = []

    def checked_out(*_args):
        checkouts.append(1)

    with pg_app.app_context():
        pool = db.engine.pool
    event.listen(pool, "checkout", checked_out)
    try:
        assert client.get("/_test/community-name").get_data(as_text=True) == name
    finally:
        event.remove(pool, "checkout", checked_out)
    assert checkouts == []


def test_a_request_that_commits_and_then_only_reads_kept_rows_ends_cleanly(pg_app):
    """After a COMMIT, naming a kept row starts a transaction without a connection: the request's
    end must not look for the connection of the transaction that already ended."""
    from kiosk_app.services import catalogue

    from ..helpers import community

    pg_app.config["CACHE_SECONDS"] = 60
    with pg_app.app_context():
        make_ticket()
        community_id = community().id

    @pg_app.get("/_test/commit-then-kept-row")
    def commit_then_kept_row():
        _change_the_ticket("changed and committed", commit=True)
        return catalogue.get_community_by_id(community_id).name

    client = pg_app.test_client()
    for _ in range(2):  # the first keeps the row, the second merges it without SQL
        assert client.get("/_test/commit-then-kept-row").status_code == 200
    with pg_app.app_context():
        assert db.session.scalar(db.select(Ticket.details)) == "changed and committed"


@pytest.fixture
def leaky_app(app):
    @app.get("/_test/write-without-commit")
    def write_without_commit():
        return _change_the_ticket("changed but never committed", commit=False)

    @app.get("/_test/change-without-flush")
    def change_without_flush():
        db.session.scalar(db.select(Ticket)).details = "changed, not even flushed"
        return "ok"

    return app


@pytest.mark.parametrize("path", ["/_test/write-without-commit", "/_test/change-without-flush"])
def test_a_write_outside_a_use_case_is_rolled_back_and_refused_in_tests(leaky_app, path):
    from kiosk_app.services.uow import WriteOutsideUseCase

    with leaky_app.app_context():
        make_ticket()
    with pytest.raises(WriteOutsideUseCase):
        leaky_app.test_client().get(path)
    with leaky_app.app_context():
        assert db.session.scalar(db.select(Ticket.details)) == "测试"


def test_in_production_a_write_outside_a_use_case_is_rolled_back_and_logged(leaky_app, monkeypatch):
    from kiosk_app.web import transactions

    logged = []
    monkeypatch.setattr(transactions.log, "error", lambda message, *args: logged.append(message % args))
    leaky_app.config["TESTING"] = False
    with leaky_app.app_context():
        make_ticket()
    assert leaky_app.test_client().get("/_test/write-without-commit").status_code == 200
    assert logged == ["GET /_test/write-without-commit: a write outside a use case was rolled back"]
    with leaky_app.app_context():
        assert db.session.scalar(db.select(Ticket.details)) == "测试"


@pytest.mark.parametrize("keep", [True, False])
def test_keeping_prepared_statements_can_be_turned_off(pg_app, keep):
    pg_app.config["KEEP_PREPARED_STATEMENTS"] = keep

    @pg_app.get("/_test/ordinary-read")
    def ordinary_read():  # not marked as only reading: it runs in a transaction
        return str(db.session.scalar(db.select(Ticket.id).limit(1)))

    with pg_app.app_context():
        make_ticket()
    client = pg_app.test_client()
    for _ in range(7):
        assert client.get("/_test/ordinary-read").status_code == 200
    prepared = int(client.get("/_test/prepared").get_data(as_text=True))
    assert (prepared > 0) is keep


# ---------------------------------------------------------------- pages that only read

@pytest.fixture
def reading_app(app):
    from kiosk_app.web.transactions import reads_only

    def transaction_state():
        if db.session.get_bind().dialect.name != "postgresql":
            return "sqlite"
        return _transaction_status()

    @app.get("/_test/reading")
    @reads_only
    def reading():
        return transaction_state()

    @app.get("/_test/ordinary")
    def ordinary():
        return transaction_state()

    @app.get("/_test/reading-but-writes")
    @reads_only
    def reading_but_writes():
        return _change_the_ticket("written by a page that said it only reads", commit=True)

    return app


def test_a_page_that_only_reads_runs_its_queries_outside_a_transaction(reading_app, postgres_url):
    client = reading_app.test_client()
    if not postgres_url:
        assert client.get("/_test/reading").get_data(as_text=True) == "sqlite"
        return
    assert client.get("/_test/reading").get_data(as_text=True) == "IDLE"  # no BEGIN was sent
    assert client.get("/_test/ordinary").get_data(as_text=True) == "INTRANS"
    reading_app.config["READS_AUTOCOMMIT"] = False  # the setting turns it off
    assert client.get("/_test/reading").get_data(as_text=True) == "INTRANS"


def test_a_page_marked_as_only_reading_cannot_write(reading_app):
    from kiosk_app.web.transactions import WriteInReadsOnlyRequest

    with reading_app.app_context():
        make_ticket()
    assert reading_app.test_client().get("/_test/reading-but-writes").status_code == 500
    with reading_app.test_request_context("/_test/reading-but-writes"):
        reading_app.preprocess_request()
        with pytest.raises(WriteInReadsOnlyRequest):
            reading_app.view_functions["reading_but_writes"]()
        db.session.rollback()
    with reading_app.app_context():
        assert db.session.scalar(db.select(Ticket.details)) == "测试"


def test_after_a_page_that_only_reads_the_same_session_writes_in_a_transaction(reading_app, postgres_url):
    """A task or test may hold one app context (and so one session) around several requests: the
    reading page's arrangements end with its request."""
    @reading_app.get("/_test/write")
    def write():
        state = "sqlite" if not postgres_url else _transaction_status()
        _change_the_ticket("written after a reading page", commit=True)
        return state

    with reading_app.app_context():
        make_ticket()
        client = reading_app.test_client()
        assert client.get("/_test/reading").status_code == 200
        response = client.get("/_test/write")
        assert response.status_code == 200
        assert response.get_data(as_text=True) in ("sqlite", "INTRANS")  # not IDLE: a transaction is open
    with reading_app.app_context():
        assert db.session.scalar(db.select(Ticket.details)) == "written after a reading page"


def test_the_hot_read_pages_are_marked_as_only_reading(app):
    """The pages residents and staff open most: no transaction around their queries."""
    for endpoint in ("kiosk.home", "kiosk.service_detail", "kiosk.request_form", "public.ticket_status",
                     "public.landing", "staff.queue_page"):
        assert getattr(app.view_functions[endpoint], "reads_only", False), endpoint
