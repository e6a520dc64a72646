"""志愿云 for requests: staff offer a volunteer-eligible ticket to the community's registered volunteers;
a volunteer sees the service and the building (never the resident), signs up, checks in and out with the
QR on the resident's ticket page, and staff confirm the minutes, which count in the ledger and figures."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

from kiosk_app.extensions import db
from kiosk_app.models import ConsultationTask, Shift, Status, Ticket

from ..helpers import csrf_token, make_ticket, sign_in
from .test_status_pages import reader  # noqa: F401  (a fixture)
from .test_volunteers import text, volunteer


def home_visit(app, service_code: str = "home-visit") -> tuple[int, str, str]:
    """A ticket of HQ building 0 from 王秀英 (id, token, number)."""
    with app.app_context():
        ticket = make_ticket(service_code=service_code, name="王秀英", mobile="13911112222",
                             details="腿脚不便，想请人陪同去医院复查")
        return ticket.id, ticket.token, ticket.number


def offer(staff, ticket_id: int, wanted: str = "1"):
    return staff.post(f"/staff/tickets/{ticket_id}/volunteers",
                      data={"wanted": wanted, "csrf_token": csrf_token(staff, f"/staff/tickets/{ticket_id}")})


@dataclass
class Offered:
    """A home visit offered by staff-hq, and a volunteer's phone signed up for it."""
    ticket_id: int
    token: str  # the resident's ticket page
    staff: object  # staff-hq's browser
    phone: object  # the volunteer's (孙志愿, 13700000001)
    phone_token: str
    task_id: int
    check_token: str  # the task's QR


def signed_up(app, wanted: str = "1", *, language: str = "") -> Offered:
    ticket_id, token, _number = home_visit(app)
    staff = sign_in(app, "staff-hq")
    assert offer(staff, ticket_id, wanted).status_code == 303
    phone, phone_token = volunteer(app)
    if language:
        phone.post("/prefs", data={"csrf_token": phone_token, "lang": language, "next": "/v/"})
    with app.app_context():
        task = db.session.scalar(db.select(ConsultationTask).filter_by(ticket_id=ticket_id))
        task_id, check_token = task.id, task.check_token
    assert phone.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": phone_token}).status_code == 303
    return Offered(ticket_id, token, staff, phone, phone_token, task_id, check_token)


def test_a_home_visit_is_offered_to_volunteers_who_check_in_on_the_residents_page(app):
    ticket_id, token, _number = home_visit(app)
    staff = sign_in(app, "staff-hq")
    assert 'id="offer-volunteers"' in text(staff.get(f"/staff/tickets/{ticket_id}"))
    assert offer(staff, ticket_id).status_code == 303
    phone, phone_token = volunteer(app)
    page = text(phone.get("/v/"))
    with app.app_context():
        task = db.session.scalar(db.select(ConsultationTask).filter_by(ticket_id=ticket_id))
        task_id, check_token = task.id, task.check_token
        building = db.session.get(Ticket, ticket_id).building.name
    offered = page.split(f'data-task="{task_id}"')[1].split("</li>")[0]
    assert "居家养老上门服务预约" in offered and building in offered
    for private in ("王秀英", "王*英", "1391111", "2222", "陪同去医院"):
        assert private not in page
    assert 'id="volunteer-check-in"' not in text(app.test_client().get(f"/t/{token}"))  # nobody signed up yet

    assert phone.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": phone_token}).status_code == 303
    assert "社区工作人员会给您打电话" in text(phone.get("/v/"))
    residents_page = text(app.test_client().get(f"/t/{token}"))
    assert 'id="volunteer-check-in"' in residents_page and '<svg class="qr"' in residents_page.split('id="volunteer-check-in"')[1]
    assert phone.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": phone_token}).status_code == 303
    assert phone.post(f"/v/check/{check_token}", data={"action": "out", "csrf_token": phone_token}).status_code == 303
    assert 'id="volunteer-check-in"' not in text(app.test_client().get(f"/t/{token}"))  # checked out: gone

    with app.app_context():
        shift_id = db.session.scalar(db.select(Shift.id).filter_by(task_id=task_id))
    ticket_page = text(staff.get(f"/staff/tickets/{ticket_id}"))
    row = ticket_page.split(f'data-shift="{shift_id}"')[1].split("</tr>")[0]
    assert "孙*愿" in row and "孙志愿" not in row and "13700000001" not in row
    revealed = text(staff.post(f"/staff/tickets/{ticket_id}/reveal",
                               data={"csrf_token": csrf_token(staff, f"/staff/tickets/{ticket_id}")}))
    assert "孙志愿" in revealed and "13700000001" in revealed  # putting them in touch: the reveal is recorded
    staff_token = csrf_token(staff, f"/staff/tickets/{ticket_id}")
    wrong = staff.post(f"/staff/tickets/{ticket_id}/shifts/{shift_id}", data={"minutes": "9999", "csrf_token": staff_token})
    assert wrong.status_code == 422 and "分钟数" in text(wrong)
    assert staff.post(f"/staff/tickets/{ticket_id}/shifts/{shift_id}",
                      data={"minutes": "45", "csrf_token": staff_token}).status_code == 303
    assert "0.8" in text(phone.get("/v/")).split('id="ledger-total"')[1][:80]
    with app.app_context():
        from kiosk_app.models import Staff
        from kiosk_app.services import figures

        hours = figures.volunteer_hours(db.session.scalar(db.select(Staff).filter_by(username="admin-hq")))
        assert sum(total for _community, _month, total in hours) == 0.8
    qr_page = text(staff.get(f"/staff/tickets/{ticket_id}/volunteers/qr"))
    assert '<svg class="qr"' in qr_page


