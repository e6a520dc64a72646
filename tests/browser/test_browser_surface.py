"""The browser keeps to the Content-Security-Policy: another site cannot frame a page, and the pages
themselves need nothing the policy refuses (no inline script, no eval, no inline style)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .pages import fill_request, staff_sign_in, start_request


def other_site(frame_url: str):
    """A page of another origin (another port) that puts ``frame_url`` in an iframe."""
    body = f'<!doctype html><title>elsewhere</title><iframe id="f" src="{frame_url}" width="800" height="600"></iframe>'

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_another_site_cannot_frame_a_page(live_server, new_page):
    for path in ("/kiosk/", "/staff/login", "/terminal/"):
        server = other_site(live_server + path)
        try:
            page = new_page()
            refused = []
            page.on("console", lambda message: refused.append(message.text) if "frame-ancestors" in message.text
                    or "Refused to display" in message.text else None)
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.wait_for_timeout(500)
            [frame] = [f for f in page.frames if f != page.main_frame]
            # The framed page never loaded: Chromium shows its own error page in the frame instead.
            assert frame.query_selector("form, main, .topbar") is None, path
            assert refused, path
        finally:
            server.shutdown()
            server.server_close()


def test_the_pages_need_nothing_the_policy_refuses(app, live_server, new_page):
    page = new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    # A resident's form with its field checks (htmx), a ticket, the staff queue and a ticket's page.
    start_request(page, "公共设施报修")
    page.fill("#f-mobile", "12345")
    page.locator("#f-name").click()
    page.locator("#err-mobile", has_text="手机号码应为11位数字。").wait_for()
    fill_request(page, "张三", "13812345678")
    page.fill("#f-details", "楼道灯不亮")
    page.get_by_role("button", name="提交并领取回执").click()
    page.wait_for_url("**/kiosk/tickets/**")
    page.locator("#print-receipt").wait_for()
    desk = new_page(viewport={"width": 1400, "height": 900})
    desk.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    staff_sign_in(desk, "staff-hq")
    desk.locator("#queue-results tbody tr a").first.click()
    desk.wait_for_url("**/staff/tickets/**")
    desk.goto("/staff/counter")
    assert violations == []


def test_a_server_failure_during_an_htmx_request_is_said_in_place(live_server, new_page):
    page = new_page()
    start_request(page, "公共设施报修")
    page.route("**/check/**", lambda route: route.fulfill(status=500, body="boom"))
    page.fill("#f-mobile", "12345")
    page.locator("#f-name").click()
    notice = page.locator("#connection-notice")
    notice.wait_for()
    assert "请重试" in notice.inner_text() and "您填写的内容没有丢失" in notice.inner_text()
    page.unroute("**/check/**")
    page.fill("#f-mobile", "13812345678")
    page.locator("#f-name").click()
    notice.wait_for(state="hidden")


def test_connections_cut_by_the_database_cost_no_request(app, browser, postgres_url, database_url):
    """PostgreSQL ends every connection of the app (as a restart does): the next pages still work.
    (``app`` puts the demo district in the test database; the app served here reads it.)"""
    import pytest
    from sqlalchemy import create_engine, text

    from ..conftest import _build_app, serving

    if not postgres_url:
        pytest.skip("PostgreSQL only (runs in the PostgreSQL pass): SQLite has no server to restart")
    # The app under test names its connections, so that only they are cut (not the test's own).
    served = _build_app(f"{database_url}?application_name=kiosk-under-test")
    with serving(served) as base_url:
        context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1400, "height": 900})
        try:
            desk = context.new_page()
            staff_sign_in(desk, "staff-hq")
            admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                ended = connection.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'kiosk-under-test'")).scalar()
            admin.dispose()
            assert ended >= 1
            for path in ("/staff/", "/staff/figures", "/staff/"):
                assert desk.goto(path).status == 200, path
        finally:
            context.close()
            with served.app_context():
                from kiosk_app.extensions import db

                db.engine.dispose()
