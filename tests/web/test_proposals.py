"""Proposals (民事民提): a resident proposes, community staff put it to discussion, record the
decision and the result; the resident follows every step like a ticket and rates it at the end."""

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Status, Ticket

from ..helpers import HX, open_form, sign_in, valid_form
from .test_staff import act, hq_ticket  # noqa: F401 - a fixture


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def proposal(app, resident):
    service_id, token, key = open_form(resident, app, "proposal")
    form = {**valid_form(app, details="建议在3号楼旁增设电动车充电桩"), "csrf_token": token, "submission_key": key}
    response = resident.post(f"/kiosk/services/{service_id}/request", data=form)
    assert response.status_code == 303
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        assert ticket.service.is_proposal
        return ticket.id, ticket.token


def test_the_catalogue_offers_proposals(resident):
    assert "提出社区建议（民事民提）" in text(resident.get("/kiosk/"))


def test_staff_discuss_decide_and_carry_out_a_proposal(app, proposal, client):
    ticket_id, token = proposal
    staff = sign_in(app, "staff-hq")
    page = text(staff.get(f"/staff/tickets/{ticket_id}"))
    assert 'data-action="discuss"' in page and 'data-action="accept"' not in page
    assert act(staff, ticket_id, "discuss", note="12月5日晚7点在社区议事厅讨论").status_code == 303
    assert "议事中" in text(client.get(f"/t/{token}")) and "12月5日晚7点" in text(client.get(f"/t/{token}"))
    missing = act(staff, ticket_id, "decide", note=" ", headers=HX)
    assert missing.status_code == 422 and 'id="err-note-decide"' in text(missing)
    act(staff, ticket_id, "decide", note="居民议事会同意：在3号楼东侧安装8个充电桩")
    status_page = text(client.get(f"/t/{token}"))
    assert "已决定" in status_page and "安装8个充电桩" in status_page
    assert 'name="level"' not in status_page  # not yet done: no rating
    act(staff, ticket_id, "complete", note="充电桩已安装并投入使用")
    status_page = text(client.get(f"/t/{token}"))
    assert "充电桩已安装并投入使用" in status_page and 'name="level"' in status_page  # 民评
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.status == Status.COMPLETED
        assert [e.action for e in ticket.events] == ["submitted", "discuss", "decide", "complete"]


def test_a_proposal_can_be_turned_down_with_a_reason(app, proposal, client):
    ticket_id, token = proposal
    staff = sign_in(app, "staff-hq")
    act(staff, ticket_id, "discuss")
    act(staff, ticket_id, "reject", note="多数居民不同意占用绿地")
    assert "多数居民不同意占用绿地" in text(client.get(f"/t/{token}"))


def test_grid_workers_and_volunteers_do_not_decide_proposals(app, proposal):
    ticket_id, _token = proposal
    grid = sign_in(app, "grid-hq1")
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).grid.code == "G1"  # grid-hq1's grid: they see it
    assert "建议在3号楼旁增设电动车充电桩" in text(grid.get(f"/staff/tickets/{ticket_id}"))
    refused = act(grid, ticket_id, "discuss", headers=HX)
    assert refused.status_code == 409 and "提交居民议事" in text(refused)
    admin = sign_in(app, "admin-hq")
    assert act(admin, ticket_id, "discuss").status_code == 303
    act(admin, ticket_id, "decide", note="同意")
    refused = act(grid, ticket_id, "complete", note="已办", headers=HX)  # a grid worker may complete requests
    assert refused.status_code == 409 and "建议由社区工作人员受理" in text(refused)
    assert act(grid, ticket_id, "note", note="已通知楼栋长").status_code == 303


def test_ordinary_requests_know_nothing_of_discussion(app, hq_ticket):
    staff = sign_in(app, "staff-hq")
    assert 'data-action="discuss"' not in text(staff.get(f"/staff/tickets/{hq_ticket}"))
    assert act(staff, hq_ticket, "discuss", headers=HX).status_code == 409
