"""志愿云: a resident registers as a volunteer with a texted code, signs up for a task of a decided matter,
checks in and out with the task's QR, staff confirm the minutes, and the ledger and the figures count them."""

from __future__ import annotations

import json
import re

from kiosk_app.extensions import db
from kiosk_app.models import ConsultationTask, Notification, Shift

from ..helpers import csrf_token, sign_in
from ..integration.test_consultations import adopted_with_task, household
from .test_terminal import enrolled


def text(response) -> str:
    return response.get_data(as_text=True)


def adopted_task(app, wanted: int = 1) -> tuple[int, int, str]:
    """An adopted consultation of HQ with one task offered to ``wanted`` volunteers: (consultation, task, token)."""
    with app.app_context():
        household(0)
        consultation, task = adopted_with_task(owner_kind="volunteers")
        consultation_id, task_id = consultation.id, task.id
    admin = sign_in(app, "admin-hq")
    assert admin.post(f"/staff/consultations/{consultation_id}/tasks/{task_id}/volunteers", data={
        "wanted": str(wanted), "csrf_token": csrf_token(admin, "/staff/consultations/")}).status_code == 303
    with app.app_context():
        return consultation_id, task_id, db.session.get(ConsultationTask, task_id).check_token


def volunteer(app, mobile: str = "13700000001", name: str = "孙志愿", community: str = "HQ"):
    phone = app.test_client()
    phone.get(f"/kiosk/community/{community}")
    token = csrf_token(phone, "/v/")
    sent = phone.post("/v/code", data={"action": "register", "name": name, "mobile": mobile, "skills": "搬运",
                                       "available": "周末", "csrf_token": token})
    assert sent.status_code == 303, text(sent)
    with app.app_context():
        message = db.session.scalars(db.select(Notification).filter_by(kind="volunteer_code")
                                     .order_by(Notification.id.desc())).first()
        code = re.search(r"\b(\d{6})\b", message.body).group(1)
    assert phone.post("/v/confirm", data={"code": code, "csrf_token": token}).status_code == 303
    return phone, token


def test_a_volunteer_registers_signs_up_checks_in_and_out_and_the_hours_are_confirmed(app):
    consultation_id, task_id, check_token = adopted_task(app)
    phone, token = volunteer(app)
    page = text(phone.get("/v/"))
    assert "孙*愿" in page and "加装电梯" in page and "已报名 0 / 1 人" in page
    assert phone.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": token}).status_code == 303
    other, other_token = volunteer(app, "13700000002", "周热心")
    full = other.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": other_token})
    assert full.status_code == 422  # one wanted, one signed up
    refused = other.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": other_token})
    assert refused.status_code == 422  # not signed up
    for action in ("out", "sideways"):  # leaving before arriving, or a made-up action: said, nothing recorded
        refused = phone.post(f"/v/check/{check_token}", data={"action": action, "csrf_token": token})
        assert refused.status_code == 422 and 'role="alert"' in text(refused)
    with app.app_context():
        assert db.session.scalar(db.select(Shift.checked_in_at)) is None
    assert phone.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": token}).status_code == 303
    phone.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": token})  # a second tap: still in
    with app.app_context():
        assert db.session.scalar(db.select(Shift.checked_out_at)) is None
    assert phone.post(f"/v/check/{check_token}", data={"action": "out", "csrf_token": token}).status_code == 303
    assert phone.post(f"/v/check/{check_token}", data={"action": "in", "csrf_token": token}).status_code == 422
    with app.app_context():
        shift_id = db.session.scalar(db.select(Shift.id))
    admin = sign_in(app, "admin-hq")
    admin_token = csrf_token(admin, "/staff/consultations/")
    detail = text(admin.get(f"/staff/consultations/{consultation_id}"))
    assert f'data-shift="{shift_id}"' in detail and "孙*愿" in detail and "孙志愿" not in detail
    refused = admin.post(f"/staff/consultations/{consultation_id}/shifts/{shift_id}",
                         data={"minutes": "abc", "csrf_token": admin_token})
    assert refused.status_code == 422 and "分钟数须为 0 到 1440" in text(refused).split('id="tasks"')[1]  # said where seen
    assert admin.post(f"/staff/consultations/{consultation_id}/shifts/{shift_id}",
                      data={"minutes": "90", "csrf_token": admin_token}).status_code == 303
    assert "1.5" in text(phone.get("/v/")).split('id="ledger-total"')[1][:80]
    assert 'id="volunteer-hours"' in text(admin.get("/staff/consultations/"))
    qr_page = text(admin.get(f"/staff/consultations/{consultation_id}/tasks/{task_id}/qr"))
    assert '<svg class="qr"' in qr_page and f"/v/check/{check_token}" in qr_page
    elsewhere = sign_in(app, "staff-xj")
    assert elsewhere.post(f"/staff/consultations/{consultation_id}/shifts/{shift_id}", data={
        "minutes": "600", "csrf_token": csrf_token(elsewhere, "/staff/consultations/")}).status_code == 404
    # leaving: the name and number go, the confirmed hours stay in the figures
    left = phone.post("/v/leave", data={"forget": "1", "csrf_token": token}, follow_redirects=True)
    assert 'id="volunteer-left"' in text(left) and "姓名和手机号码已删除" in text(left)
    with app.app_context():
        from kiosk_app.models import Volunteer

        gone = db.session.scalars(db.select(Volunteer).filter_by(active=False)).one()
        assert gone.name == "" and gone.mobile == ""
    assert 'id="volunteer-hours"' in text(admin.get("/staff/consultations/"))


