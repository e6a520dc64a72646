"""The status page's plain read and the ORM ticket answer the page's questions alike (``TicketView``)."""

from kiosk_app.extensions import db
from kiosk_app.models import Ticket, TicketView
from kiosk_app.services import workflow
from kiosk_app.services.ticket_status import public_timeline, status_by_token

from ..helpers import make_ticket, staff


def test_the_status_read_and_the_ticket_row_are_the_same_ticket_view(ctx):
    ticket = make_ticket()
    workflow.apply_action(staff("admin-hq"), ticket.id, "accept")
    workflow.apply_action(staff("admin-hq"), ticket.id, "complete", note="证明已开具", physical_result=True)
    row = db.session.get(Ticket, ticket.id)
    status = status_by_token(row.token)
    assert isinstance(row, TicketView) and isinstance(status, TicketView)
    for name in ("id", "token", "number", "status", "physical_result", "resident_name", "resident_mobile",
                 "due_date"):
        assert getattr(status, name) == getattr(row, name), name
    assert (status.service.id, status.service.name) == (row.service.id, row.service.name)
    assert (status.community.id, status.community.name) == (row.community.id, row.community.name)
    seen = [(e.action, e.to_status, e.note, e.created_at) for e in public_timeline(status)]
    assert seen == [(e.action, e.to_status, e.note, e.created_at) for e in public_timeline(row)]
    assert len(seen) >= 2 and seen[-1][2] == "证明已开具"
