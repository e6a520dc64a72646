"""Consultations' pages: staff draft, publish, answer, hide, close and print; a resident confirms their
household with a texted code, comments and votes; what each one sees and what is refused."""

from __future__ import annotations

import re
from datetime import timedelta

from kiosk_app.extensions import db
from kiosk_app.models import Consultation, Notification
from kiosk_app.models.base import utcnow

from ..helpers import building_of, csrf_token, sign_in
from ..integration.test_consultations import adopted_with_task, code_sent_to, household, local, move_to
from kiosk_app.services.consultations import Phase


def text(response) -> str:
    return response.get_data(as_text=True)


def form(**changes) -> dict:
    now = utcnow()
    return {"title": "3号楼加装电梯", "matter": "是否同意加装电梯？", "scope": "buildings",
            "buildings": [str(building_of("HQ", 0).id)], "choices": "同意", "against": "1", "abstain": "1",
            "rule": "two_thirds", "discussion_from": local(now - timedelta(hours=1)),
            "discussion_to": local(now + timedelta(days=1)), "vote_from": local(now + timedelta(days=1)),
            "vote_to": local(now + timedelta(days=2)), "meeting_at": "", "meeting_place": "", **changes}


def opened(app) -> tuple:
    """admin-hq drafts and publishes a consultation for HQ's first building, with one household in it:
    (the admin's client, its CSRF token, the staff page's address, the consultation's id, the residents' page)."""
    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/consultations/")
    with app.app_context():
        household(0)
        data = form()
    detail_url = admin.post("/staff/consultations/new", data={**data, "csrf_token": token}).headers["Location"]
    assert admin.post(f"{detail_url}/publish", data={"csrf_token": token}).status_code == 303
    consultation_id = int(detail_url.rsplit("/", 1)[1])
    with app.app_context():
        public = f"/c/{db.session.get(Consultation, consultation_id).token}"
    return admin, token, detail_url, consultation_id, public