def test_volunteers_register_on_their_own_phone_and_an_unknown_number_gets_no_sign_in_text(app):
    kiosk = enrolled(app, "HQ-K1")
    refused = kiosk.post("/v/code", data={"action": "register", "name": "孙志愿", "mobile": "13700000001",
                                          "csrf_token": csrf_token(kiosk, "/v/")})
    assert refused.status_code == 422
    phone = app.test_client()
    phone.get("/kiosk/community/HQ")
    sent = phone.post("/v/code", data={"action": "sign_in", "mobile": "13700000009", "csrf_token": csrf_token(phone, "/v/")})
    assert sent.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Notification.id)).filter_by(kind="volunteer_code")) == 0
    assert app.test_client().get("/v/check/no-such-token").status_code == 404
    assert "志愿者请用自己的手机" in text(kiosk.get("/v/"))


def test_eight_volunteers_at_once_for_one_place_make_one_shift(app):
    import threading

    from kiosk_app.services import volunteers

    _consultation_id, task_id, _token = adopted_task(app, wanted=1)
    ids = []
    for n in range(8):
        volunteer(app, f"1370000002{n}", "热心人")
    with app.app_context():
        from kiosk_app.models import Volunteer

        ids = list(db.session.scalars(db.select(Volunteer.id)))
    barrier, outcomes = threading.Barrier(len(ids)), []

    def sign(volunteer_id):
        with app.app_context():
            try:
                barrier.wait()
                volunteers.sign_up(volunteers.get(volunteer_id), task_id)
                outcomes.append("in")
            except Exception as error:  # noqa: BLE001
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign, args=(volunteer_id,)) for volunteer_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["InvalidInput"] * (len(ids) - 1) + ["in"], outcomes
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Shift.id))) == 1


def test_a_new_qr_for_a_task_stops_the_old_one_checking_anyone_in(app):
    """A printed QR photographed and passed on: staff print a new one; the old checks nobody in or out."""
    from kiosk_app.models import AuditEvent

    consultation_id, task_id, old = adopted_task(app)
    phone, token = volunteer(app)
    assert phone.post(f"/v/tasks/{task_id}/sign-up", data={"csrf_token": token}).status_code == 303
    qr_page = f"/staff/consultations/{consultation_id}/tasks/{task_id}/qr"
    outsider = sign_in(app, "staff-xj")  # another community's staff: nothing to renew
    assert outsider.post(qr_page, data={"csrf_token": csrf_token(outsider, "/staff/")}).status_code == 404
    admin = sign_in(app, "admin-hq")
    assert admin.post(qr_page, data={}).status_code == 400  # (no CSRF token)
    with app.app_context():
        assert db.session.get(ConsultationTask, task_id).check_token == old
    renewed = admin.post(qr_page, data={"csrf_token": csrf_token(admin, qr_page)}, follow_redirects=True)
    with app.app_context():
        new = db.session.get(ConsultationTask, task_id).check_token
        audited = db.session.scalars(db.select(AuditEvent).filter_by(entity="consultation", entity_id=consultation_id)
                                     .order_by(AuditEvent.id.desc())).first()
    assert new != old and new in text(renewed) and old not in text(renewed) and "旧码不再" in text(renewed)
    assert json.loads(audited.after) == {"task": task_id, "check_in_qr": "renewed"}
    assert phone.get(f"/v/check/{old}").status_code == 404
    assert phone.post(f"/v/check/{old}", data={"action": "in", "csrf_token": token}).status_code == 404
    assert phone.post(f"/v/check/{new}", data={"action": "in", "csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(Shift.checked_in_at).filter_by(task_id=task_id)) is not None
    # a ticket's page is not the consultation's: its route refuses the consultation's task
    assert admin.post(f"/staff/tickets/{task_id}/volunteers/qr",
                      data={"csrf_token": csrf_token(admin, qr_page)}).status_code == 404
