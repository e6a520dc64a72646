"""Staff sessions kept on the server: a copied cookie stops working the moment its session ends (sign-out,
a reset, disabling the account, a role change, another session ending it, idleness); an account sees
where it is signed in; sign-ins, refusals and session ends are in the audit trail."""

from datetime import timedelta

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, StaffSession

from ..helpers import CSRF_RE, STAFF_PASSWORD, make_ticket, sign_in, staff


def text(response) -> str:
    return response.get_data(as_text=True)


def token_of(client, url="/staff/") -> str:
    return CSRF_RE.search(text(client.get(url))).group(1)


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def note_on_a_ticket(app, client, token) -> bool:
    """Whether a note sent with this client's cookie landed on a ticket."""
    from kiosk_app.models import TicketEvent

    with app.app_context():
        ticket_id = make_ticket().id
    client.post(f"/staff/tickets/{ticket_id}/note", data={"csrf_token": token, "note": "来自复制的会话"})
    with app.app_context():
        return db.session.scalar(db.select(TicketEvent.id).filter_by(ticket_id=ticket_id, note="来自复制的会话")) \
            is not None


def test_a_copied_cookie_stops_working_after_sign_out(app):
    desk = sign_in(app, "staff-hq")
    thief = copy_of(app, desk)
    token = token_of(thief)
    assert signed_in(thief)
    desk.post("/staff/logout", data={"csrf_token": token_of(desk)})
    assert not signed_in(thief)
    assert not note_on_a_ticket(app, thief, token)  # sent to the sign-in page, nothing added
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).filter_by(
            action="sign_out", entity_name="staff-hq")) == 1


@pytest.mark.parametrize("action", ["reset", "disable", "role"])
def test_a_copied_cookie_stops_working_after_a_reset_a_disable_or_a_role_change(app, action):
    with app.app_context():
        member, hq = staff("staff-hq").id, staff("staff-hq").area_id
    desk = sign_in(app, "staff-hq")
    thief = copy_of(app, desk)
    assert signed_in(thief)
    admin = sign_in(app, "admin-hq")
    path, data = {"reset": (f"/staff/admin/accounts/{member}/reset", {}),
                  "disable": (f"/staff/admin/accounts/{member}/disable", {}),
                  "role": (f"/staff/admin/accounts/{member}",
                           {"display_name": "王社工", "role": "volunteer", "area_id": hq})}[action]
    assert admin.post(path, data={"csrf_token": token_of(admin), **data}).status_code in (200, 303)
    assert not signed_in(thief) and not signed_in(desk)
    with app.app_context():
        assert db.session.scalar(db.select(StaffSession.ended_reason).filter_by(staff_id=member)) == \
            {"role": "role", "reset": "reset", "disable": "disabled"}[action]


def test_an_account_sees_its_sessions_and_ends_one_or_all(app):
    desk, phone = sign_in(app, "staff-hq"), sign_in(app, "staff-hq")
    page = text(desk.get("/staff/security"))
    with app.app_context():
        desk_row, phone_row = db.session.scalars(db.select(StaffSession.id).filter_by(
            staff_id=staff("staff-hq").id, ended_at=None).order_by(StaffSession.id)).all()
    assert f'data-session="{desk_row}"' in page and f'data-session="{phone_row}"' in page
    assert page.count("本浏览器") == 1
    # Ending the phone's session from the desk: the phone is out, the desk stays.
    response = desk.post(f"/staff/security/sessions/{phone_row}/end", data={"csrf_token": token_of(desk)})
    assert response.status_code == 303
    assert not signed_in(phone) and signed_in(desk)
    # Someone else's session, or one already ended: nothing to end.
    admin = sign_in(app, "admin-hq")
    for row in (phone_row, desk_row):
        assert admin.post(f"/staff/security/sessions/{row}/end", data={"csrf_token": token_of(admin)}).status_code \
            == 404
    assert signed_in(desk)
    # Signing out everywhere ends this one too.
    laptop = sign_in(app, "staff-hq")
    desk.post("/staff/security/sign-out-everywhere", data={"csrf_token": token_of(desk)})
    assert not signed_in(desk) and not signed_in(laptop)


def test_a_session_idle_on_the_server_ends_even_with_a_fresh_looking_cookie(app):
    desk = sign_in(app, "staff-hq")
    with app.app_context():
        row = db.session.scalar(db.select(StaffSession).filter_by(ended_at=None))
        row.seen_at -= timedelta(minutes=31)
        row_id = row.id
        db.session.commit()
    assert not signed_in(desk)
    with app.app_context():
        assert db.session.get(StaffSession, row_id).ended_reason == "idle"


def test_sign_ins_and_refusals_are_in_the_audit_trail(app):
    client = app.test_client()
    token = token_of(client, "/staff/login")
    client.post("/staff/login", data={"csrf_token": token, "username": "staff-hq", "password": "wrong"})
    client.post("/staff/login", data={"csrf_token": token, "username": "nobody", "password": "wrong"})
    sign_in(app, "staff-hq")
    admin = sign_in(app, "admin-district")
    page = text(admin.get("/staff/admin/audit?action=sign_in_failed"))
    assert 'data-audit="sign_in:None:sign_in_failed"' in page and "nobody" in page
    assert "wrong" not in page  # never a password typed
    assert 'data-audit="staff:' in text(admin.get("/staff/admin/audit?action=sign_in"))


def test_personal_data_views_and_exports_are_in_the_audit_trail(app):
    with app.app_context():
        ticket_id, number = (lambda t: (t.id, t.number))(make_ticket())
    admin = sign_in(app, "admin-hq")
    assert admin.post(f"/staff/tickets/{ticket_id}/reveal", data={"csrf_token": token_of(admin)}).status_code == 200
    assert admin.get("/staff/export.csv").status_code == 200
    district = sign_in(app, "admin-district")
    views = text(district.get("/staff/admin/audit?action=view_personal_data"))
    assert f'data-audit="ticket:{ticket_id}:view_personal_data"' in views and number in views
    exports = district.get("/staff/admin/audit.csv?action=export").get_data(as_text=True)
    assert "admin-hq" in exports and '""rows"": 1' in exports


def test_signing_in_again_on_a_browser_ends_the_session_it_had(app):
    desk = sign_in(app, "staff-hq")
    thief = copy_of(app, desk)
    csrf = token_of(desk, "/staff/security")
    desk.post("/staff/login", data={"csrf_token": csrf, "username": "admin-hq", "password": STAFF_PASSWORD})
    assert text(desk.get("/staff/security")).count("本浏览器") == 1  # now admin-hq's
    assert not signed_in(thief)  # the copy of staff-hq's cookie is out