def test_staff_draft_publish_and_a_resident_takes_part_then_staff_close(app):
    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/consultations/")
    assert "发起议题" in text(admin.get("/staff/consultations/new"))
    with app.app_context():
        household(0)
        data = form()
    refused = admin.post("/staff/consultations/new", data={**data, "title": "", "choices": "", "csrf_token": token})
    assert refused.status_code == 422 and "请填写标题" in text(refused) and "请至少填写一个赞成类选项" in text(refused)
    made = admin.post("/staff/consultations/new", data={**data, "csrf_token": token})
    assert made.status_code == 303
    detail_url = made.headers["Location"]
    consultation_id = int(detail_url.rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        public = f"/c/{db.session.get(Consultation, consultation_id).token}"
    assert app.test_client().get(public).status_code == 404  # a draft is nobody's yet
    assert admin.post(f"{detail_url}/publish", data={"csrf_token": token}).status_code == 303
    page = text(admin.get(detail_url))
    assert 'id="turnout"' in page and "已投票：0 户（共 1 户）" in page

    resident = app.test_client()
    page = text(resident.get(public))
    assert "是否同意加装电梯" in page and "三分之二" not in page and "2/3" in page and 'id="code-form"' in page
    resident_token = csrf_token(resident, public)
    sent = resident.post(f"{public}/code", data={"mobile": "139 0000 0001", "csrf_token": resident_token})
    assert sent.status_code == 303 and "sent=1" in sent.headers["Location"]
    with app.app_context():
        code = code_sent_to(db.session.get(Consultation, consultation_id))
    wrong = resident.post(f"{public}/verify", data={"code": "000000" if code != "000000" else "111111",
                                                    "csrf_token": resident_token})
    assert wrong.status_code == 422 and "验证码错误、已使用或已过期" in text(wrong)
    assert resident.post(f"{public}/verify", data={"code": code, "csrf_token": resident_token}).status_code == 303
    page = text(resident.get(public))
    assert "您代表 1号楼 赵*妈 户参与" in page and 'id="comment-form"' in page
    assert resident.post(f"{public}/comments", data={"body": "支持！", "csrf_token": resident_token}).status_code == 303
    assert "1号楼 赵*妈" in text(resident.get(public))
    # staff hide it with the reason residents read, and answer
    with app.app_context():
        from kiosk_app.models import Comment

        comment_id = db.session.scalar(db.select(Comment.id).filter_by(consultation_id=consultation_id))
    assert admin.post(f"{detail_url}/comments/{comment_id}/hide", data={"reason": "含个人信息", "csrf_token": token}
                      ).status_code == 303
    assert admin.post(f"{detail_url}/answer", data={"body": "费用明细将于下周公示。", "csrf_token": token}).status_code == 303
    page = text(resident.get(public))
    assert "已被工作人员隐藏：含个人信息" in page and "支持！" not in page and "社区答复" in page

    with app.app_context():
        move_to(db.session.get(Consultation, consultation_id), Phase.VOTING)
        against = db.session.get(Consultation, consultation_id).options[1].id
    assert resident.post(f"{public}/vote", data={"option": str(against), "csrf_token": resident_token}).status_code == 303
    assert "您户已投票：不同意" in text(resident.get(public))
    staff_page = text(admin.get(detail_url))
    assert "已投票：1 户（共 1 户）" in staff_page and "不同意" not in staff_page.split('id="turnout"')[1].split("</p>")[0]
    assert "您户已投票" not in text(app.test_client().get(public))  # another device: nobody's vote

    with app.app_context():
        move_to(db.session.get(Consultation, consultation_id), Phase.COUNTING)
    assert admin.post(f"{detail_url}/close", data={"csrf_token": token}).status_code == 303
    page = text(app.test_client().get(public))
    assert 'id="outcome"' in page and "1 户中有 1 户投票" in page and "未通过" in page
    notice = text(admin.get(f"{detail_url}/notice"))
    assert "表决结果公示" in notice and "未通过" in notice
    figures = re.sub(r">\s+<", "><", text(admin.get("/staff/consultations/")).split('id="consultation-figures"')[1])
    assert "<td>红旗路社区</td><td>1</td><td>0</td><td>1</td><td>0</td><td>100%</td>" in figures


def test_the_notice_carries_the_qr_of_the_residents_page(app):
    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/consultations/")
    with app.app_context():
        data = form()
    made = admin.post("/staff/consultations/new", data={**data, "csrf_token": token})
    admin.post(f"{made.headers['Location']}/publish", data={"csrf_token": token})
    notice = text(admin.get(f"{made.headers['Location']}/notice"))
    assert "居民议事公示" in notice and '<svg class="qr"' in notice and "/c/" in notice


def test_who_reaches_the_back_office_pages(app):
    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/consultations/")
    with app.app_context():
        data = form()
    detail_url = admin.post("/staff/consultations/new", data={**data, "csrf_token": token}).headers["Location"]
    assert sign_in(app, "grid-hq1").get("/staff/consultations/").status_code == 403
    assert sign_in(app, "staff-xj").get(detail_url).status_code == 404
    assert sign_in(app, "staff-hq").get(detail_url).status_code == 200
    assert app.test_client().get("/c/not-a-token").status_code == 404
    assert admin.post(f"{detail_url}/publish").status_code == 400  # no CSRF token


def test_a_household_votes_at_the_communitys_kiosk_with_a_members_id_number(app):
    from ..web.test_terminal import enrolled

    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/consultations/")
    with app.app_context():
        from kiosk_app.services import archive

        from ..helpers import staff

        archive.create_household(staff("admin-hq"), building_of("HQ", 0).id, {
            "unit": "1", "room": "201", "name": "钱大伯", "id_number": "11010519491231002X", "mobile": "13900000007", "tags": [],
            "basis": "consent", "basis_on": "2026-11-01"})
        data = form()
    detail_url = admin.post("/staff/consultations/new", data={**data, "csrf_token": token}).headers["Location"]
    admin.post(f"{detail_url}/publish", data={"csrf_token": token})
    consultation_id = int(detail_url.rsplit("/", 1)[1])
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        move_to(consultation, Phase.VOTING)
        public, agree = f"/c/{consultation.token}", consultation.options[0].id
    kiosk = enrolled(app, "HQ-K1")
    listing = text(kiosk.get("/kiosk/consultations"))
    assert "3号楼加装电梯" in listing and "居民议事" in text(kiosk.get("/kiosk/"))
    page = text(kiosk.get(public))
    assert 'id="kiosk-vote-form"' in page
    assert 'id="kiosk-vote-form"' not in text(app.test_client().get(public))  # a phone: by a texted code only
    kiosk_token = csrf_token(kiosk, public)
    refused = kiosk.post(f"{public}/kiosk-vote", data={"id_number": "110105194912310021", "option": str(agree),
                                                       "csrf_token": kiosk_token})
    assert refused.status_code == 422 and "110105194912310021" not in text(refused)
    done = kiosk.post(f"{public}/kiosk-vote", data={"id_number": "11010519491231002X", "option": str(agree),
                                                    "csrf_token": kiosk_token})
    assert done.status_code == 303
    page = text(kiosk.get(done.headers["Location"]))
    assert "您户的投票已记录" in page and "您户已投票" not in page  # nothing stays on the shared kiosk
    with app.app_context():
        from kiosk_app.models import Vote

        [vote] = db.session.scalars(db.select(Vote).filter_by(consultation_id=consultation_id))
        assert vote.channel == "kiosk"
        [told] = db.session.scalars(db.select(Notification).filter_by(consultation_id=consultation_id))
        assert told.kind == "kiosk_vote" and "自助终端" in told.body  # someone else's vote does not go unnoticed
    phone = app.test_client()  # a kiosk vote needs a kiosk of the community
    assert phone.post(f"{public}/kiosk-vote", data={"id_number": "11010519491231002X", "option": str(agree),
                                                    "csrf_token": csrf_token(phone, public)}).status_code == 422


def test_a_shared_kiosk_never_keeps_a_household_and_a_phone_forgets_it_on_reset(app):
    from ..web.test_terminal import enrolled

    admin, token, detail_url, consultation_id, public = opened(app)
    kiosk = enrolled(app, "HQ-K1")
    page = text(kiosk.get(public))
    assert 'id="code-form"' not in page and 'id="comment-form"' not in page
    refused = kiosk.post(f"{public}/code", data={"mobile": "13900000001", "csrf_token": csrf_token(kiosk, public)})
    assert refused.status_code == 422 and "身份证" in text(refused)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Notification.id)).filter_by(consultation_id=consultation_id)) == 0
    phone = app.test_client()
    phone_token = csrf_token(phone, public)
    phone.post(f"{public}/code", data={"mobile": "13900000001", "csrf_token": phone_token})
    with app.app_context():
        code = code_sent_to(db.session.get(Consultation, consultation_id))
    phone.post(f"{public}/verify", data={"code": code, "csrf_token": phone_token})
    assert "您代表" in text(phone.get(public))
    with phone.session_transaction() as held:
        assert "13900000001" not in str(dict(held))  # the number's digest, not the number
    phone.post("/kiosk/reset", data={"csrf_token": phone_token})
    assert "您代表" not in text(phone.get(public))


