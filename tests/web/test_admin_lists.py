"""The administration lists are searched and paged: terminals, a community's buildings, the catalogue,
the org tree (accounts and the audit trail: test_admin_accounts, test_admin_audit)."""

import re

from kiosk_app.extensions import db
from kiosk_app.models import Building, Terminal, TerminalKind

from ..helpers import community, sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


def rows(page: str, attribute: str) -> list[str]:
    return re.findall(rf'<tr {attribute}="([^"]+)"', page)


def test_terminals_are_searched_by_code_or_name_and_paged(app):
    with app.app_context():
        hq = community("HQ").id
        db.session.add_all(Terminal(community_id=hq, kind=TerminalKind.KIOSK, code=f"HQ-X{n:02d}", name_zh=f"楼下终端{n}")
                           for n in range(1, 61))
        db.session.commit()
    admin = sign_in(app, "admin-district")
    first = text(admin.get("/staff/admin/terminals"))
    assert len(rows(first, "data-terminal")) == 50 and "第 1 页，共 2 页" in first and 'rel="next"' in first
    second = text(admin.get("/staff/admin/terminals?page=2"))
    assert len(rows(second, "data-terminal")) == 66 - 50 and 'rel="prev"' in second  # 60 new, and the demo's 6
    assert rows(text(admin.get("/staff/admin/terminals?page=999")), "data-terminal") == rows(second, "data-terminal")
    assert len(rows(text(admin.get("/staff/admin/terminals?page=abc")), "data-terminal")) == 50
    assert rows(text(admin.get("/staff/admin/terminals?q=xj")), "data-terminal") == ["XJ-K1", "XJ-L1"]
    assert rows(text(admin.get("/staff/admin/terminals?q=楼下终端7")), "data-terminal") == ["HQ-X07"]
    assert rows(text(admin.get("/staff/admin/terminals?q=%25")), "data-terminal") == []  # a % is a %, not "any"
    # A community admin's list holds their community's terminals alone, searched or not.
    hq_admin = sign_in(app, "admin-hq")
    assert not [code for code in rows(text(hq_admin.get("/staff/admin/terminals?q=-")), "data-terminal")
                if not code.startswith("HQ-")]


def test_a_communitys_buildings_are_searched_and_paged(app):
    with app.app_context():
        hq = community("HQ")
        grid = hq.buildings[0].grid_id
        db.session.add_all(Building(community_id=hq.id, grid_id=grid, code=f"N{n}", name_zh=f"新楼{n}号", units=1,
                                    position=100 + n) for n in range(1, 61))
        db.session.commit()
        hq_id = hq.id
    admin = sign_in(app, "admin-hq")
    page = text(admin.get(f"/staff/admin/org/areas/{hq_id}"))
    assert len(rows(page, "data-building")) == 50 and 'rel="next"' in page
    assert rows(text(admin.get(f"/staff/admin/org/areas/{hq_id}?q=新楼17")), "data-building") == ["N17"]
    last = text(admin.get(f"/staff/admin/org/areas/{hq_id}?page=2"))
    assert "N60" in rows(last, "data-building")


def test_the_catalogue_and_the_org_tree_are_searched(app):
    admin = sign_in(app, "admin-district")
    found = text(admin.get("/staff/admin/catalogue?q=居住证"))
    assert rows(found, "data-service") == ["residence-permit"]
    assert 'data-category="certificates"' in found and 'data-category="social"' not in found
    assert 'id="no-match"' in text(admin.get("/staff/admin/catalogue?q=没有这个"))
    tree = text(admin.get("/staff/admin/org?q=新建路"))
    assert 'data-area="XJ"' in tree and 'data-area="HQ"' not in tree and 'data-area="JE"' in tree
    assert 'data-area="QY"' not in tree
    assert 'id="no-match"' in text(admin.get("/staff/admin/org?q=没有这个"))