def test_only_a_volunteer_eligible_open_ticket_of_ones_own_community_is_offered(app):
    repair_id, _token, _number = home_visit(app, "facility-repair")
    staff = sign_in(app, "staff-hq")
    assert 'id="ticket-volunteers"' not in text(staff.get(f"/staff/tickets/{repair_id}"))
    refused = offer(staff, repair_id)
    assert refused.status_code == 422 and "不属于志愿者可协助的范围" in text(refused).split('id="ticket-problem"')[1][:200]
    ticket_id, _token, _number = home_visit(app)
    nothing_yet = offer(staff, ticket_id, "0")  # taking back what was never offered
    assert nothing_yet.status_code == 422 and "尚未发布给志愿者" in text(nothing_yet).split('id="err-wanted"')[1][:80]
    for wanted in ("abc", "-1", "201", "１", "0000001"):
        refused = offer(staff, ticket_id, wanted)
        assert refused.status_code == 422 and "志愿者人数须为 0 到 200" in text(refused).split('id="err-wanted"')[1][:80]
    assert offer(sign_in(app, "staff-xj"), ticket_id).status_code == 404  # another community's ticket
    assert offer(sign_in(app, "volunteer-hq"), ticket_id).status_code in (403, 404)  # a volunteer's account
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ConsultationTask.id)).filter_by(ticket_id=ticket_id)) == 0

    assert offer(staff, ticket_id, "2").status_code == 303
    assert offer(staff, ticket_id, "3").status_code == 303  # the same task, now wanting three
    with app.app_context():
        tasks = list(db.session.scalars(db.select(ConsultationTask).filter_by(ticket_id=ticket_id)))
        assert [task.volunteers_wanted for task in tasks] == [3]
        task_id = tasks[0].id
    elsewhere, elsewhere_token = volunteer(app, "13700000005", "钱邻居", community="XJ")  # another community's
    page = text(elsewhere.get("/v/"))
    assert 'id="offered"' in page and f'data-task="{task_id}"' not in page
    assert elsewhere.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": elsewhere_token}).status_code == 404

    phone, phone_token = volunteer(app)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.status = Status.REJECTED
        db.session.commit()
    assert f'data-task="{task_id}"' not in text(phone.get("/v/"))  # a closed ticket wants nobody
    assert phone.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": phone_token}).status_code == 422
    refused = offer(staff, ticket_id)
    assert refused.status_code == 422 and "该办件已结束" in text(refused).split('id="ticket-problem"')[1][:200]


def test_offers_at_once_make_one_task(app):
    from kiosk_app.models import Staff
    from kiosk_app.services import ticket_help

    ticket_id, _token, _number = home_visit(app)
    barrier, outcomes = threading.Barrier(4), []

    def offer_now(username):
        with app.app_context():
            try:
                actor = db.session.scalar(db.select(Staff).filter_by(username=username))
                barrier.wait()
                ticket_help.offer(actor, ticket_id, "2")
                outcomes.append("ok")
            except Exception as error:  # noqa: BLE001
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=offer_now, args=(name,)) for name in ("staff-hq", "admin-hq") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes == ["ok"] * 4
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ConsultationTask.id)).filter_by(ticket_id=ticket_id)) == 1


