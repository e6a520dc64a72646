"""Each use case is one unit of work: a failure half-way leaves nothing of it in the database.

A failure is injected right after a write statement has run (the database gone, a worker killed, a
bug in the next line); the whole database is then compared with what it held before.  A use case
that is one transaction is tried with the failure after its first write, its second, and so on until
it completes.  One made of deliberately separate writes (a throttle's count, a reservation before
its door is driven, a door's outcome: see services/uow.py) is tried with the failure after its
first write; each of its blocks is one unit of work too.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy import update as sa_update

from kiosk_app.extensions import db
from kiosk_app.models import (Channel, Compartment, CompartmentState, DoorReason, ItemKind, ItemState, LockerItem, Size,
                              Status, Terminal)
from kiosk_app.models.base import utcnow
from kiosk_app.services import (accounts, administration, locker, notifications, queue, ratings, receipts, seed,
                                sessions, terminals, tickets, workflow)
from kiosk_app.services.uow import NestedSeparateWrite, WriteOutsideUseCase, separate, unit_of_work

from ..helpers import STAFF_PASSWORD, building_of, community, make_ticket, service_by_code, staff


class Injected(Exception):
    """The failure a test injects."""


WRITES = ("INSERT", "UPDATE", "DELETE", "WITH")  # (WITH: PostgreSQL's one-statement submission)


@contextmanager
def failing_after_write(n: int):
    """Raise ``Injected`` once the n-th write statement has run."""
    seen = []

    def after(_conn, cursor, statement, *_args):
        if statement.lstrip()[:6].upper().startswith(WRITES):
            seen.append(statement)
            if len(seen) == n:
                # (its cursor closed, as a failing driver's would be: several rows inserted at once
                # come back through RETURNING, and SQLite refuses to commit while they are unread)
                cursor.close()
                raise Injected(statement)

    engine = db.engine
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", after)


def snapshot() -> dict[str, list]:
    """Every row of every table, read on a connection of its own."""
    with db.engine.connect() as connection:
        return {table.name: sorted(map(repr, connection.execute(select(table))))
                for table in db.metadata.sorted_tables}


def assert_atomic(act, *, separate_writes: bool = False) -> None:
    """``act`` fails after each of its writes in turn and leaves nothing; then it completes."""
    before = snapshot()
    for n in range(1, 2 if separate_writes else 200):
        with failing_after_write(n) as seen:
            try:
                act()
            except Injected:
                pass
            else:
                assert n > 1, "the use case wrote nothing"
                return
        db.session.rollback()
        assert snapshot() == before, f"a failure after write {n} ({seen[-1][:60]}…) left something behind"
    if not separate_writes:
        pytest.fail("the use case never completed")


# ---------------------------------------------------------------- the tickets and their workflow

def terminal(code="HQ-L1") -> Terminal:
    return db.session.scalar(select(Terminal).filter_by(code=code))


def form() -> dict:
    return {"name": "李四", "mobile": "13900001111", "building": str(building_of("HQ").id),
            "details": "楼道灯不亮", "id_number": ""}


def test_submitting_a_request(ctx):
    assert_atomic(lambda: tickets.submit_request(form(), service=service_by_code("facility-repair"),
                                                 community=community(), channel=Channel.KIOSK),
                  separate_writes=True)  # the day's numbers: a short transaction of its own (one unit)


@pytest.mark.parametrize("action, status", [("accept", Status.SUBMITTED), ("ask_info", Status.ACCEPTED),
                                            ("complete", Status.IN_PROGRESS), ("reassign", Status.ACCEPTED)])
def test_a_workflow_action(ctx, action, status):
    ticket = make_ticket(status=status, assignee="staff-hq")
    extra = {"assignee_id": staff("grid-hq1").id} if action == "reassign" else {}
    assert_atomic(lambda: workflow.apply_action(staff("admin-hq"), ticket.id, action, note="已处理", **extra))


def test_opening_a_ticket_and_revealing_personal_data(ctx):
    ticket = make_ticket()
    assert_atomic(lambda: workflow.mark_opened(staff("staff-hq"), db.session.get(type(ticket), ticket.id)))
    assert_atomic(lambda: workflow.reveal_personal_data(staff("admin-hq"), ticket.id))


def test_asking_for_the_ticket_by_text_after_all(ctx):
    ticket = make_ticket()
    ticket.sms_opt_in = False
    db.session.commit()
    assert_atomic(lambda: tickets.send_by_text_after_all(db.session.get(type(ticket), ticket.id)))


def test_a_poor_rating_and_its_follow_up(ctx):
    ticket = make_ticket(status=Status.COMPLETED)
    assert_atomic(lambda: ratings.rate(db.session.get(type(ticket), ticket.id), "1", "没人理"))
    follow_up = ratings.follow_ups(staff("admin-hq"))[0]
    assert_atomic(lambda: ratings.close_follow_up(staff("admin-hq"), follow_up.id, "回访了", "已道歉"))


def test_exporting_the_queue(ctx):
    make_ticket()
    assert_atomic(lambda: queue.export_rows(staff("admin-hq"), queue.Filters()))


def test_signing_in_and_changing_a_password(ctx):
    assert_atomic(lambda: accounts.authenticate("staff-hq", STAFF_PASSWORD), separate_writes=True)
    assert_atomic(lambda: accounts.set_password(staff("staff-hq"), "another-long-password"))


def test_ending_sessions(ctx):
    from kiosk_app.models import StaffSession

    member = staff("staff-hq")
    for _ in range(2):
        accounts.authenticate("staff-hq", STAFF_PASSWORD)
    first = db.session.scalar(select(StaffSession.id).order_by(StaffSession.id))
    assert_atomic(lambda: sessions.end_own(member, first))
    assert_atomic(lambda: sessions.end_everywhere(staff("staff-hq")))


def test_two_factor_sign_in(ctx):
    import pyotp

    from kiosk_app.services import two_factor

    token = accounts.authenticate("staff-hq", STAFF_PASSWORD).token
    secret = two_factor.setup_secret(staff("staff-hq"), token)
    assert_atomic(lambda: two_factor.enable(staff("staff-hq"), token, pyotp.TOTP(secret).now()))
    assert_atomic(lambda: two_factor.reset(staff("admin-hq"), staff("staff-hq").id))


def test_erasing_personal_data(ctx):
    from kiosk_app.models import Status, Ticket
    from kiosk_app.services import privacy

    ticket = make_ticket()
    db.session.execute(sa_update(Ticket).where(Ticket.id == ticket.id).values(status=Status.CLOSED))
    db.session.commit()
    assert_atomic(lambda: privacy.erase(staff("admin-hq"), ticket.id))


def test_enrolling_and_revoking_a_terminal(ctx):
    assert_atomic(lambda: terminals.issue_enrolment_code(terminal()))
    code = terminals.issue_enrolment_code(terminal())
    assert_atomic(lambda: terminals.enrol(code))
    assert_atomic(lambda: terminals.revoke(terminal()))


def test_setting_a_deployment_up(ctx):
    assert_atomic(lambda: administration.save_staff("new-worker", role="community_staff", area_code="HQ",
                                                    password="a-long-password"))
    assert_atomic(lambda: administration.save_compartment("HQ-L1", 99, size="S", board=3, lock=7))
    assert_atomic(lambda: administration.set_printer("HQ-L1", "tcp://127.0.0.1:9100"))


def test_administering_accounts(ctx):
    from kiosk_app.models import Grid, GridLevel
    from kiosk_app.services.admin import accounts as admin_accounts

    admin, hq = staff("admin-hq"), community("HQ")
    form = {"username": "new-worker", "display_name": "新社工", "role": "community_staff", "area_id": str(hq.id)}
    assert_atomic(lambda: admin_accounts.create_account(admin, form))
    target = staff("staff-hq").id
    assert_atomic(lambda: admin_accounts.update_account(admin, target, {**form, "display_name": "王社工二"}))
    assert_atomic(lambda: admin_accounts.reset_password(admin, target))
    assert_atomic(lambda: admin_accounts.set_active(admin, target, False))
    grid = db.session.scalar(select(Grid).filter_by(community_id=hq.id, code="G2"))
    level = db.session.scalar(select(GridLevel).filter_by(code="worker"))
    assert_atomic(lambda: admin_accounts.set_post(admin, staff("grid-hq1").id, grid.id, level.id))
    assert_atomic(lambda: admin_accounts.remove_post(admin, staff("grid-hq1").id, grid.id))


def test_administering_the_catalogue_and_terminals(ctx):
    from kiosk_app.models import ServiceCategory
    from kiosk_app.services.admin import catalogue, terminals as admin_terminals

    district, admin, hq = staff("admin-district"), staff("admin-hq"), community("HQ")
    category = db.session.scalar(select(ServiceCategory).order_by(ServiceCategory.id)).id
    item = {"code": "bike-shed", "category_id": str(category), "kind": "request", "name_zh": "非机动车棚申请",
            "deadline_days": "3", "papers_size": "M", "position": "1"}
    assert_atomic(lambda: catalogue.save_service(district, None, item))
    repair = service_by_code("facility-repair").id
    assert_atomic(lambda: catalogue.save_service(district, repair, {**item, "name_zh": "公共设施维修"}))
    assert_atomic(lambda: catalogue.set_service_active(district, repair, False))
    assert_atomic(lambda: catalogue.set_offering(admin, hq.id, repair, offered=False))
    assert_atomic(lambda: catalogue.save_category(district, None, {"code": "new-things", "name_zh": "新事项"}))
    form = {"code": "HQ-K9", "kind": "kiosk", "community_id": str(hq.id), "name_zh": "新自助机"}
    assert_atomic(lambda: admin_terminals.create_terminal(admin, form))
    assert_atomic(lambda: admin_terminals.update_terminal(admin, terminal().id, {"name_zh": "红旗路智能柜"}))
    assert_atomic(lambda: admin_terminals.save_compartment(admin, terminal().id,
                                                          {"number": "40", "size": "L", "board": "2", "lock": "9"}))
    assert_atomic(lambda: admin_terminals.issue_code(admin, terminal().id))


def test_administering_the_org_tree(ctx):
    from kiosk_app.models import Area, Grid
    from kiosk_app.services.admin import org

    district, hq = staff("admin-district"), community("HQ")
    street = db.session.scalar(select(Area.id).where(Area.id == hq.parent_id))
    assert_atomic(lambda: org.save_area(district, None, {"code": "NC", "name_zh": "新城社区"}, parent_id=street))
    assert_atomic(lambda: org.save_area(district, hq.id, {"name_zh": "红旗路社区（新）"}))
    assert_atomic(lambda: org.save_grid(district, hq.id, None, {"code": "G9", "name_zh": "第九网格"}))
    grid = db.session.scalar(select(Grid.id).filter_by(community_id=hq.id, code="G1"))
    assert_atomic(lambda: org.save_building(district, hq.id, None, {"code": "B9", "name_zh": "9号楼",
                                                                     "grid_id": str(grid), "units": "2"}))
    assert_atomic(lambda: org.set_building_active(district, building_of("HQ", 0).id, False))
    assert_atomic(lambda: org.save_level(district, None, {"code": "helper", "name_zh": "协管员", "rank": "6"}))


def test_importing_spreadsheets(ctx):
    from kiosk_app.services.admin import account_sheet, catalogue_sheet, org_sheet, spreadsheets

    district = staff("admin-district")
    assert_atomic(lambda: spreadsheets.run(org_sheet.SHEET, district, keep=True, rows=[dict(zip(org_sheet.COLUMNS, (
        "JE", "", "NC", "新城社区", "G1", "第一网格", "B1", "新城1号楼", "2")))]))
    assert_atomic(lambda: spreadsheets.run(account_sheet.SHEET, district, keep=True, rows=[dict(zip(account_sheet.COLUMNS, (
        "zhang.san", "张三", "grid_worker", "HQ", "G1:worker", "1")))]))
    row = dict.fromkeys(catalogue_sheet.COLUMNS, "")
    row.update(category_code="pets", category_name_zh="宠物", code="dog-licence", name_zh="犬只登记", communities="HQ")
    assert_atomic(lambda: spreadsheets.run(catalogue_sheet.SHEET, district, [row], keep=True))


def test_the_first_admin_of_a_real_installation(make_app):
    with make_app().app_context():
        assert_atomic(lambda: administration.create_first_admin(
            "first-admin", password="a-long-password", district_code="GX", district_name_zh="高新区"))


def test_sending_the_messages_due(ctx):
    make_ticket()
    assert_atomic(lambda: notifications.send_due(notifications.LogSender()), separate_writes=True)


def test_loading_the_demo(make_app):
    with make_app().app_context():
        assert_atomic(lambda: seed.seed_demo(staff_password=STAFF_PASSWORD))


# ---------------------------------------------------------------- the locker

def locker_ticket(service_code="residence-permit"):
    ticket = make_ticket(service_code=service_code)
    ticket.channel, ticket.terminal_id = Channel.LOCKER, terminal().id
    db.session.commit()
    return ticket


def deposited():
    item = locker.reserve_and_open(terminal(), locker_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF,
                                   min_size=Size.M)
    locker.door_closed(item.compartment)
    return item


def result_waiting():
    ticket = make_ticket(status=Status.IN_PROGRESS, assignee="admin-hq")
    workflow.apply_action(staff("admin-hq"), ticket.id, "complete", note="证明已开具", physical_result=True)
    item = locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    locker.door_closed(item.compartment)
    return item


def test_reserving_and_opening_a_door(ctx):
    ticket = locker_ticket()
    assert_atomic(lambda: locker.reserve_and_open(terminal(), ticket, ItemKind.SUBMISSION, DoorReason.DROP_OFF),
                  separate_writes=True)


def test_closing_a_door_on_papers_on_a_result_and_after_a_pickup(ctx):
    item = locker.reserve_and_open(terminal(), locker_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF)
    assert_atomic(lambda: locker.door_closed(db.session.get(LockerItem, item.id).compartment))
    ticket = make_ticket(status=Status.IN_PROGRESS, assignee="admin-hq")
    workflow.apply_action(staff("admin-hq"), ticket.id, "complete", note="好了", physical_result=True)
    result = locker.start_return(staff("admin-hq"), terminal(), ticket.id)
    assert_atomic(lambda: locker.door_closed(db.session.get(LockerItem, result.id).compartment))
    _, code = locker.pickup_code_for_ticket(ticket)
    locker.pick_up(terminal(), code)
    assert_atomic(lambda: locker.door_closed(db.session.get(LockerItem, result.id).compartment))
    assert db.session.get(LockerItem, result.id).state == ItemState.DONE


def test_picking_up_with_a_code_right_and_wrong(ctx):
    item = result_waiting()
    _, code = locker.pickup_code_for_ticket(item.ticket)
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    assert_atomic(lambda: locker.pick_up(terminal(), wrong), separate_writes=True)
    assert_atomic(lambda: locker.pick_up(terminal(), code), separate_writes=True)


def test_staff_collecting_returning_and_taking_back(ctx):
    papers = deposited()
    assert_atomic(lambda: locker.collect(staff("staff-hq"), terminal(), papers.id), separate_writes=True)
    ticket = make_ticket(status=Status.IN_PROGRESS, assignee="admin-hq")
    workflow.apply_action(staff("admin-hq"), ticket.id, "complete", note="好了", physical_result=True)
    assert_atomic(lambda: locker.start_return(staff("admin-hq"), terminal(), ticket.id), separate_writes=True)
    stale = result_waiting()
    stale.pickup_expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert_atomic(lambda: locker.take_back(staff("staff-hq"), terminal(), stale.id), separate_writes=True)


def test_cancelling_a_drop_off(ctx):
    item = locker.reserve_and_open(terminal(), locker_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF)
    assert_atomic(lambda: locker.cancel_drop_off(db.session.get(LockerItem, item.id)))


def test_checking_a_compartment_and_taking_one_out_of_service(ctx):
    admin = staff("admin-hq")
    compartment = db.session.scalar(select(Compartment).filter_by(terminal_id=terminal().id, number=1))
    assert_atomic(lambda: locker.set_compartment_service(admin, terminal(), compartment.id, False))
    assert_atomic(lambda: locker.set_compartment_service(admin, terminal(), compartment.id, True))
    compartment.state = CompartmentState.CHECK
    db.session.commit()
    assert_atomic(lambda: locker.checked_empty(admin, terminal(), compartment.id))


def test_the_sweeper(ctx, app):
    app.config["RESERVATION_TIMEOUT_SECONDS"] = 0
    locker.reserve_and_open(terminal(), locker_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF)
    assert_atomic(lambda: locker.sweep(terminal()))


def test_the_agents_reports(ctx):
    t = terminal()
    t.lock_url = "agent"
    db.session.commit()
    item = locker.reserve_and_open(t, locker_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF)
    command = locker.pending_commands(t)[0]
    assert_atomic(lambda: locker.command_done(terminal(), command.id, False, "jammed", fault="door"))
    assert db.session.get(LockerItem, item.id).state == ItemState.CANCELLED
    other = locker.reserve_and_open(terminal(), locker_ticket(), ItemKind.SUBMISSION, DoorReason.DROP_OFF)
    command = locker.pending_commands(terminal())[0]
    assert_atomic(lambda: locker.command_done(terminal(), command.id, True))
    compartment = db.session.get(LockerItem, other.id).compartment
    reading = {(compartment.board, compartment.lock): True}
    assert_atomic(lambda: locker.doors_reported(terminal(), reading))
    assert db.session.get(LockerItem, other.id).state == ItemState.HELD


def test_printing_a_receipt(ctx):
    t = terminal()
    t.printer_url = "dummy://"
    db.session.commit()
    ticket = make_ticket()
    assert_atomic(lambda: receipts.print_once(terminal(), db.session.get(type(ticket), ticket.id), receipts.TICKET),
                  separate_writes=True)


# ---------------------------------------------------------------- the rules of the unit of work itself

def test_a_nested_use_case_joins_its_callers_unit(ctx):
    ticket = make_ticket()
    with pytest.raises(Injected):
        with unit_of_work():
            workflow.reveal_personal_data(staff("admin-hq"), ticket.id)  # commits nothing of its own
            raise Injected("after the inner use case")
    assert [e.action for e in db.session.get(type(ticket), ticket.id).events] == ["submitted"]


def test_a_separate_write_refuses_to_run_inside_a_unit(ctx):
    with pytest.raises(NestedSeparateWrite), unit_of_work(), separate("a reason"):
        pass


def test_a_use_case_refuses_changes_made_before_it_began(ctx):
    ticket = make_ticket()
    ticket.details = "changed outside any use case"
    with pytest.raises(WriteOutsideUseCase):
        workflow.reveal_personal_data(staff("admin-hq"), ticket.id)
    db.session.rollback()


def test_a_unit_that_wrote_nothing_leaves_what_it_read_loaded(ctx):
    """A use case that found nothing to do (a sweep, most of the time) costs no reloading afterwards;
    one that wrote has what the session holds read again."""
    from ..helpers import QueryCounter

    found = terminal()
    with unit_of_work():
        pass
    with QueryCounter(db.engine) as queries:
        assert found.code == "HQ-L1"
    assert queries.count == 0
    with unit_of_work():
        found.name_zh = found.name_zh + " "
    with QueryCounter(db.engine) as queries:
        assert found.name_zh.endswith(" ")
    assert queries.count == 1
