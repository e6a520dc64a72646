"""The archive imported from a spreadsheet: the per-row report, the dry run, one transaction, speed."""

from kiosk_app.extensions import db
from kiosk_app.models import AuditEvent, Household, Member
from kiosk_app.services.admin import spreadsheets
from kiosk_app.services.admin.household_sheet import COLUMNS, SHEET

from ..helpers import staff

GOOD = [
    {"building_code": "B01", "unit": "1", "room": "101", "relation": "户主", "name": "赵玉兰", "birth_date": "1938-04-01",
     "mobile": "13700001111", "tags": "独居老人、残疾", "basis": "书面同意", "basis_on": "2026-10-01"},
    {"building_code": "B01", "unit": "1", "room": "102", "relation": "户主", "name": "钱建国", "id_number": "11010519491231002X",
     "tags": "veteran", "basis": "法定职责", "basis_detail": "《城市居民委员会组织法》第三条"},
    {"building_code": "B01", "unit": "1", "room": "102", "relation": "配偶", "name": "孙淑珍", "birth_date": "1952-01-09"},
]


def rows(*dicts):
    return [{column: d.get(column, "") for column in COLUMNS} for d in dicts]


def test_bad_rows_are_reported_one_by_one_and_the_dry_run_writes_nothing(ctx):
    admin = staff("admin-hq")
    bad = rows(*GOOD,
               {"building_code": "B99", "room": "1", "relation": "户主", "name": "李四", "basis": "书面同意", "basis_on": "2026-10-01"},
               {"building_code": "B02", "room": "201", "relation": "配偶", "name": "周五"},
               {"building_code": "B02", "room": "202", "relation": "户主", "name": "吴六", "mobile": "123", "basis": "x"},
               {"building_code": "B02", "room": "202", "relation": "子女", "name": "吴小六"},
               {"building_code": "XJ-B01", "room": "1", "relation": "户主", "name": "郑七"})
    plan = spreadsheets.run(SHEET, admin, bad, keep=True)
    assert not plan.kept and [r.line for r in plan.refused] == [5, 6, 7, 8, 9]
    assert "building_code" in plan.refused[0].problems[0] and "relation" in plan.refused[1].problems[0]
    assert any("mobile" in p for p in plan.refused[2].problems) and any("basis" in p for p in plan.refused[2].problems)
    assert "room" in plan.refused[3].problems[0]
    assert db.session.scalar(db.select(db.func.count(Household.id))) == 0  # nothing of it kept
    dry = spreadsheets.run(SHEET, admin, rows(*GOOD), keep=False)
    assert not dry.refused and not dry.kept and dry.changes == 3
    assert db.session.scalar(db.select(db.func.count(Member.id))) == 0


def test_the_import_keeps_all_rows_in_one_transaction_and_not_twice(ctx):
    admin = staff("admin-hq")
    plan = spreadsheets.run(SHEET, admin, rows(*GOOD), keep=True)
    assert plan.kept and plan.changes == 3
    households = db.session.scalars(db.select(Household).order_by(Household.id)).all()
    assert len(households) == 2 and [len(h.members) for h in households] == [1, 2]
    assert households[0].members[0].sensitive_tags == "disability"
    assert [t.code for t in households[0].members[0].tags] == ["lives_alone"]
    assert households[1].basis.value == "legal_duty" and households[1].members[1].relation == "spouse"
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).filter_by(action="import", entity="household")) == 1
    again = spreadsheets.run(SHEET, admin, rows(*GOOD), keep=True)
    assert not again.kept and len(again.refused) == 3  # each room has its file already
    assert db.session.scalar(db.select(db.func.count(Household.id))) == 2
    exported = SHEET.export_rows(admin)
    assert ["B01", "1", "101", "head", "赵*兰"] == exported[0][:5] and "13700001111" not in str(exported)
    assert "残疾" not in str(exported)  # a sensitive tag is not in the register's export


def test_others_may_not_import_the_archive(ctx):
    import pytest

    from kiosk_app.services.errors import Forbidden

    for username in ("admin-district", "staff-hq", "grid-hq1"):
        with pytest.raises(Forbidden):
            spreadsheets.run(SHEET, staff(username), rows(*GOOD), keep=False)


def test_a_sheet_of_hundreds_of_households_imports_in_one_run(ctx):
    """(bench/archive_import.py times 2,000 households on both databases.)"""
    from bench.archive_import import sheet

    table = spreadsheets.read_rows("archive.csv", sheet(240), COLUMNS)
    plan = spreadsheets.run(SHEET, staff("admin-hq"), table, keep=True)
    assert plan.kept and plan.changes == len(table), [r.problems for r in plan.refused[:3]]
    assert db.session.scalar(db.select(db.func.count(Household.id))) == 240
    assert db.session.scalar(db.select(db.func.count(Member.id))) == len(table)
