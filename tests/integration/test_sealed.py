"""ID numbers, mobile numbers and two-factor secrets are sealed at rest with a key kept outside the
database (models/sealed.py); the key can be rotated (services/sealing.py, `flask privacy rotate-key`)."""

import base64

import flask_migrate
import pyotp
import pytest
from sqlalchemy import select, text, update

from kiosk_app.extensions import db
from kiosk_app.models import Notification, Staff, Ticket
from kiosk_app.models.sealed import Keyring, SealError, new_key
from kiosk_app.services import accounts, notifications, sealing, two_factor

from ..conftest import _build_app
from ..helpers import STAFF_PASSWORD, make_ticket, service_by_code, staff

ID_NUMBER = "11010519491231002X"
K1, K2 = new_key("k1"), new_key("k2", "sm4")
SECRET = base64.b64encode(bytes(range(32))).decode()


def stored_text(engine, skip: tuple[str, ...] = ()) -> str:
    """Every row of every table (but ``skip``) as the database holds it (nothing opened by the models' types)."""
    dump = []
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in skip:
                continue
            dump.extend(repr(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {table.name}")))
    return "\n".join(dump)


def some_personal_data(mobile="13912345678"):
    """A ticket with an ID number, its text in the outbox, and an account with two-factor sign-in on."""
    ticket = make_ticket("HQ", "floating-registration", mobile=mobile)
    signed_in = accounts.authenticate("staff-hq", STAFF_PASSWORD)
    secret = two_factor.setup_secret(staff("staff-hq"), signed_in.token)
    two_factor.enable(staff("staff-hq"), signed_in.token, pyotp.TOTP(secret).now())
    return ticket, secret


def test_the_database_holds_no_id_number_mobile_or_two_factor_secret_in_clear(ctx):
    ticket, secret = some_personal_data()
    ticket_id = ticket.id
    db.session.remove()
    dump = stored_text(db.engine)
    for value in ("13912345678", "3912345678", ID_NUMBER, ID_NUMBER[:17], secret):
        assert value not in dump
    assert "5678" in dump  # the last four digits stay searchable
    # The app reads them back as they were given.
    again = db.session.get(Ticket, ticket_id)
    assert (again.resident_mobile, again.id_number) == ("13912345678", ID_NUMBER)
    assert db.session.scalar(select(Notification.to_mobile).filter_by(ticket_id=ticket_id)) == "13912345678"
    assert staff("staff-hq").totp_secret == secret


def test_a_sealed_value_opens_only_in_its_own_column_and_unaltered(ctx):
    ticket_id = make_ticket("HQ", "floating-registration", mobile="13912345678").id
    stored = db.session.execute(text("SELECT resident_mobile, id_number FROM tickets WHERE id = :id"),
                                {"id": ticket_id}).one()
    # An ID number copied into the mobile's column does not open there …
    db.session.execute(text("UPDATE tickets SET resident_mobile = :v WHERE id = :id"), {"v": stored[1], "id": ticket_id})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(SealError, match="tickets.resident_mobile"):
        db.session.get(Ticket, ticket_id).resident_mobile
    db.session.rollback()
    # … nor does a value with one character changed.
    altered = stored[0][:-3] + ("A" if stored[0][-3] != "A" else "B") + stored[0][-2:]
    db.session.execute(text("UPDATE tickets SET resident_mobile = :v WHERE id = :id"), {"v": altered, "id": ticket_id})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(SealError, match="altered"):
        db.session.get(Ticket, ticket_id).resident_mobile


@pytest.mark.parametrize("algorithm", ["aes", "sm4"])
def test_both_ciphers_seal_and_open_and_each_seal_is_different(algorithm):
    ring = Keyring.parse(new_key("x", algorithm))
    first, second = ring.seal("13912345678", "t.c"), ring.seal("13912345678", "t.c")
    assert first != second and first.startswith("s1:x:")
    assert ring.open(first, "t.c") == ring.open(second, "t.c") == "13912345678"
    assert ring.lookup("13912345678") == ring.lookup("13912345678") != ring.lookup("13912345679")


@pytest.mark.parametrize("keys, message", [
    ("", "no key"),
    ("k1:aes", "id:algorithm:base64"),
    ("k 1:aes:" + SECRET, "the id"),
    ("k1:des:" + SECRET, "algorithm"),
    ("k1:aes:" + base64.b64encode(bytes(8)).decode(), "32 random bytes"),
    (f"k1:aes:{SECRET},k1:sm4:{SECRET}", "twice"),
], ids=["empty", "no secret", "bad id", "bad algorithm", "short", "twice"])
def test_a_wrong_key_ring_is_refused_with_what_is_wrong(keys, message):
    with pytest.raises(ValueError, match=message):
        Keyring.parse(keys)


def test_the_key_is_rotated_without_losing_a_value_or_a_look_up(make_app):
    from kiosk_app.services import seed

    first = make_app(PERSONAL_DATA_KEYS=K1)
    with first.app_context():
        seed.seed_demo(staff_password=STAFF_PASSWORD)
        ticket, secret = some_personal_data()
        ticket_id, updated_at = ticket.id, ticket.updated_at
        db.session.remove()
    # A new key first, the old one after it (the same database, a new ring): everything still opens,
    # and new values take the new key.
    url = first.config["SQLALCHEMY_DATABASE_URI"]
    both = _build_app(url, PERSONAL_DATA_KEYS=f"{K2},{K1}")
    with both.app_context():
        assert db.session.get(Ticket, ticket_id).id_number == ID_NUMBER
        newer = make_ticket("HQ", "floating-registration", mobile="13912345678")
        assert db.session.execute(text("SELECT resident_mobile FROM tickets WHERE id = :id"),
                                  {"id": newer.id}).scalar().startswith("s1:k2:")
        # The texts a number had lately are found under either key.
        assert notifications._texts_used_up("13912345678") is False
        assert len(db.session.scalars(select(Notification).where(
            Notification.mobile_lookup.in_(both.extensions["personal_data_keys"].lookups("13912345678")))).all()) == 2
        result = both.test_cli_runner().invoke(args=["privacy", "rotate-key"])
        assert result.exit_code == 0, result.output
        assert "tickets.resident_mobile: 1 sealed again under key k2" in result.output
        assert "the other keys may be removed" in result.output
        again = both.test_cli_runner().invoke(args=["privacy", "rotate-key"]).output
        assert again.count(": 0 sealed again") == len(list(sealing.sealed_columns())) > 5  # the archive's too
        db.session.remove()
    # The old key removed: every value opens with the new one alone, digests and all.
    after = _build_app(url, PERSONAL_DATA_KEYS=K2)
    with after.app_context():
        rotated = db.session.get(Ticket, ticket_id)
        assert (rotated.resident_mobile, rotated.id_number) == ("13912345678", ID_NUMBER)
        assert rotated.updated_at == updated_at  # sealing again is not a change of the ticket
        assert db.session.get(Staff, staff("staff-hq").id).totp_secret == secret
        assert db.session.scalar(select(Ticket.id).where(
            Ticket.id_number_lookup == after.extensions["personal_data_keys"].lookup(ID_NUMBER),
            Ticket.id == ticket_id)) == ticket_id
        assert db.session.scalar(select(db.func.count()).select_from(Notification).where(
            Notification.mobile_lookup == after.extensions["personal_data_keys"].lookup("13912345678"))) == 2
        report = {column.name: column for column in sealing.report()}
        assert report["tickets.id_number"].by_key == {"k2": 2}
        assert report["staff.totp_secret"].unknown == report["tickets.resident_mobile"].clear == 0
        db.session.remove()
    # A ring without the key a value was sealed with says which key is missing.
    lost = _build_app(url, PERSONAL_DATA_KEYS=K1)
    with lost.app_context():
        with pytest.raises(SealError, match="'k2'"):
            db.session.get(Ticket, ticket_id).resident_mobile
        assert {c.name: c.unknown for c in sealing.report()}["tickets.resident_mobile"] == 2
        result = lost.test_cli_runner().invoke(args=["privacy", "rotate-key"])
        assert result.exit_code != 0 and "'k2'" in result.output
        db.session.remove()
        db.engine.dispose()
    for app in (both, after):
        with app.app_context():
            db.engine.dispose()


def test_the_migration_seals_what_was_stored_before_and_opens_it_going_down(make_app):
    from kiosk_app.services import seed

    app = make_app()
    with app.app_context():
        db.drop_all()
        flask_migrate.upgrade()
        seed.seed_demo(staff_password=STAFF_PASSWORD)
        ticket_id = make_ticket("HQ", "floating-registration", mobile="13912345678").id
        db.session.remove()
        flask_migrate.downgrade(revision="0020")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT resident_mobile, id_number FROM tickets WHERE id = :id"),
                                      {"id": ticket_id}).one() == ("13912345678", ID_NUMBER)
            assert "13912345678" in stored_text_of(connection, "notifications")
        flask_migrate.upgrade()
        assert "13912345678" not in stored_text(db.engine) and ID_NUMBER not in stored_text(db.engine)
        again = db.session.get(Ticket, ticket_id)
        assert (again.resident_mobile, again.id_number) == ("13912345678", ID_NUMBER)
        assert again.mobile_lookup == app.extensions["personal_data_keys"].lookup("13912345678")
        db.session.remove()
        flask_migrate.downgrade(revision="base")


def stored_text_of(connection, table: str) -> str:
    return "\n".join(repr(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {table}")))


def test_purge_leaves_no_digest_of_an_erased_number(ctx):
    from datetime import timedelta

    from kiosk_app.models import Status
    from kiosk_app.models.base import utcnow
    from kiosk_app.services import privacy

    ticket = make_ticket("HQ", "floating-registration", mobile="13912345678")
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
        status=Status.CLOSED, updated_at=utcnow() - timedelta(days=400)))
    db.session.commit()
    assert privacy.purge() == 1
    row = db.session.execute(text("SELECT resident_mobile, mobile_lookup, id_number, id_number_lookup FROM tickets "
                                  "WHERE id = :id"), {"id": ticket.id}).one()
    assert tuple(row) == ("", "", None, None)
    assert db.session.execute(text("SELECT to_mobile, mobile_lookup FROM notifications WHERE ticket_id = :id"),
                              {"id": ticket.id}).all() == [("", "")]
    assert service_by_code("floating-registration").needs_id_number
