"""Residents' personal data is erased PERSONAL_DATA_DAYS after a ticket ends (and at once when the
resident asks staff), the ticket staying in the figures; the forms say so."""

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, Notification, Status, Ticket, TicketEvent
from kiosk_app.models.base import utcnow
from kiosk_app.services import figures, privacy
from kiosk_app.services.errors import DomainError

from ..helpers import make_ticket, staff


def ended(ticket, days_ago: int, status=Status.CLOSED):
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
        status=status, updated_at=utcnow() - timedelta(days=days_ago)))
    db.session.add(TicketEvent(ticket_id=ticket.id, action="note", note="张三说他住3单元", public=False))
    db.session.commit()


def test_purge_erases_what_identifies_residents_of_old_tickets_and_keeps_their_counts(ctx):
    old = make_ticket(name="欧阳娜娜", mobile="13912345678", details="我家在3单元502")
    recent, open_one = make_ticket(mobile="13900001111"), make_ticket(mobile="13900002222")
    ended(old, 200)
    ended(recent, 10, Status.REJECTED)
    admin = staff("admin-hq")
    before = figures.community_figures(admin, date.today() - timedelta(days=30), date.today(),
                                       date.today())
    assert privacy.purge() == 1
    assert privacy.purge() == 0  # idempotent
    db.session.expire_all()
    gone = db.session.get(Ticket, old.id)
    assert (gone.resident_name, gone.resident_mobile, gone.mobile_last4, gone.id_number, gone.details) == \
        ("", "", "", None, "")
    assert gone.personal_data_erased_at is not None and gone.status == Status.CLOSED and gone.service_id
    assert all(e.note == "" for e in gone.events)
    assert all(m.to_mobile == "" and m.body == "" for m in db.session.scalars(
        db.select(Notification).filter_by(ticket_id=old.id)))
    # Nothing in the database still holds the old ticket's mobile number or words.
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(db.select(table)):
            assert "13912345678" not in repr(row) and "3单元502" not in repr(row), table.name
    assert db.session.get(Ticket, recent.id).resident_mobile == "13900001111"
    assert db.session.get(Ticket, open_one.id).resident_mobile == "13900002222"
    after = figures.community_figures(admin, date.today() - timedelta(days=30), date.today(),
                                      date.today())
    assert after.total == before.total
    assert db.session.scalar(db.select(AuditEvent).filter_by(action="erase_personal_data")).actor_label == \
        "retention"


def test_staff_erase_an_ended_ticket_at_the_residents_request(ctx):
    ticket = make_ticket(mobile="13912340000")
    with pytest.raises(DomainError):
        privacy.erase(staff("admin-hq"), ticket.id)  # still open
    ended(ticket, 1)
    with pytest.raises(DomainError):
        privacy.erase(staff("volunteer-hq"), ticket.id)
    privacy.erase(staff("admin-hq"), ticket.id)
    assert db.session.get(Ticket, ticket.id).resident_mobile == ""
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="erase_personal_data"))
    assert event.actor_label == "admin-hq" and event.entity_id == ticket.id


def test_the_forms_that_ask_for_personal_data_say_why_who_sees_it_and_for_how_long(app, resident):
    from ..helpers import open_form, service_by_code, sign_in

    with app.app_context():
        with_id = service_by_code("residence-permit").id
    for client, path in ((resident, f"/kiosk/services/{with_id}/request"),
                         (sign_in(app, "staff-hq"), f"/staff/counter/{with_id}")):
        page = client.get(path).get_data(as_text=True)
        assert 'id="privacy-notice"' in page and "180 天" in page and "身份证号" in page, path
    service_id, _token, _key = open_form(resident, app)
    page = resident.get(f"/kiosk/services/{service_id}/request").get_data(as_text=True)
    assert 'id="privacy-notice"' in page and "身份证号" not in page.split('id="privacy-notice"')[1][:600]


def test_the_erase_button_is_on_an_ended_ticket_and_erases(app):
    from ..helpers import CSRF_RE, sign_in

    with app.app_context():
        ticket = make_ticket(mobile="13912349999")
        ended(ticket, 1)
        ticket_id = ticket.id
    admin = sign_in(app, "admin-hq")
    page = admin.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert 'id="erase-personal-data"' in page
    response = admin.post(f"/staff/tickets/{ticket_id}/erase", data={"csrf_token": CSRF_RE.search(page).group(1)})
    assert response.status_code == 303
    assert 'id="personal-data-erased"' in admin.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
