"""The back office pages: sign-in, queue, ticket, actions, scope by id, CSRF, export, counter, figures."""

import html
import csv
import io
import re
import time

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Channel, Status, Ticket
from kiosk_app.web.auth import SEEN_KEY

from ..helpers import HX, KEY_RE, CSRF_RE, STAFF_PASSWORD, csrf_token, make_ticket, sign_in, staff, valid_form


def text(response) -> str:
    return response.get_data(as_text=True)


def token_of(client, url):
    return CSRF_RE.search(text(client.get(url))).group(1)


# ---------------------------------------------------------------- signing in

def test_the_back_office_asks_for_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    page = text(client.get(response.headers["Location"]))
    assert "工作人员登录" in page and "请先登录。" in page


def test_signing_in_lands_on_the_queue(app):
    client = sign_in(app, "staff-hq")
    page = text(client.get("/staff/"))
    assert "工单队列" in page and "王社工" in page and "社区工作人员" in page


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(app, client):
    token = csrf_token(client, "/staff/login")
    good = client.post("/staff/login?next=/staff/figures",
                       data={"csrf_token": token, "username": "staff-hq", "password": STAFF_PASSWORD})
    assert good.headers["Location"] == "/staff/figures"
    other = app.test_client()
    token = csrf_token(other, "/staff/login")
    bad = other.post("/staff/login?next=//evil.example/",
                     data={"csrf_token": token, "username": "staff-hq", "password": STAFF_PASSWORD})
    assert bad.headers["Location"] == "/staff/"


def test_wrong_passwords_then_a_clear_lockout_message(client):
    token = csrf_token(client, "/staff/login")
    for _ in range(4):
        response = client.post("/staff/login", data={"csrf_token": token, "username": "staff-hq", "password": "no"})
        assert response.status_code == 401 and "用户名或密码错误。" in text(response)
    response = client.post("/staff/login", data={"csrf_token": token, "username": "staff-hq", "password": "no"})
    assert "密码连续错误5次，账号已锁定15分钟" in text(response)
    response = client.post("/staff/login",
                           data={"csrf_token": token, "username": "staff-hq", "password": STAFF_PASSWORD})
    assert response.status_code == 429 and "已锁定" in text(response)


def test_an_idle_session_expires(app):
    client = sign_in(app, "staff-hq")
    with client.session_transaction() as session:
        session[SEEN_KEY] = int(time.time()) - 31 * 60
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert "由于长时间未操作，您已自动退出登录。" in text(client.get("/staff/login"))
    assert client.get("/staff/").status_code == 302


def test_background_refreshes_do_not_keep_a_session_alive(app):
    client = sign_in(app, "staff-hq")
    stale = int(time.time()) - 20 * 60
    with client.session_transaction() as session:
        session[SEEN_KEY] = stale
    client.get("/staff/", headers={**HX, "X-Background": "1"})
    with client.session_transaction() as session:
        assert session[SEEN_KEY] == stale
    client.get("/staff/")
    with client.session_transaction() as session:
        assert session[SEEN_KEY] > stale


def test_changing_the_password_signs_out_every_session(app):
    desk, phone = sign_in(app, "staff-hq"), sign_in(app, "staff-hq")
    token = token_of(desk, "/staff/password")
    response = desk.post("/staff/password", data={"csrf_token": token, "current": STAFF_PASSWORD,
                                                  "new": "another-long-password", "repeat": "another-long-password"})
    assert response.status_code == 303
    assert phone.get("/staff/").status_code == 302
    assert desk.get("/staff/").status_code == 302
    sign_in(app, "staff-hq", "another-long-password")


def test_a_wrong_current_password_is_said_next_to_the_field(app):
    client = sign_in(app, "staff-hq")
    response = client.post("/staff/password", data={"csrf_token": token_of(client, "/staff/password"),
                                                    "current": "nope", "new": "x" * 12, "repeat": "x" * 12})
    assert response.status_code == 422 and "当前密码不正确。" in text(response)


def test_sign_out(app):
    client = sign_in(app, "staff-hq")
    response = client.post("/staff/logout", data={"csrf_token": token_of(client, "/staff/")})
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 302


# ---------------------------------------------------------------- the queue