def test_an_offer_ends_with_its_service_and_a_volunteer_on_the_spot_can_always_check_out(app):
    from kiosk_app.models import AuditEvent, Service

    ticket_id, _token, _number = home_visit(app)
    staff = sign_in(app, "staff-hq")
    assert offer(staff, ticket_id, "2").status_code == 303
    phone, phone_token = volunteer(app)
    with app.app_context():
        task = db.session.scalar(db.select(ConsultationTask).filter_by(ticket_id=ticket_id))
        task_id, check_token = task.id, task.check_token
    assert phone.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": phone_token}).status_code == 303
    assert phone.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": phone_token}).status_code == 303
    assert offer(staff, ticket_id, "0").status_code == 303  # taken back while the volunteer is there
    assert phone.post(f"/v/check/{check_token}", data={"action": "out", "csrf_token": phone_token}).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(Shift.checked_out_at).filter_by(task_id=task_id)) is not None
    # the staff page of another ticket, or a consultation's, is not where this shift is confirmed
    other_id, _token, _number = home_visit(app)
    with app.app_context():
        shift_id = db.session.scalar(db.select(Shift.id).filter_by(task_id=task_id))
    token = csrf_token(staff, f"/staff/tickets/{ticket_id}")
    assert staff.post(f"/staff/tickets/{other_id}/shifts/{shift_id}", data={"minutes": "30", "csrf_token": token}).status_code == 404
    # the reveal that shows the volunteers in full names them in the audit record
    staff.post(f"/staff/tickets/{ticket_id}/reveal", data={"csrf_token": token})
    with app.app_context():
        from kiosk_app.models import Volunteer

        event = db.session.scalars(db.select(AuditEvent).filter_by(entity="ticket", entity_id=ticket_id)
                                   .order_by(AuditEvent.id.desc())).first()
        assert json.loads(event.after) == {"volunteers": [db.session.scalar(db.select(Volunteer.id))]}

    assert offer(staff, ticket_id, "2").status_code == 303
    second, second_token = volunteer(app, "13700000006", "周热心")
    with app.app_context():
        db.session.get(Service, db.session.get(Ticket, ticket_id).service_id).volunteer_eligible = False
        db.session.commit()
    assert f'data-task="{task_id}"' not in text(second.get("/v/"))  # no longer a service volunteers help with
    assert second.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": second_token}).status_code == 422
    assert 'id="ticket-volunteers"' in text(staff.get(f"/staff/tickets/{ticket_id}"))  # its shifts stay confirmable
    assert offer(staff, ticket_id, "0").status_code == 303


def test_the_residents_kept_page_follows_the_volunteers_sign_up_and_check_out(app, reader):
    from .test_status_pages import Answer, fresh, without_tokens

    ticket_id, token, _number = home_visit(app)
    path = f"/t/{token}"
    staff = sign_in(app, "staff-hq")

    def shown() -> bool:
        first, second = Answer(app, reader, path), Answer(app, reader, path)
        assert second.kept
        assert without_tokens(second.page) == without_tokens(text(fresh(app, reader, path)))
        return 'id="volunteer-check-in"' in second.page

    assert not shown()
    assert offer(staff, ticket_id).status_code == 303
    assert not shown()
    phone, phone_token = volunteer(app)
    with app.app_context():
        task = db.session.scalar(db.select(ConsultationTask).filter_by(ticket_id=ticket_id))
        task_id, check_token = task.id, task.check_token
    assert phone.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": phone_token}).status_code == 303
    assert shown()
    phone.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": phone_token})
    assert shown()
    phone.post(f"/v/check/{check_token}", data={"action": "out", "csrf_token": phone_token})
    assert not shown()


