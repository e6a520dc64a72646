"""The kiosk and phone pages: catalogue, service, form, ticket; full pages and htmx fragments."""

import re

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Channel, Ticket

from ..helpers import HX, KEY_RE, QueryCounter, building_of, csrf_token, open_form, service_by_code, valid_form


def text(response) -> str:
    return response.get_data(as_text=True)


def test_landing_links_the_kiosk_and_ticket_lookup(client):
    page = text(client.get("/"))
    assert 'href="/kiosk/"' in page and 'href="/t/"' in page
    assert "社区云柜" in page


def test_kiosk_without_a_community_asks_for_one(client):
    page = text(client.get("/kiosk/"))
    assert "请选择您所在的社区" in page
    for name in ("红旗路社区", "新建路社区", "清姜苑社区"):
        assert name in page


def test_kiosk_home_is_chinese_first_with_the_community_and_catalogue(resident):
    response = resident.get("/kiosk/")
    page = text(response)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in page
    assert "红旗路社区" in page
    for category in ("证明与登记", "社会保障", "为老助残", "环境与邻里"):
        assert category in page
    assert "公共设施报修" in page
    assert "不在社区办理，查看去哪里办" in page  # guidance-only items are marked
    assert response.headers["Cache-Control"] == "no-store"


def test_one_tap_to_english_and_back(resident):
    token = csrf_token(resident)
    response = resident.post("/prefs", data={"csrf_token": token, "lang": "en", "next": "/kiosk/"})
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk/"
    page = text(resident.get("/kiosk/"))
    assert '<html lang="en">' in page
    assert "Hongqi Road Community" in page and "Repair of shared facilities" in page
    assert "What can we do for you?" in page
    resident.post("/prefs", data={"csrf_token": token, "lang": "zh_CN", "next": "/kiosk/"})
    assert "请问您要办理什么？" in text(resident.get("/kiosk/"))


