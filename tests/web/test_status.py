"""Following a ticket: the QR address, the status page, look-up without the QR, health."""

import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from kiosk_app import __version__, create_app
from kiosk_app.extensions import db
from kiosk_app.models import Status, Ticket, TicketEvent, TicketEventKind
from kiosk_app.models.base import utcnow
from kiosk_app.services import cache as kept

from ..helpers import HX, QueryCounter, csrf_token, open_form, valid_form


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def issued(app, resident):
    """A ticket submitted through the pages; returns the ticket page's HTML and the ticket's token."""
    service_id, token, key = open_form(resident, app)
    response = resident.post(f"/kiosk/services/{service_id}/request",
                             data={**valid_form(app), "csrf_token": token, "submission_key": key})
    location = response.headers["Location"]
    return text(resident.get(location)), location.rsplit("/", 1)[1]


def rasterise(svg: str, scale: int = 10) -> Image.Image:
    """Draw the SVG path that qrcode writes (unit squares: M x,y H.. V.. H.. z) onto a bitmap."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        x, y = int(x), int(y)
        draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


def test_the_ticket_qr_decodes_to_the_status_page(app, client, issued):
    page, token = issued
    svg = re.search(r'<svg class="qr".*?</svg>', page, re.S).group(0)
    [result] = zxingcpp.read_barcodes(rasterise(svg))
    assert result.text == f"http://kiosk.test/t/{token}"
    # A phone that scans it (a new browser, no session) lands on this ticket's status page.
    with app.app_context():
        number = db.session.scalar(db.select(Ticket.number))
    response = app.test_client().get(result.text.replace("http://kiosk.test", ""))
    assert response.status_code == 200 and number in text(response)


def test_the_status_page_shows_the_timeline_and_masked_data(client, issued):
    _, token = issued
    response = client.get(f"/t/{token}")
    page = text(response)
    assert response.status_code == 200
    assert 'id="status-label">已提交<' in page
    assert "申请已提交" in page
    assert 'id="masked-name">张*<' in page and 'id="masked-mobile">138****5678<' in page
    assert "张三" not in page and "13812345678" not in page
    assert "红旗路社区" in page and "公共设施报修" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # It refreshes itself while open.
    assert f'hx-get="/t/{token}"' in page and 'hx-trigger="every 30s"' in page


def test_the_status_refresh_returns_the_fragment_alone(client, issued):
    _, token = issued
    response = client.get(f"/t/{token}", headers=HX)
    fragment = text(response)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<section id="ticket-status"')
    assert "<html" not in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_staff_notes_on_the_timeline_show_and_internal_ones_do_not(app, client, issued):
    _, token = issued
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket).filter_by(token=token))
        ticket.events.append(TicketEvent(action=TicketEventKind.ASK_INFO, from_status=Status.SUBMITTED,
                                         to_status=Status.NEEDS_INFO, note="请补充楼道照片", created_at=utcnow()))
        ticket.events.append(TicketEvent(action=TicketEventKind.NOTE, note="内部备注：已电话联系", public=False, created_at=utcnow()))
        ticket.status = Status.NEEDS_INFO
        db.session.commit()
    page = text(client.get(f"/t/{token}"))
    assert "需补充材料" in page and "请补充楼道照片" in page
    assert "内部备注" not in page


def test_the_timeline_is_in_order_and_read_in_one_query(app, client, issued, monkeypatch):
    _, token = issued
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket).filter_by(token=token))
        for action, status, note in (("accept", Status.ACCEPTED, "已受理"), ("start", Status.IN_PROGRESS, "师傅下午到")):
            ticket.events.append(TicketEvent(action=action, from_status=ticket.status, to_status=status, note=note,
                                             created_at=utcnow()))
            ticket.status = status
        db.session.commit()
        engine = db.engine
    app.config["CACHE_SECONDS"] = 60  # as on a running server: the community's row is kept
    # The clock stands still, so the once-a-second read of the cache's stamp cannot fall between
    # the warming request and the one counted (it did on a slow machine).
    monkeypatch.setattr(kept.time, "monotonic", lambda: 1000.0)
    pages = app.extensions["status_pages"]
    kept.forget()
    try:
        client.get(f"/t/{token}?warm=1")  # (through Flask: a query string is never kept)
        before = pages.reads
        with QueryCounter(engine) as queries:
            page = text(client.get(f"/t/{token}"))
        with QueryCounter(engine) as again:
            assert text(client.get(f"/t/{token}")) == page
    finally:
        kept.forget()
    # Newest first: started, accepted, submitted.
    assert page.index("师傅下午到") < page.index("已受理") < page.index("申请已提交")
    assert 'id="status-label">办理中<' in page
    # Rendered: the page's one statement (beside the kept pages' read); then kept: their read alone.
    assert queries.count == 1, queries.statements
    assert again.count == 0 and pages.reads == before + 2


def test_the_status_page_in_english_names_the_service_and_community_in_english(app, client, issued):
    _, token = issued
    client.post("/prefs", data={"csrf_token": csrf_token(client), "lang": "en", "next": "/kiosk/"})
    page = text(client.get(f"/t/{token}"))
    assert "Hongqi Road Community" in page and "Repair of shared facilities" in page


def test_a_final_ticket_stops_the_refresh(app, client, issued):
    _, token = issued
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket).filter_by(token=token))
        ticket.status = Status.CLOSED
        db.session.commit()
    assert "hx-trigger" not in text(client.get(f"/t/{token}"))
    assert client.get(f"/t/{token}", headers=HX).status_code == 286


@pytest.mark.parametrize("token", ["nope", "x" * 65, "x" * 40 + "!", "' OR 1=1 --"])
def test_unknown_tokens_reveal_nothing(client, issued, token):
    response = client.get(f"/t/{token}")
    assert response.status_code == 404
    assert "没有找到该回执。" in text(response)


def lookup(client, number, last4, headers=None):
    return client.post("/t/", data={"csrf_token": csrf_token(client, "/t/"), "number": number, "last4": last4},
                       headers=headers or {})


def test_lookup_with_number_and_last_four_digits(app, client, issued):
    _, token = issued
    with app.app_context():
        number = db.session.scalar(db.select(Ticket.number))
    response = lookup(client, f" {number.lower()} ", "5678")
    assert response.status_code == 303 and response.headers["Location"] == "/t/found"
    page = text(client.get("/t/found"))
    assert number in page and 'id="status-label"' in page and token not in page
    by_htmx = lookup(client, number, "5678", headers=HX)
    assert by_htmx.status_code == 204 and by_htmx.headers["HX-Redirect"] == "/t/found"
    # Another browser holding no successful look-up sees nothing there.
    assert app.test_client().get("/t/found").headers["Location"] == "/t/"


def test_a_lookup_never_hands_out_the_pickup_code_or_the_tickets_link(app, client):
    from .test_terminal import place_result

    token, _number = place_result(app)
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket).filter_by(token=token))
        number, last4 = ticket.number, ticket.resident_mobile[-4:]
    assert 'id="pickup-code"' in text(client.get(f"/t/{token}"))  # the ticket's own link shows it
    stranger = app.test_client()
    found = lookup(stranger, number, last4)
    page = text(stranger.get(found.headers["Location"]))
    assert 'id="result-waiting"' in page and number in page
    assert 'id="pickup-code"' not in page and 'id="open-from-phone"' not in page and token not in page
    assert 'rating-form' not in page


def test_wrong_and_unknown_lookups_get_one_neutral_message(app, client, issued):
    with app.app_context():
        number = db.session.scalar(db.select(Ticket.number))
    wrong_digits = lookup(client, number, "0000")
    unknown_number = lookup(client, "HQ-990101-001", "5678")
    assert wrong_digits.status_code == unknown_number.status_code == 422
    message = "没有与该编号和手机后四位相符的回执，请核对后重试。"
    assert message in text(wrong_digits) and message in text(unknown_number)
    fragment = text(lookup(client, number, "0000", headers=HX))
    assert fragment.lstrip().startswith('<form id="lookup-form"') and message in fragment


def test_lookup_pauses_after_repeated_failures(app, client, issued):
    with app.app_context():
        number = db.session.scalar(db.select(Ticket.number))
    for _ in range(5):
        assert lookup(client, number, "0000").status_code == 422
    paused = lookup(client, number, "5678")
    assert paused.status_code == 429
    assert "尝试次数过多" in text(paused)


def test_healthz_tells_anyone_ok_and_an_admin_the_details(app, client):
    from ..helpers import sign_in

    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}  # nothing of the server
    body = sign_in(app, "admin-hq").get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"] == __version__
    assert body["database_backend"] in ("sqlite", "postgresql")
    assert sign_in(app, "staff-hq").get("/healthz").get_json() == {"status": "ok"}


def test_healthz_says_when_the_database_is_gone():
    # Nothing listens on port 1: the connection is refused at once.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded"}
    with app.app_context():
        db.engine.dispose()


def test_the_resident_rates_a_finished_ticket_on_the_status_page(app, client, issued):
    _, token = issued
    assert 'id="rating"' not in text(client.get(f"/t/{token}"))
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket).filter_by(token=token))
        ticket.status = Status.COMPLETED
        db.session.commit()
    page = text(client.get(f"/t/{token}"))
    assert 'id="rating"' in page and "非常满意" in page and "非常不满意" in page and 'hx-preserve="true"' in page
    form_token = csrf_token(client, f"/t/{token}")
    bad = client.post(f"/t/{token}/rating", data={"csrf_token": form_token, "level": "9"})
    assert bad.status_code == 422 and "请从五个选项中选择一个。" in text(bad)
    done = client.post(f"/t/{token}/rating", data={"csrf_token": form_token, "level": "2", "comment": "太慢"})
    assert done.status_code == 303
    page = text(client.get(f"/t/{token}"))
    assert 'id="current-rating"' in page and "不满意" in page and "太慢" in page
    from kiosk_app.models import FollowUp

    with app.app_context():
        assert db.session.query(FollowUp).count() == 1
    assert client.post(f"/t/{token}/rating", data={"level": "5"}).status_code == 400  # CSRF


def test_admins_follow_up_a_poor_rating(app, client, issued):
    from ..helpers import sign_in

    _, token = issued
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket).filter_by(token=token))
        ticket.status = Status.CLOSED
        db.session.commit()
        ticket_id, number = ticket.id, ticket.number
    client.post(f"/t/{token}/rating", data={"csrf_token": csrf_token(client, f"/t/{token}"), "level": "1"})
    admin = sign_in(app, "admin-hq")
    listing = text(admin.get("/staff/follow-ups"))
    assert number in listing and "非常不满意" in listing
    assert "非常不满意" in text(admin.get(f"/staff/tickets/{ticket_id}"))
    follow_up_url = re.search(r'href="(/staff/follow-ups/\d+)"', listing).group(1)
    page = text(admin.get(follow_up_url))
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = admin.post(follow_up_url, data={"csrf_token": form_token, "findings": "", "actions_taken": ""})
    assert refused.status_code == 422
    closed = admin.post(follow_up_url, data={"csrf_token": form_token, "findings": "已电话回访",
                                             "actions_taken": "已道歉并改进"})
    assert closed.status_code == 303
    assert "已电话回访" in text(admin.get(follow_up_url))
    assert sign_in(app, "staff-hq").get("/staff/follow-ups").status_code == 403