def test_taking_the_offer_back_says_so_and_a_check_in_qr_leads_a_new_volunteer_back_to_it(app):
    ticket_id, token, _number = home_visit(app)
    staff = sign_in(app, "staff-hq")
    assert offer(staff, ticket_id).status_code == 303
    taken_back = offer(staff, ticket_id, "0")
    assert "已撤回给志愿者的邀请" in text(staff.get(taken_back.headers["Location"]))
    assert offer(staff, ticket_id).status_code == 303
    with app.app_context():
        check_token = db.session.scalar(db.select(ConsultationTask.check_token).filter_by(ticket_id=ticket_id))

    # a volunteer's phone that has never chosen a community scans the QR first
    phone = app.test_client()
    check_page = text(phone.get(f"/v/check/{check_token}"))
    assert f"/v/?then=/v/check/{check_token}" in check_page
    page = text(phone.get(f"/v/?then=/v/check/{check_token}"))
    assert 'id="volunteer-register"' in page and f'name="then" value="/v/check/{check_token}"' in page
    phone_token = csrf_token(phone, "/v/")
    sent = phone.post("/v/code", data={"action": "register", "name": "孙志愿", "mobile": "13700000001",
                                       "then": f"/v/check/{check_token}", "csrf_token": phone_token})
    assert sent.status_code == 303 and f"then=/v/check/{check_token}" in sent.headers["Location"]
    again = phone.post("/v/code", data={"action": "register", "name": "孙志愿", "mobile": "13700000001",
                                        "then": f"/v/check/{check_token}", "csrf_token": phone_token})
    assert again.status_code == 429 and "秒后可再次获取" in text(again) and 'id="volunteer-confirm"' in text(again)
    with app.app_context():
        from kiosk_app.models import Notification

        code = re.search(r"\b(\d{6})\b", db.session.scalars(db.select(Notification).filter_by(kind="volunteer_code")
                                                           ).one().body).group(1)
    confirmed = phone.post("/v/confirm", data={"code": f" {code} ", "then": f"/v/check/{check_token}",
                                               "csrf_token": phone_token})
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith(f"/v/check/{check_token}")
    for elsewhere in ("https://example.org/", "//example.org/v/check/x", "/staff/"):
        assert phone.post("/v/leave", data={"csrf_token": phone_token}).status_code == 303
        page = text(phone.get(f"/v/?then={elsewhere}"))
        assert 'name="then"' not in page and 'id="back-to-check"' not in page


def test_the_community_chooser_brings_a_phone_back_to_the_volunteers_page(app):
    phone = app.test_client()
    assert "/kiosk/community?next=/v/" in text(phone.get("/v/"))
    assert "/kiosk/community/HQ?next=/v/" in text(phone.get("/kiosk/community?next=/v/"))
    assert phone.get("/kiosk/community/HQ?next=/v/").headers["Location"].endswith("/v/")
    for elsewhere in ("https://example.org/", "//example.org/", "/staff/"):
        assert not phone.get(f"/kiosk/community/HQ?next={elsewhere}").headers["Location"].endswith(elsewhere)


def test_a_volunteer_reading_in_english_sees_the_help_named_in_english(app):
    help = signed_up(app, language="en")
    phone, task_id = help.phone, help.task_id
    offered = text(phone.get("/v/")).split(f'data-task="{task_id}"')[1].split("</li>")[0]
    assert "Home visit for an elderly resident" in offered and "居家养老" not in offered
    check = text(phone.get(f"/v/check/{help.check_token}"))
    assert "<h1>Home visit for an elderly resident</h1>" in check
    ledger = text(phone.get("/v/")).split('id="ledger-total"')[1]
    assert "Home visit for an elderly resident" in ledger and "居家养老" not in ledger


def test_a_new_qr_for_a_tickets_help_is_on_the_residents_page_at_once(app):
    help = signed_up(app)
    ticket_id, token, staff, phone, phone_token = help.ticket_id, help.token, help.staff, help.phone, help.phone_token
    task_id, old = help.task_id, help.check_token

    def residents_qr() -> str:
        return text(app.test_client().get(f"/t/{token}")).split('id="volunteer-check-in"')[1].split("</svg>")[0]

    before = residents_qr()
    qr_page = f"/staff/tickets/{ticket_id}/volunteers/qr"
    for refused in ("staff-xj", "volunteer-hq"):  # another community's; a volunteer's account
        other = sign_in(app, refused)
        assert other.post(qr_page, data={"csrf_token": csrf_token(other, "/staff/")}).status_code in (403, 404)
    assert "旧码不再" in text(staff.post(qr_page, data={"csrf_token": csrf_token(staff, qr_page)}, follow_redirects=True))
    with app.app_context():
        new = db.session.get(ConsultationTask, task_id).check_token
    assert new != old and residents_qr() != before  # the resident's page shows the new code
    assert phone.post(f"/v/check/{old}", data={"action": "in", "csrf_token": phone_token}).status_code == 404
    assert phone.post(f"/v/check/{new}", data={"action": "in", "csrf_token": phone_token}).status_code == 303