def test_a_registered_number_and_another_get_the_same_answer(app):
    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/consultations/")
    with app.app_context():
        household(0)
        data = form()
    detail_url = admin.post("/staff/consultations/new", data={**data, "csrf_token": token}).headers["Location"]
    admin.post(f"{detail_url}/publish", data={"csrf_token": token})
    with app.app_context():
        public = f"/c/{db.session.get(Consultation, int(detail_url.rsplit('/', 1)[1])).token}"
    answers = []
    for mobile in ("13900000001", "13800009999"):
        resident = app.test_client()
        sent = resident.post(f"{public}/code", data={"mobile": mobile, "csrf_token": csrf_token(resident, public)})
        answers.append((sent.status_code, sent.headers["Location"], text(resident.get(sent.headers["Location"]))
                        .replace(mobile, "")))
    assert answers[0][:2] == answers[1][:2] and 'id="code-sent"' in answers[1][2]
    strip = lambda page: re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", page)  # noqa: E731
    assert strip(answers[0][2]) == strip(answers[1][2])


def test_an_adopted_matter_is_carried_out_as_tasks_residents_follow(app):
    from kiosk_app.services import carrying_out

    admin, token, detail_url, consultation_id, public = opened(app)
    task = {"title": "请电梯公司现场勘测", "owner_kind": "organisation", "owner": "某某电梯公司", "due_on": "2027-01-15",
            "csrf_token": token}
    refused = admin.post(f"{detail_url}/tasks", data=task)
    assert refused.status_code == 422  # nothing adopted yet
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        move_to(consultation, Phase.VOTING)
        from kiosk_app.services import voting

        from ..integration.test_consultations import verified

        voting.cast(consultation, verified(consultation), consultation.options[0].id)
        move_to(consultation, Phase.COUNTING)
        public = f"/c/{consultation.token}"
    admin.post(f"{detail_url}/close", data={"csrf_token": token})
    bad = admin.post(f"{detail_url}/tasks", data={**task, "title": "", "due_on": "someday"})
    assert bad.status_code == 422 and "请说明要做什么" in text(bad) and "2026-03-01" in text(bad)
    assert admin.post(f"{detail_url}/tasks", data=task).status_code == 303
    page = text(app.test_client().get(public))
    assert "请电梯公司现场勘测" in page and "某某电梯公司" in page and "计划中" in page
    with app.app_context():
        from kiosk_app.models import ConsultationTask

        task_id = db.session.scalar(db.select(ConsultationTask.id))
    done = admin.post(f"{detail_url}/tasks/{task_id}", data={"state": "done", "progress": "已勘测，方案见公示栏。",
                                                              "csrf_token": token})
    assert done.status_code == 303
    page = text(app.test_client().get(public))
    assert "已勘测，方案见公示栏。" in page and "完成" in page
    with app.app_context():
        assert carrying_out.carried_out(db.session.get(Consultation, consultation_id))
    elsewhere = sign_in(app, "staff-xj")
    assert elsewhere.post(f"{detail_url}/tasks/{task_id}", data={
        "state": "planned", "csrf_token": csrf_token(elsewhere, "/staff/consultations/")}).status_code == 404


