"""Backups that are proven: `flask backup` then `flask restore` into an empty database finds every
ticket, event and door event again (on SQLite and on PostgreSQL); old backups are rotated away."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, make_url, text

from kiosk_app.extensions import db
from kiosk_app.models import DoorEvent, ItemKind, Ticket, TicketEvent
from kiosk_app.services import backups, locker, terminals

from ..conftest import _build_app
from ..helpers import make_ticket

COUNTED = (Ticket, TicketEvent, DoorEvent)


def counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in COUNTED}


@pytest.fixture
def empty_database(database_url, postgres_url, tmp_path):
    """The address of a second database, empty, to restore into."""
    if not postgres_url:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"cloudlocker_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_backup_restored_into_an_empty_database_holds_everything(app, empty_database, tmp_path):
    with app.app_context():
        for _ in range(3):
            ticket = make_ticket(service_code="residence-permit")
        item = locker.reserve_and_open(terminals.get_by_code("HQ-L1"), ticket, ItemKind.SUBMISSION,
                                       locker.DoorReason.DROP_OFF, min_size=locker.Size.M)
        locker.door_closed(item.compartment)
        before = counts()
        mobile = db.session.get(Ticket, ticket.id).resident_mobile
        result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "backups")])
        assert result.exit_code == 0, result.output
        [made] = list((tmp_path / "backups").glob("cloudlocker-*"))
        db.session.remove()
    assert before["door_events"] >= 2 and before["tickets"] >= 3

    restored = _build_app(empty_database)
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(made)])
        assert result.exit_code == 0, result.output
        assert counts() == before
        # Sealed values open with the same key: the backup holds them sealed, not in clear.
        assert db.session.get(Ticket, ticket.id).resident_mobile == mobile
        # A database that holds tickets is not overwritten unless asked.
        again = restored.test_cli_runner().invoke(args=["restore", str(made)])
        assert again.exit_code != 0 and "already holds tickets" in again.output
        assert restored.test_cli_runner().invoke(args=["restore", str(made), "--replace"]).exit_code == 0
        assert counts() == before
        db.session.remove()
        db.engine.dispose()


def test_only_the_newest_backups_are_kept(app, tmp_path):
    from datetime import datetime, timedelta, timezone

    with app.app_context():
        start = datetime(2026, 12, 1, tzinfo=timezone.utc)
        for day in range(4):
            made = backups.backup(tmp_path / "backups", keep=2, now=start + timedelta(days=day))
        assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [
            made.path.name.replace("20261204", "20261203"), made.path.name]
        with pytest.raises(backups.BackupError, match="no backup"):
            backups.restore(tmp_path / "missing.dump")