def test_a_place_is_freed_by_the_volunteer_by_staff_or_by_leaving_and_a_shift_begun_stays(app):
    from kiosk_app.models import AuditEvent, Volunteer

    ticket_id, token, _number = home_visit(app)
    staff = sign_in(app, "staff-hq")
    assert offer(staff, ticket_id, "1").status_code == 303
    first, first_token = volunteer(app)
    second, second_token = volunteer(app, "13700000002", "周热心")
    with app.app_context():
        task = db.session.scalar(db.select(ConsultationTask).filter_by(ticket_id=ticket_id))
        task_id, check_token = task.id, task.check_token

    def sign_up(phone, phone_token):
        return phone.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": phone_token})

    def shift_of(mobile: str) -> int:
        from kiosk_app.models.sealed import lookup

        with app.app_context():
            return db.session.scalar(db.select(Shift.id).join(Volunteer, Volunteer.id == Shift.volunteer_id)
                                     .where(Volunteer.mobile_lookup == lookup(mobile), Shift.task_id == task_id))

    assert sign_up(first, first_token).status_code == 303 and sign_up(second, second_token).status_code == 422  # full
    # the volunteer cannot come: they take it back, the place is free
    taken_back = first.post(f"/v/tasks/{task_id}/withdraw", data={"csrf_token": first_token}, follow_redirects=True)
    assert 'id="withdrawn"' in text(taken_back) and f'id="withdraw-{task_id}"' not in text(taken_back)
    assert sign_up(second, second_token).status_code == 303
    # the second does not answer the phone: staff free the place (recorded)
    page = f"/staff/tickets/{ticket_id}"
    removed = staff.post(f"{page}/shifts/{shift_of('13700000002')}/remove", data={"csrf_token": csrf_token(staff, page)},
                         follow_redirects=True)
    assert "已取消该报名" in text(removed)
    with app.app_context():
        event = db.session.scalars(db.select(AuditEvent).filter_by(entity="ticket", entity_id=ticket_id)
                                   .order_by(AuditEvent.id.desc())).first()
        assert json.loads(event.after)["task"] == task_id and "sign_up_removed" in json.loads(event.after)
    assert sign_up(first, first_token).status_code == 303
    assert first.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": first_token}).status_code == 303
    # begun on the spot: neither staff nor the volunteer can remove it
    begun = shift_of("13700000001")
    refused = staff.post(f"{page}/shifts/{begun}/remove", data={"csrf_token": csrf_token(staff, page)})
    assert refused.status_code == 422 and "该志愿者已签到" in text(refused)
    refused = first.post(f"/v/tasks/{task_id}/withdraw", data={"csrf_token": first_token})
    assert refused.status_code == 422 and "离开时请扫描任务二维码签退" in text(refused)
    elsewhere = sign_in(app, "staff-xj")
    assert elsewhere.post(f"{page}/shifts/{begun}/remove", data={
        "csrf_token": csrf_token(elsewhere, "/staff/")}).status_code == 404
    # the volunteer stops being one while on the spot: the shift ends now, the QR goes from the resident's page
    first.post("/v/leave", data={"forget": "1", "csrf_token": first_token})
    with app.app_context():
        assert db.session.get(Shift, begun).checked_out_at is not None
    assert 'id="volunteer-check-in"' not in text(app.test_client().get(f"/t/{token}"))
    # one who leaves before beginning frees the place
    assert offer(staff, ticket_id, "2").status_code == 303
    assert sign_up(second, second_token).status_code == 303
    second.post("/v/leave", data={"forget": "1", "csrf_token": second_token})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Shift.id)).filter_by(task_id=task_id)) == 1  # the one begun


def test_staff_are_offered_a_days_minutes_at_most_and_a_closed_tickets_check_in_has_no_button(app):
    from datetime import timedelta

    help = signed_up(app, "2")
    ticket_id, staff, phone, phone_token = help.ticket_id, help.staff, help.phone, help.phone_token
    task_id, check_token = help.task_id, help.check_token
    late, late_token = volunteer(app, "13700000002", "周热心")
    assert late.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": late_token}).status_code == 303
    for action in ("in", "out"):
        phone.post(f"/v/check/{check_token}", data={"action": action, "csrf_token": phone_token})
    with app.app_context():
        shift = db.session.scalars(db.select(Shift).filter_by(task_id=task_id).order_by(Shift.id)).first()
        shift.checked_in_at = shift.checked_out_at - timedelta(hours=30)  # forgot to check out until the next day
        db.session.commit()
        shift_id = shift.id
    row = text(staff.get(f"/staff/tickets/{ticket_id}")).split(f'data-shift="{shift_id}"')[1].split("</tr>")[0]
    assert 'value="1440"' in row  # what can be confirmed, not 1800
    with app.app_context():
        db.session.get(Ticket, ticket_id).status = Status.REJECTED
        db.session.commit()
    page = text(late.get(f"/v/check/{check_token}"))
    assert 'id="task-closed"' in page and 'id="check-button"' not in page


