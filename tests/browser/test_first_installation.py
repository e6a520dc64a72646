"""A real district sets itself up in the browser, from an empty database.

The database gets its schema from the migrations (``flask db upgrade``) and its first admin from
``flask create-admin``, both run as commands the way a new installation runs them; everything else
happens in Chromium: the admin's two-factor sign-in, the org tree and buildings from a spreadsheet
(checked first, then imported), a catalogue item, a staff account that must change its one-time
password, a kiosk and a locker enrolled with the codes the admin pages issue.  Then a resident submits a request at that kiosk and
the new member of staff finds it in the queue.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pyotp
from openpyxl import Workbook

from kiosk_app.extensions import db
from kiosk_app.models import Terminal, Ticket
from kiosk_app.services.admin.org_sheet import COLUMNS

from ..conftest import _drop_tables, serving
from .pages import begin

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "first-admin-password-1"
TREE = [
    ["KJ", "科技路街道", "YH", "云汇社区", "G1", "第一网格", "B1", "云汇1号楼", "2"],
    ["KJ", "", "YH", "", "G1", "", "B2", "云汇2号楼", "1"],
    ["KJ", "", "YH", "", "G2", "第二网格", "B3", "云汇3号楼", "3"],
]


def flask(database_url: str, *args: str) -> str:
    """Run ``flask …`` as a new installation does (the app found through wsgi.py)."""
    env = {**os.environ, "DATABASE_URL": database_url, "KIOSK_CONFIG": "development"}
    done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def org_sheet() -> bytes:
    book = Workbook()
    book.active.append(list(COLUMNS))
    for row in TREE:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def choose_file(page, data: bytes) -> None:
    page.set_input_files("#f-file", files=[{"name": "tree.xlsx", "buffer": data, "mimeType":
                                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])


def test_a_district_sets_itself_up_in_the_browser_from_an_empty_database(make_app, database_url, browser, shot):
    app = make_app(TWO_FACTOR_ROLES="district_admin")  # as a real installation has it
    with app.app_context():
        _drop_tables(db.engine)  # nothing: the migrations make the schema
        db.engine.dispose()
    flask(database_url, "db", "upgrade")
    flask(database_url, "create-admin", "chief", "--password", ADMIN_PASSWORD, "--district-code", "GX",
          "--district-name", "高新区")

    contexts = []

    def screen(**options):
        context = browser.new_context(base_url=base_url, locale="zh-CN",
                                      viewport=options.pop("viewport", {"width": 1280, "height": 1024}), **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    with serving(app) as base_url:
        try:
            walk(app, screen, shot)
        finally:
            for context in contexts:
                context.close()


def sign_in(page, username: str, password: str) -> None:
    page.goto("/staff/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.get_by_role("button", name="登录", exact=True).click()


def walk(app, screen, shot) -> None:
    admin = screen(viewport={"width": 1400, "height": 1000})
    sign_in(admin, "chief", ADMIN_PASSWORD)
    # A district admin sets up two-factor sign-in before anything else (its phone's app: pyotp here).
    admin.wait_for_url("**/staff/security/two-factor")
    secret = admin.locator("#two-factor-secret").inner_text()
    admin.fill("#f-code", pyotp.TOTP(secret).now())
    admin.get_by_role("button", name="开启双重验证").click()
    admin.wait_for_url("**/staff/security")

    # The org tree and its buildings from a spreadsheet: checked first (nothing written), then imported.
    admin.goto("/staff/admin/org")
    admin.locator("#import-link").click()
    choose_file(admin, org_sheet())
    admin.locator("#check").click()
    admin.locator("#plan").wait_for()
    assert "新建 YH 云汇社区" in admin.inner_text("#plan") and "新建楼栋 B3 云汇3号楼" in admin.inner_text("#plan")
    shot(admin, "01-org-dry-run")
    admin.goto("/staff/admin/org")
    assert "云汇社区" not in admin.inner_text("main")
    admin.locator("#import-link").click()
    choose_file(admin, org_sheet())
    admin.locator("#import").click()
    admin.locator("#imported").wait_for()
    admin.goto("/staff/admin/org")
    assert "云汇社区" in admin.inner_text("main")

    # A category and an item of the catalogue (offered by every community, the default).
    admin.goto("/staff/admin/catalogue")
    admin.locator("#new-category").click()
    admin.fill("#f-code", "neighbourhood")
    admin.fill("#f-name_zh", "环境与邻里")
    admin.get_by_role("button", name="保存").click()
    admin.wait_for_url("**/staff/admin/catalogue**")
    admin.locator("#new-service").click()
    admin.fill("#f-code", "repairs")
    admin.select_option("#f-category_id", label="环境与邻里")
    admin.fill("#f-name_zh", "公共设施报修")
    admin.fill("#f-summary_zh", "楼道灯、门禁、健身器材等公共设施损坏，请告诉我们。")
    admin.fill("#f-deadline_days", "3")
    admin.get_by_role("button", name="保存").click()
    admin.wait_for_url("**/staff/admin/catalogue**")
    assert "公共设施报修" in admin.inner_text("main")

    # A community staff account, with a one-time password shown once.
    admin.goto("/staff/admin/accounts")
    admin.locator("#new-account").click()
    admin.fill("#f-username", "wang.hui")
    admin.fill("#f-display_name", "王慧")
    admin.select_option("#f-role", label="社区工作人员")
    admin.select_option("#f-area_id", label="云汇社区")
    admin.get_by_role("button", name="创建账号").click()
    one_time = admin.locator("#one-time-password").inner_text().strip()
    assert re.fullmatch(r"\w{4}-\w{4}-\w{4}", one_time)
    shot(admin, "02-one-time-password")

    # A kiosk and a locker (the simulated lock board), each enrolled with the code its page issues.
    codes = {}
    for code, kind, name in (("YH-K1", "kiosk", "云汇社区自助终端"), ("YH-L1", "locker", "云汇社区智能柜")):
        admin.goto("/staff/admin/terminals/new")
        admin.fill("#f-code", code)
        admin.select_option("#f-kind", value=kind)
        admin.select_option("#f-community_id", label="云汇社区")
        admin.fill("#f-name_zh", name)
        if kind == "locker":
            admin.fill("#f-lock_url", "sim://")
        admin.get_by_role("button", name="创建终端").click()
        admin.locator("#issue-code").click()
        codes[code] = admin.locator("#enrolment-code").inner_text().strip()
        admin.locator("#enrolment-qr svg").wait_for()
    admin.goto("/staff/admin/terminals")
    for terminal in ("YH-K1", "YH-L1"):
        admin.locator(f"tr[data-terminal='{terminal}'] a").first.click()
        if terminal == "YH-L1":
            admin.fill("#f-number", "1")
            admin.select_option("#add-compartment select[name=size]", value="M")
            admin.fill("#f-lock", "1")
            admin.locator("#add-compartment button[type=submit]").click()
            admin.locator("tr[data-compartment='1']").wait_for()
        admin.goto("/staff/admin/terminals")

    locker = screen()
    locker.goto(f"/kiosk/enrol?code={codes['YH-L1']}")
    locker.get_by_role("button", name="登记为终端").click()
    locker.wait_for_url("**/terminal/")
    assert "云汇社区" in locker.inner_text("body")
    locker.locator("#no-dropoff").wait_for()  # the one item takes no papers: said, not an empty box
    shot(locker, "03-locker-home")

    kiosk = screen()
    kiosk.goto(f"/kiosk/enrol?code={codes['YH-K1']}")
    kiosk.get_by_role("button", name="登记为终端").click()
    kiosk.wait_for_url("**/kiosk/")
    assert kiosk.locator(".brand-community").inner_text() == "云汇社区"

    # A resident submits a request at that kiosk.
    kiosk.get_by_role("link", name=re.compile("公共设施报修")).click()
    begin(kiosk)
    kiosk.fill("#f-name", "张三")
    kiosk.fill("#f-mobile", "13812345678")
    kiosk.select_option("#f-building", label="云汇2号楼")
    kiosk.fill("#f-details", "2号楼1单元楼道灯不亮")
    kiosk.get_by_role("button", name="提交并领取回执").click()
    kiosk.wait_for_url(re.compile(r"/kiosk/tickets/"))
    number = kiosk.locator("#ticket-number").inner_text()
    assert number.startswith("YH")
    shot(kiosk, "04-ticket")
    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket))
        assert ticket.number == number and ticket.service_name_zh == "公共设施报修"
        assert db.session.get(Terminal, ticket.terminal_id).code == "YH-K1"

    # The new member of staff signs in with the one-time password, must choose their own, signs in
    # with it and finds the request in the queue.
    desk = screen(viewport={"width": 1400, "height": 900})
    sign_in(desk, "wang.hui", one_time)
    desk.wait_for_url("**/staff/password")
    desk.fill("#f-current", one_time)
    desk.fill("#f-new", "wang-hui-own-password")
    desk.fill("#f-repeat", "wang-hui-own-password")
    desk.get_by_role("button", name="修改密码").click()
    desk.wait_for_url("**/staff/login**")  # every session ends with the change: signed in again
    sign_in(desk, "wang.hui", "wang-hui-own-password")
    desk.wait_for_url("**/staff/")
    row = desk.locator(f"tr[data-number='{number}']")
    row.wait_for()
    assert "公共设施报修" in row.inner_text() and "张*" in row.inner_text()
    shot(desk, "05-queue")