def test_the_queue_page_and_its_refresh_fragment(app):
    with app.app_context():
        number = make_ticket().number
    client = sign_in(app, "staff-hq")
    page = text(client.get("/staff/"))
    assert page.startswith("<!doctype html>") and number in page
    assert 'class="badge new"' in page
    assert 'hx-trigger="every 30s"' in page and '"X-Background": "1"' in page
    fragment = client.get("/staff/?status=all", headers=HX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    body = text(fragment)
    assert body.lstrip().startswith('<div id="queue-results"') and "<html" not in body
    assert 'hx-get="/staff/?status=all"' in body  # the refresh keeps the filters


def test_the_navigation_counts_overdue_and_due_today(app):
    from datetime import timedelta

    from kiosk_app.models.base import utcnow
    from kiosk_app.services.workdays import local_date

    today = local_date(utcnow())
    with app.app_context():
        make_ticket(due_date=today - timedelta(days=1))
        make_ticket(due_date=today)
        make_ticket(due_date=today)
    page = text(sign_in(app, "staff-hq").get("/staff/figures"))
    assert re.search(r'id="nav-overdue">\s*已逾期 <span class="count bad">1</span>', page)
    assert re.search(r'id="nav-due-today">\s*今日到期 <span class="count warn">2</span>', page)


def test_names_in_the_queue_are_masked(app):
    with app.app_context():
        make_ticket(name="欧阳娜娜", mobile="13912345678")
    page = text(sign_in(app, "admin-hq").get("/staff/"))
    assert "欧**娜" in page and "欧阳娜娜" not in page and "13912345678" not in page


@pytest.mark.parametrize("args", ["status=bogus", "page=-3", "service=abc", "page=99999999999", "overdue=yes",
                                  "status=all&page=3&after=abc", "page=2&before=2026-02-30.5",
                                  "after=2026-01-01.1&before=7", "status=closed&after=1%27%20OR%201=1"])
def test_odd_filters_are_ignored_not_errors(app, args):
    assert sign_in(app, "staff-hq").get(f"/staff/?{args}").status_code == 200


# ---------------------------------------------------------------- scope: another community's things by id

@pytest.fixture
def xj_ticket(app):
    with app.app_context():
        ticket = make_ticket("XJ")
        return ticket.id, ticket.grid_id, ticket.version


@pytest.mark.parametrize("username", ["staff-hq", "admin-hq", "grid-hq1", "volunteer-hq"])
def test_another_communitys_ticket_is_404_everywhere(app, xj_ticket, username):
    ticket_id, grid_id, version = xj_ticket
    client = sign_in(app, username)
    token = token_of(client, "/staff/")
    assert client.get(f"/staff/tickets/{ticket_id}").status_code == 404
    assert client.post(f"/staff/tickets/{ticket_id}/accept",
                       data={"csrf_token": token, "version": version}).status_code == 404
    assert client.post(f"/staff/tickets/{ticket_id}/reveal", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/staff/?grid={grid_id}").status_code == 404
    assert client.get(f"/staff/export.csv?grid={grid_id}").status_code == 404
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == Status.SUBMITTED


def test_a_volunteer_gets_404_for_a_non_eligible_ticket(app):
    with app.app_context():
        repair = make_ticket(service_code="facility-repair")
        visit = make_ticket(service_code="home-visit")
        repair_id, visit_id = repair.id, visit.id
    client = sign_in(app, "volunteer-hq")
    assert client.get(f"/staff/tickets/{repair_id}").status_code == 404
    assert client.get(f"/staff/tickets/{visit_id}").status_code == 200
    page = text(client.get("/staff/"))
    assert "居家养老上门服务预约" in page and "公共设施报修</td>" not in page


def test_the_district_admin_sees_every_community(app, xj_ticket):
    client = sign_in(app, "admin-district")
    assert client.get(f"/staff/tickets/{xj_ticket[0]}").status_code == 200


# ---------------------------------------------------------------- a ticket and its actions

@pytest.fixture
def hq_ticket(app):
    with app.app_context():
        ticket = make_ticket(name="张三", mobile="13812345678")
        return ticket.id


def test_the_ticket_page_shows_details_masked_and_the_allowed_actions(app, hq_ticket):
    client = sign_in(app, "staff-hq")
    page = text(client.get(f"/staff/tickets/{hq_ticket}"))
    assert 'id="resident-name">张*<' in page and 'id="resident-mobile">138****5678<' in page
    assert 'data-action="accept"' in page and 'data-action="reject"' in page and 'data-action="note"' in page
    assert 'data-action="start"' not in page and 'data-action="reassign"' not in page
    with app.app_context():
        assert db.session.get(Ticket, hq_ticket).opened_at is not None  # no longer "new"


def test_showing_personal_data_is_recorded(app, hq_ticket):
    client = sign_in(app, "staff-hq")
    token = token_of(client, f"/staff/tickets/{hq_ticket}")
    fragment = text(client.post(f"/staff/tickets/{hq_ticket}/reveal", data={"csrf_token": token}, headers=HX))
    assert fragment.lstrip().startswith('<section id="ticket-panel"')
    assert 'id="resident-name">张三<' in fragment and 'id="resident-mobile">13812345678<' in fragment
    assert "查看了个人信息" in fragment
    assert "13812345678" not in text(client.get(f"/staff/tickets/{hq_ticket}"))


def act(client, ticket_id, action, *, headers=None, **data):
    page = text(client.get(f"/staff/tickets/{ticket_id}"))
    version = re.search(r'name="version" value="(\d+)"', page).group(1) if 'name="version"' in page else "1"
    form = {"csrf_token": CSRF_RE.search(page).group(1), "version": version, **data}
    return client.post(f"/staff/tickets/{ticket_id}/{action}", data=form, headers=headers or {})


def test_accept_start_ask_resume_complete_through_the_pages(app, hq_ticket, client):
    staff_client = sign_in(app, "staff-hq")
    response = act(staff_client, hq_ticket, "accept", headers=HX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "ticket-changed"
    assert 'id="ticket-status">已受理<' in text(response) and 'id="ticket-assignee">王社工<' in text(response)
    assert act(staff_client, hq_ticket, "start").status_code == 303  # plain form post
    act(staff_client, hq_ticket, "ask_info", note="请补充楼道照片")
    with app.app_context():
        token = db.session.get(Ticket, hq_ticket).token
    resident_view = text(client.get(f"/t/{token}"))
    assert "需补充材料" in resident_view and "请补充楼道照片" in resident_view
    act(staff_client, hq_ticket, "resume")
    act(staff_client, hq_ticket, "note", note="内部：已电话联系")
    act(staff_client, hq_ticket, "complete", note="楼道灯已更换", physical_result="1")
    resident_view = text(client.get(f"/t/{token}"))
    assert "已办理完成" in resident_view and "楼道灯已更换" in resident_view
    assert "内部：已电话联系" not in resident_view
    with app.app_context():
        ticket = db.session.get(Ticket, hq_ticket)
        assert ticket.status == Status.COMPLETED and ticket.physical_result is True


def test_a_reject_without_a_reason_is_refused_next_to_the_field(app, hq_ticket):
    client = sign_in(app, "staff-hq")
    response = act(client, hq_ticket, "reject", note="  ", headers=HX)
    assert response.status_code == 422
    assert re.search(r'id="err-note-reject">请写明原因', text(response))


def test_an_action_the_state_does_not_allow_is_refused_clearly(app, hq_ticket):
    client = sign_in(app, "staff-hq")
    response = act(client, hq_ticket, "complete", note="好了")
    assert response.status_code == 409
    assert 'id="ticket-problem"' in text(response)
    assert "不能执行“办理完成”" in text(response)


def test_an_action_the_role_does_not_allow_is_refused_clearly(app, hq_ticket):
    client = sign_in(app, "staff-hq")
    response = act(client, hq_ticket, "reassign", assignee=str(1))
    assert response.status_code == 409 and "您的角色不能执行此操作：转派" in text(response)


def test_an_unknown_action_is_404(app, hq_ticket):
    client = sign_in(app, "staff-hq")
    assert act(client, hq_ticket, "delete").status_code == 404


def test_a_stale_page_gets_the_fresh_state_and_what_happened(app, hq_ticket):
    first, second = sign_in(app, "staff-hq"), sign_in(app, "admin-hq")
    stale_page = text(second.get(f"/staff/tickets/{hq_ticket}"))
    stale = {"csrf_token": CSRF_RE.search(stale_page).group(1),
             "version": re.search(r'name="version" value="(\d+)"', stale_page).group(1)}
    act(first, hq_ticket, "accept")
    response = second.post(f"/staff/tickets/{hq_ticket}/reject", data={**stale, "note": "重复"}, headers=HX)
    assert response.status_code == 409
    body = text(response)
    assert "其他同事刚刚修改了此工单，当前状态为“已受理”" in body
    assert 'id="ticket-status">已受理<' in body
    with app.app_context():
        assert db.session.get(Ticket, hq_ticket).status == Status.ACCEPTED


def test_admins_reassign(app, hq_ticket):
    client = sign_in(app, "admin-hq")
    with app.app_context():
        worker_id = staff("grid-hq1").id
    response = act(client, hq_ticket, "reassign", assignee=str(worker_id), headers=HX)
    assert response.status_code == 200 and 'id="ticket-assignee">李网格员<' in text(response)


@pytest.mark.parametrize("path", ["/staff/tickets/{id}/accept", "/staff/tickets/{id}/reveal", "/staff/logout",
                                  "/staff/password"])
def test_every_back_office_action_needs_the_csrf_token(app, hq_ticket, path):
    client = sign_in(app, "staff-hq")
    response = client.post(path.format(id=hq_ticket), data={"version": "1", "note": "x"})
    assert response.status_code == 400
    with app.app_context():
        ticket = db.session.get(Ticket, hq_ticket)
        assert ticket.status == Status.SUBMITTED and len(ticket.events) == 1


# ---------------------------------------------------------------- export

def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # BOM for spreadsheet programs
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_is_the_filtered_queue_masked_for_staff(app):
    with app.app_context():
        make_ticket(name="张三", mobile="13812345678")
        make_ticket(service_code="sanitation", name="李四", mobile="13912340000")
        sanitation = db.session.scalar(db.select(Ticket).filter_by(resident_name="李四")).service_id
    response = sign_in(app, "staff-hq").get(f"/staff/export.csv?service={sanitation}")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["回执编号", "服务事项", "状态"]
    assert len(rows) == 2 and rows[1][1] == "环境卫生问题反映"
    assert rows[1][5] == "李*" and rows[1][6] == "139****0000"


def test_export_shows_personal_data_to_admins(app):
    with app.app_context():
        make_ticket(name="张三", mobile="13812345678")
    rows = read_csv(sign_in(app, "admin-hq").get("/staff/export.csv"))
    assert rows[1][5] == "张三" and rows[1][6] == "13812345678"


# ---------------------------------------------------------------- counter entry

def test_staff_enter_a_request_for_a_walk_in_resident(app):
    client = sign_in(app, "staff-hq")
    page = text(client.get("/staff/counter"))
    assert "窗口代录" in page and "公共设施报修" in page
    with app.app_context():
        from ..helpers import service_by_code

        service_id = service_by_code("facility-repair").id
    form_page = text(client.get(f"/staff/counter/{service_id}"))
    token, key = CSRF_RE.search(form_page).group(1), KEY_RE.search(form_page).group(1)
    action = re.search(r'<form id="request-form"[^>]*action="([^"]+)"', form_page).group(1).replace("&amp;", "&")
    bad = client.post(action, data={**valid_form(app, mobile="123"), "csrf_token": token, "submission_key": key})
    assert bad.status_code == 422 and "手机号码应为11位数字。" in text(bad)
    good = client.post(action, data={**valid_form(app), "csrf_token": token, "submission_key": key})
    assert good.status_code == 303 and good.headers["Location"].startswith("/staff/counter/tickets/")
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        assert ticket.channel == Channel.COUNTER
        assert ticket.events[0].actor_staff.username == "staff-hq"
        number, community_id = ticket.number, ticket.community_id
    # The counter's own ticket page: the back office around it, the code to scan, the next resident.
    shown = text(client.get(good.headers["Location"]))
    assert number in shown and 'class="staff-nav' in shown and '<svg class="qr"' in shown
    assert f'href="/staff/counter?community={community_id}" id="next-resident"' in shown
    # Another community's staff do not see it.
    assert sign_in(app, "staff-xj").get(good.headers["Location"]).status_code == 404


def test_counter_entry_cannot_target_another_community(app):
    client = sign_in(app, "staff-hq")
    with app.app_context():
        from ..helpers import community

        xj = community("XJ").id
    response = client.get(f"/staff/counter?community={xj}")
    assert response.status_code == 404 and "请选择您负责的社区。" in text(response)


@pytest.mark.parametrize("path", ["/staff/counter", "/staff/figures"])
def test_volunteers_cannot_open_desk_pages(app, path):
    response = sign_in(app, "volunteer-hq").get(path)
    assert response.status_code == 403 and "您的角色不能使用此页面。" in text(response)


@pytest.mark.parametrize("query", ["from=9999-12-31&to=9999-12-31", "from=0001-01-01", "to=0001-01-01&from=9999-01-01"])
def test_extreme_dates_on_the_figures_page(app, query):
    assert sign_in(app, "admin-hq").get(f"/staff/figures?{query}").status_code == 200


def test_a_next_address_with_a_line_break_is_ignored(client):
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login?next=/staff/%0d%0aX-Evil:%20yes",
                           data={"csrf_token": token, "username": "staff-hq", "password": STAFF_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    assert "X-Evil" not in response.headers


def test_every_export_is_recorded(app):
    from kiosk_app.models import DataExport

    with app.app_context():
        make_ticket()
    sign_in(app, "admin-hq").get("/staff/export.csv?overdue=1")
    sign_in(app, "staff-hq").get("/staff/export.csv")
    with app.app_context():
        records = db.session.scalars(db.select(DataExport).order_by(DataExport.id)).all()
        assert [(r.staff.username, r.filters, r.rows, r.unmasked) for r in records] == [
            ("admin-hq", "overdue=1", 0, True), ("staff-hq", "", 1, False)]


def test_reassign_candidates_take_a_fixed_number_of_queries(app):
    from kiosk_app.models import Role, Staff
    from kiosk_app.services import workflow

    from ..helpers import QueryCounter, community

    with app.app_context():
        ticket = make_ticket()
        hq = community("HQ").id
        for i in range(30):
            db.session.add(Staff(username=f"extra{i}", display_name=f"同事{i}", role=Role.COMMUNITY_STAFF,
                                 area_id=hq, password_hash="x"))
        db.session.commit()
        db.session.expire_all()
        ticket = db.session.get(Ticket, ticket.id)
        _ = ticket.service.volunteer_eligible
        with QueryCounter(db.engine) as queries:
            people = workflow.candidates_for(ticket)
        assert len(people) == 34 and queries.count <= 3


# ---------------------------------------------------------------- figures

def test_the_figures_page(app):
    from kiosk_app.services import ratings

    with app.app_context():
        make_ticket()
        make_ticket(service_code="sanitation")
        ratings.rate(make_ticket(status=Status.CLOSED), 5)
        ratings.rate(make_ticket(status=Status.CLOSED), 2)
    page = text(sign_in(app, "admin-hq").get("/staff/figures"))
    assert 'data-figure="received">4<' in page
    assert 'data-figure="satisfied-share">50.0%<' in page and 'data-figure="poor">1<' in page
    assert '<svg class="chart" id="satisfaction-chart"' in page
    assert "按服务事项" in page and "按网格" in page and "环境卫生问题反映" in page
    assert sign_in(app, "admin-hq").get("/staff/figures?from=garbage&to=2026-13-40").status_code == 200


def test_a_physical_result_to_hand_back_is_said_on_the_ticket_and_listed_until_it_is_in_the_locker(app):
    from kiosk_app.services import locker, terminals

    from ..helpers import completed

    with app.app_context():
        ticket = completed(make_ticket(), physical_result=True)
        ticket_id, number = ticket.id, ticket.number
        plain_number = completed(make_ticket()).number
    desk = sign_in(app, "admin-hq")
    panel = text(desk.get(f"/staff/tickets/{ticket_id}"))
    assert 'id="hand-back"' in panel and "办理结果待交还" in panel
    listed = text(desk.get("/staff/?to_hand_back=1"))
    assert number in listed and plain_number not in listed
    with app.app_context():
        item = locker.start_return(staff("admin-hq"), terminals.get_by_code("HQ-L1"), ticket_id)
        locker.door_closed(item.compartment, actor=staff("admin-hq"))
    assert "办理结果已放入云柜" in text(desk.get(f"/staff/tickets/{ticket_id}"))
    assert number not in text(desk.get("/staff/?to_hand_back=1"))


def test_the_next_link_carries_the_last_tickets_key(app):
    with app.app_context():
        made = [make_ticket().number for _ in range(27)]
    client = sign_in(app, "staff-hq")
    page = text(client.get("/staff/?status=all"))
    link = re.search(r'href="/staff/\?([^"]*after=[^"]*)">下一页', page)
    assert link, "no Next link with a key"
    second = text(client.get("/staff/?" + html.unescape(link.group(1))))
    assert "第 2 / " in second and made[0] in second and made[-1] not in second  # newest first