def _meanwhile(app, act) -> None:
    """``act`` in another connection, committed before the caller goes on (what another phone or
    another member of staff does at the same moment)."""
    def run():
        with app.app_context():
            try:
                act()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)


def test_a_sign_up_freed_while_the_volunteer_checks_in_keeps_the_check_in(app, monkeypatch):
    """Staff free a place at the moment the volunteer checks in on the spot: the check-in comes first,
    so the sign-up stays and the staff's page says so."""
    from kiosk_app.models import Volunteer
    from kiosk_app.services import volunteer_tasks, volunteers

    help = signed_up(app)
    ticket_id, staff, check_token = help.ticket_id, help.staff, help.check_token
    with app.app_context():
        shift_id, volunteer_id = db.session.execute(db.select(Shift.id, Shift.volunteer_id)).one()
    authorised = volunteer_tasks.authorised

    def checked_in_meanwhile(actor, task):
        _meanwhile(app, lambda: volunteers.check(db.session.get(Volunteer, volunteer_id), check_token, "in"))
        return authorised(actor, task)

    monkeypatch.setattr(volunteer_tasks, "authorised", checked_in_meanwhile)
    page = f"/staff/tickets/{ticket_id}"
    refused = staff.post(f"{page}/shifts/{shift_id}/remove", data={"csrf_token": csrf_token(staff, page)})
    assert refused.status_code == 422 and "该志愿者已签到" in text(refused)
    with app.app_context():
        assert db.session.get(Shift, shift_id).checked_in_at is not None


def test_a_check_in_as_the_sign_up_is_taken_back_says_to_sign_up_and_records_nothing(app, monkeypatch):
    from kiosk_app.models import Volunteer
    from kiosk_app.services import volunteers

    help = signed_up(app)
    phone, phone_token, task_id, check_token = help.phone, help.phone_token, help.task_id, help.check_token
    with app.app_context():
        volunteer_id = db.session.scalar(db.select(Shift.volunteer_id))
    is_open, done = volunteers.is_open, []

    def taken_back_meanwhile(task):
        if not done:  # (once: the refusal's page asks again)
            done.append(_meanwhile(app, lambda: volunteers.withdraw(db.session.get(Volunteer, volunteer_id), task_id)))
        return is_open(task)

    monkeypatch.setattr(volunteers, "is_open", taken_back_meanwhile)
    refused = phone.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": phone_token})
    assert refused.status_code == 422 and "请先报名该任务" in text(refused)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Shift.id))) == 0


def test_minutes_confirmed_without_a_check_in_are_a_shift_begun_and_stay(app):
    """Staff may confirm minutes given without a check-in (a phone left at home): that sign-up is not
    freed by anyone, and the volunteer's leaving keeps its hours."""
    from kiosk_app.models import Staff
    from kiosk_app.services import figures

    help = signed_up(app)
    ticket_id, staff, phone, phone_token, task_id = help.ticket_id, help.staff, help.phone, help.phone_token, help.task_id
    with app.app_context():
        shift_id = db.session.scalar(db.select(Shift.id))
    page = f"/staff/tickets/{ticket_id}"
    assert staff.post(f"{page}/shifts/{shift_id}", data={"minutes": "60", "csrf_token": csrf_token(staff, page)}
                      ).status_code == 303
    row = text(staff.get(page)).split(f'data-shift="{shift_id}"')[1].split("</tr>")[0]
    assert "/remove" not in row and f'id="withdraw-{task_id}"' not in text(phone.get("/v/"))
    assert staff.post(f"{page}/shifts/{shift_id}/remove", data={"csrf_token": csrf_token(staff, page)}).status_code == 422
    assert phone.post(f"/v/tasks/{task_id}/withdraw", data={"csrf_token": phone_token}).status_code == 422
    phone.post("/v/leave", data={"forget": "1", "csrf_token": phone_token})
    with app.app_context():
        assert db.session.get(Shift, shift_id).minutes_confirmed == 60
        hours = figures.volunteer_hours(db.session.scalar(db.select(Staff).filter_by(username="admin-hq")))
        assert sum(total for _community, _month, total in hours) == 1.0