def test_households_judge_the_result_and_a_poor_judgement_opens_a_follow_up(app):
    from kiosk_app.models import ConsultationTask, FollowUp

    with app.app_context():
        household(0)
        second = household(0, room="102", mobile="13900000002")  # (judges; it voted on paper)
        consultation, task = adopted_with_task(second)
        public, consultation_id, task_id = f"/c/{consultation.token}", consultation.id, task.id
    resident = app.test_client()
    token = csrf_token(resident, public)
    assert 'id="judge-form"' not in text(resident.get(public))  # not before it is carried out
    admin = sign_in(app, "admin-hq")
    admin.post(f"/staff/consultations/{consultation_id}/tasks/{task_id}",
               data={"state": "done", "progress": "已完工", "csrf_token": csrf_token(admin, "/staff/consultations/")})
    assert resident.post(f"{public}/code", data={"mobile": "13900000002", "csrf_token": token}).status_code == 303
    with app.app_context():
        code = code_sent_to(db.session.get(Consultation, consultation_id))
    resident.post(f"{public}/verify", data={"code": code, "csrf_token": token})
    assert 'id="judge-form"' in text(resident.get(public))
    refused = resident.post(f"{public}/judge", data={"level": "9", "csrf_token": token})
    assert refused.status_code == 422
    assert resident.post(f"{public}/judge", data={"level": "1", "comment": "电梯噪音大", "csrf_token": token}
                         ).status_code == 303
    page = text(resident.get(public))
    assert "已有 1 户参与评价，平均 1.0 分" in page and "您户的评价：非常不满意" in page
    follow_ups = text(admin.get("/staff/follow-ups"))
    assert "3号楼加装电梯" in follow_ups and "居民评价（民评）" in follow_ups
    with app.app_context():
        follow_up = db.session.scalars(db.select(FollowUp).filter_by(consultation_id=consultation_id)).one()
        follow_up_id = follow_up.id
    detail = text(admin.get(f"/staff/follow-ups/{follow_up_id}"))
    assert "电梯噪音大" in detail and 'id="follow-up-household"' in detail
    # the household is satisfied after all: its follow-up closes itself
    resident.post(f"{public}/judge", data={"level": "4", "csrf_token": token})
    with app.app_context():
        assert db.session.get(FollowUp, follow_up_id).closed_reason == "rating_raised"
        assert db.session.scalar(db.select(db.func.count(ConsultationTask.id))) == 1
    closing = admin.post(f"/staff/follow-ups/{follow_up_id}", data={
        "findings": "x", "actions_taken": "y", "csrf_token": csrf_token(admin, "/staff/consultations/")})
    assert closing.status_code == 409  # closed already, by the household's own better judgement