def test_large_print_is_one_tap_away(resident):
    assert "large-print" not in text(resident.get("/kiosk/"))
    resident.post("/prefs", data={"csrf_token": csrf_token(resident), "large": "1", "next": "/kiosk/"})
    assert 'class="kiosk large-print"' in text(resident.get("/kiosk/"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_preferences_never_redirect_off_site(resident, target):
    response = resident.post("/prefs", data={"csrf_token": csrf_token(resident), "lang": "en", "next": target})
    assert response.headers["Location"] == "/"


def test_a_service_shows_materials_paperwork_and_time(app, resident):
    with app.app_context():
        service_id = service_by_code("residence-permit").id
    page = text(resident.get(f"/kiosk/services/{service_id}"))
    assert "所需材料" in page and "近期一寸免冠照片两张" in page
    assert "10 个工作日" in page
    assert "需要：可放入云柜格口" in page
    assert "身份证号码" in page
    assert f"/kiosk/services/{service_id}/request" in page


def test_a_guidance_only_item_says_where_to_go_and_offers_no_form(app, resident):
    with app.app_context():
        service_id = service_by_code("no-criminal-record").id
    page = text(resident.get(f"/kiosk/services/{service_id}"))
    assert "此事项不在社区办理" in page and "派出所" in page
    assert "/request" not in page
    form_page = resident.get(f"/kiosk/services/{service_id}/request")
    assert form_page.status_code == 302
    token = csrf_token(resident)
    response = resident.post(f"/kiosk/services/{service_id}/request",
                             data={**valid_form(app), "csrf_token": token})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.query(Ticket).count() == 0


def test_the_form_asks_for_an_id_number_only_where_needed(app, resident):
    with app.app_context():
        plain, with_id = service_by_code("facility-repair").id, service_by_code("residence-permit").id
    assert 'name="id_number"' not in text(resident.get(f"/kiosk/services/{plain}/request"))
    page = text(resident.get(f"/kiosk/services/{with_id}/request"))
    assert 'name="id_number"' in page
    # Buildings of this community only.
    assert "红旗小区A座" in page and "商住楼" not in page


def test_submitting_issues_a_ticket_page_with_number_qr_and_due_date(app, resident):
    service_id, token, key = open_form(resident, app)
    response = resident.post(f"/kiosk/services/{service_id}/request",
                             data={**valid_form(app), "csrf_token": token, "submission_key": key})
    assert response.status_code == 303
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        assert ticket.channel == Channel.PHONE  # not an enrolled kiosk
        number, due = ticket.number, ticket.due_date
    assert response.headers["Location"] == f"/kiosk/tickets/{ticket.token}"
    page = text(resident.get(response.headers["Location"]))
    assert number in page
    assert '<svg class="qr"' in page
    assert f"{due.year}年{due.month}月{due.day}日" in page
    assert "张*" in page and "138****5678" in page and "张三" not in page
    assert "接下来" in page


def test_invalid_form_comes_back_with_messages_next_to_the_fields(app, resident):
    service_id, token, key = open_form(resident, app)
    data = {**valid_form(app, name="", mobile="12345"), "csrf_token": token, "submission_key": key}
    response = resident.post(f"/kiosk/services/{service_id}/request", data=data)
    page = text(response)
    assert response.status_code == 422
    assert page.startswith("<!doctype html>")
    assert re.search(r'id="err-name"[^>]*>请填写姓名。<', page)
    assert re.search(r'id="err-mobile"[^>]*>手机号码应为11位数字。<', page)
    assert 'value="12345"' in page  # nothing typed is lost
    assert f'value="{key}"' in page
    with app.app_context():
        assert db.session.query(Ticket).count() == 0


def test_invalid_form_by_htmx_gets_the_form_fragment_alone(app, resident):
    service_id, token, key = open_form(resident, app)
    data = {**valid_form(app, mobile="1381234567"), "csrf_token": token, "submission_key": key}
    response = resident.post(f"/kiosk/services/{service_id}/request", data=data, headers=HX)
    page = text(response)
    assert response.status_code == 422
    assert page.lstrip().startswith('<form id="request-form"')
    assert "<html" not in page
    assert "手机号码应为11位数字。" in page
    assert "HX-Request" in response.headers["Vary"]


def test_valid_form_by_htmx_navigates_to_the_ticket(app, resident):
    service_id, token, key = open_form(resident, app)
    response = resident.post(f"/kiosk/services/{service_id}/request",
                             data={**valid_form(app), "csrf_token": token, "submission_key": key}, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/kiosk/tickets/")


def test_a_field_is_checked_as_soon_as_it_is_left(app, resident):
    service_id, token, _ = open_form(resident, app, "residence-permit")
    url = f"/kiosk/services/{service_id}/check/id_number"
    response = resident.post(url, data={"csrf_token": token, "id_number": "110105194912310021"}, headers=HX)
    assert response.status_code == 200
    assert text(response).strip() == (
        '<p id="err-id_number" class="field-error" role="alert">身份证号码校验不通过，请逐位核对。</p>'
    )
    ok = resident.post(url, data={"csrf_token": token, "id_number": "11010519491231002X"}, headers=HX)
    assert "hidden" in text(ok) and "身份证" not in text(ok)
    assert resident.post(f"/kiosk/services/{service_id}/check/password",
                         data={"csrf_token": token}, headers=HX).status_code == 404


def test_a_field_check_of_a_form_sent_back_counts_what_is_left_to_put_right(app, resident):
    service_id, token, _ = open_form(resident, app)
    url = f"/kiosk/services/{service_id}/check/name"
    form = {"csrf_token": token, "name": "张三", "mobile": "123", "building": "", "details": "", "summary": "1"}
    answer = text(resident.post(url, data=form, headers=HX))
    assert 'id="error-summary"' in answer and 'hx-swap-oob="true"' in answer and "2 处" in answer
    with app.app_context():
        building = str(building_of("HQ").id)
    fixed = text(resident.post(url, data={**form, "mobile": "13812345678", "building": building}, headers=HX))
    assert re.search(r'<div id="error-summary"[^>]*hidden', fixed)
    # Before the form was sent, a check says nothing of the other fields.
    assert "error-summary" not in text(resident.post(url, data={**form, "summary": ""}, headers=HX))


def test_a_phone_keeps_its_ticket_page_instead_of_scanning_it(app, resident):
    service_id, token, key = open_form(resident, app)
    response = resident.post(f"/kiosk/services/{service_id}/request",
                             data={**valid_form(app), "csrf_token": token, "submission_key": key})
    page = text(resident.get(response.headers["Location"]))
    assert 'id="keep-link"' in page and 'data-share="http://kiosk.test/t/' in page
    assert "没有手机" not in page
    assert '<figure class="qr-box print-only">' in page  # the code is on the printed page only


def test_a_phone_can_choose_another_community(app, resident):
    home = text(resident.get("/kiosk/"))
    assert 'id="change-community"' in home and "不在红旗路社区" in home
    picker = text(resident.get("/kiosk/community"))
    assert "请选择您所在的社区" in picker and "/kiosk/community/XJ" in picker
    resident.get("/kiosk/community/XJ")
    assert "不在新建路社区" in text(resident.get("/kiosk/"))


def test_the_site_has_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert 'rel="icon"' in text(client.get("/kiosk/"))


def test_errors_follow_the_chosen_language(app, resident):
    token = csrf_token(resident)
    resident.post("/prefs", data={"csrf_token": token, "lang": "en", "next": "/kiosk/"})
    service_id, token, key = open_form(resident, app)
    page = text(resident.post(f"/kiosk/services/{service_id}/request",
                              data={**valid_form(app, mobile="2"), "csrf_token": token, "submission_key": key}))
    assert "A mobile number has 11 digits." in page


def test_a_resent_form_makes_one_ticket(app, resident):
    service_id, token, key = open_form(resident, app)
    data = {**valid_form(app), "csrf_token": token, "submission_key": key}
    first = resident.post(f"/kiosk/services/{service_id}/request", data=data)
    second = resident.post(f"/kiosk/services/{service_id}/request", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.query(Ticket).count() == 1


def test_each_opened_form_gets_its_own_submission_key(app, resident):
    _, _, first = open_form(resident, app)
    _, _, second = open_form(resident, app)
    assert first and second and first != second


def test_forms_without_csrf_token_are_refused(app, resident):
    service_id, _, key = open_form(resident, app)
    response = resident.post(f"/kiosk/services/{service_id}/request", data={**valid_form(app), "submission_key": key})
    assert response.status_code == 400
    assert "页面已过期" in text(response)
    with app.app_context():
        assert db.session.query(Ticket).count() == 0
    assert resident.post("/prefs", data={"lang": "en"}).status_code == 400
    assert resident.post("/t/", data={"number": "x", "last4": "1234"}).status_code == 400


def test_a_40kb_details_field_gets_a_clear_message(app, resident):
    service_id, token, key = open_form(resident, app)
    data = {**valid_form(app, details="楼" * 40_000), "csrf_token": token, "submission_key": key}
    response = resident.post(f"/kiosk/services/{service_id}/request", data=data)
    assert response.status_code == 422
    assert "情况说明最多 2000 字（您填写了 40000 字）。" in text(response)


def test_a_request_larger_than_a_megabyte_gets_a_clear_page(app, resident):
    service_id, token, key = open_form(resident, app)
    data = {**valid_form(app, details="x" * 2_000_000), "csrf_token": token, "submission_key": key}
    response = resident.post(f"/kiosk/services/{service_id}/request", data=data)
    assert response.status_code == 413
    assert "提交的内容过长" in text(response)


@pytest.mark.parametrize("url", ["/kiosk/services/99999", "/kiosk/services/99999/request",
                                 "/kiosk/services/99999999999999999999999"])
def test_an_unknown_service_gets_a_clear_message(resident, url):
    response = resident.get(url)
    assert response.status_code == 404
    assert "该服务事项不存在或已停止办理。" in text(response)


def test_posting_to_an_unknown_service_gets_a_clear_message(app, resident):
    token = csrf_token(resident)
    response = resident.post("/kiosk/services/99999/request", data={**valid_form(app), "csrf_token": token})
    assert response.status_code == 404
    assert "该服务事项不存在" in text(response)


@pytest.mark.parametrize("building", ["abc", "-1", "1.5", "", "99999999999999999999"])
def test_malformed_building_ids_are_a_field_message(app, resident, building):
    service_id, token, key = open_form(resident, app)
    data = {**valid_form(app, building=building), "csrf_token": token, "submission_key": key}
    response = resident.post(f"/kiosk/services/{service_id}/request", data=data)
    assert response.status_code == 422
    assert "请从列表中选择您所在的楼栋。" in text(response)


def test_unknown_addresses_get_a_page_in_chinese(client):
    response = client.get("/kiosk/nowhere")
    assert response.status_code == 404 and "没有找到该页面。" in text(response)


def test_a_community_code_that_does_not_exist(client):
    response = client.get("/kiosk/community/ZZ")
    assert response.status_code == 404 and "没有找到该社区。" in text(response)


def test_the_form_page_keeps_its_key_across_an_invalid_submit(app, resident):
    service_id, token, key = open_form(resident, app)
    page = text(resident.post(f"/kiosk/services/{service_id}/request",
                              data={**valid_form(app, name=""), "csrf_token": token, "submission_key": key}))
    assert KEY_RE.search(page).group(1) == key


@pytest.mark.parametrize("field", ["name", "mobile", "details", "submission_key", "building"])
def test_a_nul_character_anywhere_is_refused_cleanly(app, resident, field):
    service_id, token, key = open_form(resident, app)
    data = {**valid_form(app), "csrf_token": token, "submission_key": key}
    data[field] = data[field] + "\x00"
    response = resident.post(f"/kiosk/services/{service_id}/request", data=data)
    assert response.status_code == 400
    assert "无法识别此次请求" in text(response)
    with app.app_context():
        assert db.session.query(Ticket).count() == 0


def test_a_nul_character_in_an_address_is_refused_cleanly(client):
    assert client.get("/kiosk/community/H%00Q").status_code == 400


def test_the_kiosk_home_runs_a_fixed_number_of_queries(app, resident):
    # Community (from the session) + categories + their services; no query per tile.  (With reference
    # data kept, a worker also reads the catalogue's version stamp, at most once a CACHE_CHECK_SECONDS.)
    with app.app_context():
        engine = db.engine
    with QueryCounter(engine) as queries:
        assert resident.get("/kiosk/").status_code == 200
    reads = [s for s in queries.statements if "cache_versions" not in s]
    assert len(reads) <= 3, reads


def test_a_refused_action_by_htmx_gets_the_message_fragment(app, resident):
    with app.app_context():
        service_id = service_by_code("kinship-proof").id
    response = resident.post(f"/kiosk/services/{service_id}/request",
                             data={**valid_form(app), "csrf_token": csrf_token(resident)}, headers=HX)
    assert response.status_code == 409
    fragment = text(response)
    assert fragment.lstrip().startswith('<section id="error"')
    assert "此事项不在社区办理，请查看办理地点。" in fragment


def test_the_catalogue_is_kept_for_a_while_per_language_then_shows_changes(app, resident, monkeypatch):
    from kiosk_app.models import Service
    from kiosk_app.services import cache as kept

    app.config["CACHE_SECONDS"] = 60
    kept.forget()
    clock = [1000.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock[0])
    assert "公共设施报修" in resident.get("/kiosk/").get_data(as_text=True)
    with app.app_context():
        service = db.session.scalar(db.select(Service).filter_by(code="facility-repair"))
        service.name_zh, service.name_en = "公共设施维修", "Repairs of shared facilities"
        db.session.commit()
    assert "公共设施报修" in resident.get("/kiosk/").get_data(as_text=True)  # kept
    token = resident.get("/kiosk/").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    resident.post("/prefs", data={"csrf_token": token, "lang": "en", "next": "/kiosk/"})
    assert "Repairs of shared facilities" in resident.get("/kiosk/").get_data(as_text=True)  # each language its own
    clock[0] += 61
    resident.post("/prefs", data={"csrf_token": token, "lang": "zh_CN", "next": "/kiosk/"})
    assert "公共设施维修" in resident.get("/kiosk/").get_data(as_text=True)  # after the time, the change shows
    kept.forget()


def test_reference_data_is_kept_per_worker_as_plain_values(app, resident, monkeypatch):
    """Communities, services and buildings are read once a minute, not on every tap; what a request
    gets is a plain immutable value, the same whether it was kept or read just now."""
    import dataclasses

    from kiosk_app.models import Building
    from kiosk_app.services import cache as kept
    from kiosk_app.services import catalogue

    app.config["CACHE_SECONDS"] = 60
    kept.forget()
    clock = [1000.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock[0])
    service_id, token, key = open_form(resident, app)  # fills the cache
    with app.app_context():
        counter = QueryCounter(db.engine)
        with counter, app.test_request_context():
            community = catalogue.get_community_by_id(catalogue.get_community("HQ").id)
            buildings = catalogue.buildings(community)
            service = catalogue.get_service(service_id)
            assert service.category.name  # what it belongs to comes with it
            with pytest.raises(dataclasses.FrozenInstanceError):
                service.name_zh = "changed by one request for every other"
        assert counter.count == 1  # only get_community by code; the rest came from the cache
        building = db.session.get(Building, buildings[0].id)
        building.name_zh = "1号楼（新）"
        db.session.commit()
    assert "1号楼（新）" not in resident.get(f"/kiosk/services/{service_id}/request").get_data(as_text=True)
    clock[0] += 61
    assert "1号楼（新）" in resident.get(f"/kiosk/services/{service_id}/request").get_data(as_text=True)
    response = resident.post(f"/kiosk/services/{service_id}/request",
                             data={**valid_form(app), "csrf_token": token, "submission_key": key})
    assert response.status_code == 303  # a submission with kept values works
    app.config["CACHE_SECONDS"] = 0
    with app.app_context(), app.test_request_context():
        assert type(catalogue.get_service(service_id)) is type(service)  # the same kind of value, not kept
    kept.forget()


def test_a_change_through_a_use_case_shows_at_once_here_and_within_a_second_elsewhere(app, resident, monkeypatch):
    from kiosk_app.models import Building, CacheVersion
    from kiosk_app.services import cache as kept
    from kiosk_app.services.uow import unit_of_work

    app.config["CACHE_SECONDS"] = 60
    kept.forget()
    clock = [1000.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock[0])
    service_id, _token, _key = open_form(resident, app)  # fills the cache
    with app.app_context(), unit_of_work():  # an administrator's change on this server
        db.session.scalars(db.select(Building)).first().name_zh = "1号楼（改）"
        kept.changed()
    assert "1号楼（改）" in resident.get(f"/kiosk/services/{service_id}/request").get_data(as_text=True)
    with app.app_context():  # another server's change: it bumps the stamp in the database
        db.session.scalars(db.select(Building)).first().name_zh = "1号楼（别处改）"
        db.session.execute(db.update(CacheVersion).values(stamp=CacheVersion.stamp + 1))
        db.session.commit()
    assert "1号楼（别处改）" not in resident.get(f"/kiosk/services/{service_id}/request").get_data(as_text=True)
    clock[0] += app.config["CACHE_CHECK_SECONDS"]
    assert "1号楼（别处改）" in resident.get(f"/kiosk/services/{service_id}/request").get_data(as_text=True)
    kept.forget()
