"""How a request's transaction ends on PostgreSQL: a request that wrote nothing commits (so the
server keeps the queries psycopg prepared); one that wrote without committing, or failed, rolls back."""

import pytest
from sqlalchemy import text

from kiosk_app.extensions import db
from kiosk_app.models import Ticket

from ..helpers import make_ticket


@pytest.fixture
def pg_app(app, postgres_url):
    if not postgres_url:
        pytest.skip("PostgreSQL only: SQLite has no prepared statements to keep (runs in the PostgreSQL pass)")

    @app.get("/_test/prepared")
    def prepared():
        return str(db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))

    @app.get("/_test/write-without-commit")
    def write_without_commit():
        ticket = db.session.scalar(db.select(Ticket))
        ticket.details = "changed but never committed"
        db.session.flush()
        return "ok"

    return app


def test_read_only_requests_keep_the_prepared_queries(pg_app):
    with pg_app.app_context():
        token = make_ticket().token
    client = pg_app.test_client()
    for _ in range(7):  # psycopg prepares a query after it ran five times on a connection
        assert client.get(f"/t/{token}").status_code == 200
    assert int(client.get("/_test/prepared").get_data(as_text=True)) > 0


def test_a_request_that_wrote_without_committing_is_rolled_back(pg_app):
    with pg_app.app_context():
        make_ticket()
    assert pg_app.test_client().get("/_test/write-without-commit").status_code == 200
    with pg_app.app_context():
        assert db.session.scalar(db.select(Ticket.details)) == "测试"