def test_a_household_judges_at_the_kiosk_by_id_card_and_its_mobiles_are_told(app):
    from kiosk_app.models import ConsultationRating
    from kiosk_app.services import archive, carrying_out

    from ..helpers import staff
    from ..web.test_terminal import enrolled

    with app.app_context():
        household(0)
        elder = archive.create_household(staff("admin-hq"), building_of("HQ", 0).id, {
            "unit": "1", "room": "202", "name": "钱大伯", "id_number": "11010519491231002X", "mobile": "13900000007",
            "tags": [], "basis": "consent", "basis_on": "2026-11-01"})
        consultation, task = adopted_with_task(elder, owner_kind="staff")
        public, task_id = f"/c/{consultation.token}", task.id
    kiosk = enrolled(app, "HQ-K1")
    token = csrf_token(kiosk, public)
    early = kiosk.post(f"{public}/judge", data={"id_number": "11010519491231002X", "level": "5", "csrf_token": token})
    assert early.status_code == 422  # not carried out yet: nothing is looked up
    with app.app_context():
        carrying_out.update(staff("admin-hq"), task_id, {"state": "done", "progress": ""})
    done = kiosk.post(f"{public}/judge", data={"id_number": "11010519491231002X", "level": "5", "csrf_token": token})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.scalars(db.select(ConsultationRating.channel)).one() == "kiosk"
        told = db.session.scalars(db.select(Notification).filter_by(kind="kiosk_vote")).one()
        assert "评价" in told.body


def test_a_proposal_follows_its_consultation_on_its_status_page(app):
    from kiosk_app.models import Status, Ticket

    from ..helpers import make_ticket

    with app.app_context():
        household(0)
        ticket = make_ticket(service_code="proposal", details="建议在1号楼加装电梯，方便老人出行。")
        ticket_id, ticket_token = ticket.id, ticket.token
        db.session.commit()
    admin = sign_in(app, "admin-hq")
    token = csrf_token(admin, "/staff/consultations/")
    draft_page = text(admin.get(f"/staff/consultations/new?ticket={ticket_id}"))
    assert 'id="proposal-words"' in draft_page and f'name="ticket" value="{ticket_id}"' in draft_page
    assert 'name="matter"' in draft_page and "方便老人出行" not in draft_page.split('id="f-matter"')[1][:200]
    with app.app_context():
        data = form(ticket=str(ticket_id))
    detail_url = admin.post("/staff/consultations/new", data={**data, "csrf_token": token}).headers["Location"]
    assert admin.post(f"{detail_url}/publish", data={"csrf_token": token}).status_code == 303
    status_page = text(app.test_client().get(f"/t/{ticket_token}"))
    assert "已交由居民议事" in status_page and "/c/" in status_page
    reader = app.test_client()  # the proposal's step in the reader's language
    reader.post("/prefs", data={"csrf_token": csrf_token(reader, f"/t/{ticket_token}"), "lang": "en",
                                "next": f"/t/{ticket_token}"})
    english = text(reader.get(f"/t/{ticket_token}"))
    assert "Put to the residents: “" in english and "已交由居民议事" not in english
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == Status.DISCUSSING
        consultation = db.session.scalar(db.select(Consultation).filter_by(ticket_id=ticket_id))
        move_to(consultation, Phase.VOTING)
        from kiosk_app.services import voting

        from ..integration.test_consultations import verified

        voting.cast(consultation, verified(consultation), consultation.options[0].id)
        move_to(consultation, Phase.COUNTING)
    assert admin.post(f"{detail_url}/close", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == Status.DECIDED
    assert "居民表决通过" in text(app.test_client().get(f"/t/{ticket_token}"))


def test_a_follow_up_of_a_judgement_counts_in_the_figures(app):
    from kiosk_app.models import FollowUp

    from ..helpers import staff

    with app.app_context():
        household(0)
        consultation, _task = adopted_with_task()
        db.session.add(FollowUp(consultation_id=consultation.id, household_id=None,
                                community_id=consultation.community_id, level=1,
                                due_date=local_date_days_ago(3)))
        db.session.commit()
        from kiosk_app.services import figures

        today = local_date_days_ago(0)
        assert figures.figures_page(staff("admin-hq"), None, None, today).follow_ups_overdue == 1
        assert figures.figures_page(staff("grid-hq1"), None, None, today).follow_ups_overdue == 0


def local_date_days_ago(days: int):
    from datetime import timedelta

    from kiosk_app.services.workdays import local_date

    return local_date(utcnow()) - timedelta(days=days)


def test_a_number_in_two_households_files_votes_for_each_one_at_a_time(app):
    from datetime import date

    from kiosk_app.models import Household, Member, Vote

    _admin, _token, _detail_url, consultation_id, public = opened(app)  # flat 1-101 with 13900000001
    with app.app_context():
        first_id = db.session.scalars(db.select(Household.id)).first()
        second = household(0, room="202")  # the same owner's second flat, the same number
        elsewhere = household(0, room="303", mobile="13900000002")  # in the scope, not this number's
        second_id, elsewhere_id = second.id, elsewhere.id
        move_to(db.session.get(Consultation, consultation_id), Phase.VOTING)
        agree, against = (option.id for option in db.session.get(Consultation, consultation_id).options[:2])
    resident = app.test_client()
    resident_token = csrf_token(resident, public)
    resident.post(f"{public}/code", data={"mobile": "13900000001", "csrf_token": resident_token})
    with app.app_context():
        code = code_sent_to(db.session.get(Consultation, consultation_id))
    assert resident.post(f"{public}/verify", data={"code": code, "csrf_token": resident_token}).status_code == 303

    def vote(option: int, household_id: int | None):
        return resident.post(f"{public}/vote", data={"option": str(option), "csrf_token": resident_token,
                                                     **({"household": str(household_id)} if household_id else {})})

    page = text(resident.get(public))
    assert "登记在本议题的 2 户" in page and "1号楼 1-101" in page.split('id="households"')[1].split("</form>")[0]
    assert f'name="household" value="{first_id}"' in page.split('id="vote-form"')[1].split("</form>")[0]
    resident.post("/prefs", data={"csrf_token": resident_token, "lang": "en", "next": public})
    assert "Speak for Building 1 1-202" in text(resident.get(public))  # the flat named in the reader's language
    resident.post("/prefs", data={"csrf_token": resident_token, "lang": "zh_CN", "next": public})
    assert vote(agree, first_id).status_code == 303
    # another household's id, not this number's: nothing changes
    resident.post(f"{public}/household", data={"household": str(elsewhere_id), "csrf_token": resident_token})
    assert "现在代表 1号楼 1-101" in text(resident.get(public))
    resident.post(f"{public}/household", data={"household": str(second_id), "csrf_token": resident_token})
    page = text(resident.get(public))
    assert "现在代表 1号楼 1-202" in page and "您户已投票" not in page  # the second flat has not voted yet
    # a page left open for the first flat (another tab) does not vote for the second, nor does a form without it
    stale = vote(against, first_id)
    assert stale.status_code == 422 and "您现在代表另一户：1号楼 1-202" in text(stale)
    assert vote(against, None).status_code == 422
    assert vote(against, second_id).status_code == 303
    assert "您户已投票：不同意" in text(resident.get(public))
    with app.app_context():
        voted = set(db.session.scalars(db.select(Vote.household_id).filter_by(consultation_id=consultation_id)))
        assert voted == {first_id, second_id}
    resident.post(f"{public}/household", data={"household": str(first_id), "csrf_token": resident_token})
    assert "您户已投票：同意" in text(resident.get(public))  # the first flat's vote stands as it was

    # the first flat's member moves out: the number speaks for the second alone, no choice is offered
    with app.app_context():
        member = db.session.scalars(db.select(Member).filter_by(household_id=first_id)).one()
        member.moved_out = date(2026, 12, 1)
        db.session.commit()
    page = text(resident.get(public))
    assert "现在代表" not in page and 'id="households"' not in page and "您户已投票：不同意" in page


def test_asking_for_a_code_again_too_soon_keeps_the_page_and_the_code_box(app):
    _admin, _token, _detail_url, _consultation_id, public = opened(app)
    resident = app.test_client()
    resident_token = csrf_token(resident, public)
    assert resident.post(f"{public}/code", data={"mobile": "13900000001", "csrf_token": resident_token}).status_code == 303
    again = resident.post(f"{public}/code", data={"mobile": "13900000001", "csrf_token": resident_token})
    page = text(again)
    assert again.status_code == 429 and "秒后可再次获取" in page and 'id="verify-form"' in page and "是否同意加装电梯" in page


def test_another_communitys_kiosk_says_where_to_take_part_instead_of_a_form_it_would_refuse(app):
    from .test_terminal import enrolled

    _admin, _token, _detail_url, consultation_id, public = opened(app)
    with app.app_context():
        move_to(db.session.get(Consultation, consultation_id), Phase.VOTING)
    elsewhere = enrolled(app, "XJ-K1")
    page = text(elsewhere.get(public))
    assert 'id="kiosk-elsewhere"' in page and 'id="kiosk-vote-form"' not in page and 'id="code-form"' not in page
    assert 'id="kiosk-vote-form"' in text(enrolled(app, "HQ-K1").get(public))  # the community's own kiosk

    # judging: the same word, not an empty page
    with app.app_context():
        consultation, task = adopted_with_task()
        public, consultation_id, task_id = f"/c/{consultation.token}", consultation.id, task.id
    admin = sign_in(app, "admin-hq")
    admin.post(f"/staff/consultations/{consultation_id}/tasks/{task_id}",
               data={"state": "done", "progress": "已完工", "csrf_token": csrf_token(admin, "/staff/consultations/")})
    page = text(elsewhere.get(public))
    assert 'id="kiosk-elsewhere"' in page and 'id="judge-form"' not in page
    assert 'id="judge-form"' in text(enrolled(app, "HQ-K1").get(public))


def test_the_tasks_read_right_in_either_language(app):
    """The task form's date is the date it is due by (not the visit log's "by" whom); a task's owner
    is bracketed as the reader's language brackets."""
    with app.app_context():
        household(0)
        consultation, _task = adopted_with_task()
        public, consultation_id = f"/c/{consultation.token}", consultation.id
    admin = sign_in(app, "admin-hq")
    detail = text(admin.get(f"/staff/consultations/{consultation_id}"))
    assert '<label for="f-task-due">完成期限</label>' in detail and "（电梯公司）" in detail
    resident = app.test_client()
    resident.post("/prefs", data={"csrf_token": csrf_token(resident, public), "lang": "en", "next": public})
    english = text(resident.get(public))
    assert "(电梯公司)" in english and "（" not in english.split('id="tasks"')[1]
    assert "Agree, Against, Abstain" in english  # the plain "同意" typed by staff is the translated "Agree"
    assert "同意、不同意、弃权" in text(app.test_client().get(public))
