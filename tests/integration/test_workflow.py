"""Applying actions to stored tickets: events, notes, assignment, versions, scope, concurrency."""

import threading

import pytest

from kiosk_app.extensions import db
from kiosk_app.models import Status, Ticket, TicketEvent
from kiosk_app.services import workflow
from kiosk_app.services.errors import DomainError, InvalidInput, NotFound
from kiosk_app.services.workflow import Action, Conflict

from ..helpers import make_ticket, staff

NOTES = {Action.ASK_INFO: "请补充照片", Action.COMPLETE: "已修好", Action.REJECT: "不属于社区职责", Action.NOTE: "内部"}


@pytest.mark.parametrize("state", list(Status))
def test_each_state_allows_its_actions_and_refuses_the_rest(ctx, state):
    admin = staff("admin-hq")
    for action in Action:
        ticket = make_ticket(status=state, assignee="admin-hq")
        version = ticket.version
        kwargs = {"note": NOTES.get(action, ""), "assignee_id": staff("staff-hq").id}
        if action in workflow.LOCKER_ACTIONS:
            # Only the locker makes these changes, never a member of staff.
            with pytest.raises(DomainError) as caught:
                workflow.apply_action(admin, ticket.id, action, version=version, **kwargs)
            assert "您的角色不能执行此操作" in str(caught.value.message)
        elif (state, action) in workflow.TRANSITIONS:
            changed = workflow.apply_action(admin, ticket.id, action, version=version, **kwargs)
            assert changed.status == workflow.TRANSITIONS[(state, action)]
            event = changed.events[-1]
            assert (event.action, event.from_status, event.to_status) == (action.value, state, changed.status)
            assert event.actor_staff_id == admin.id
        else:
            with pytest.raises(DomainError) as caught:
                workflow.apply_action(admin, ticket.id, action, version=version, **kwargs)
            assert "的工单不能执行" in str(caught.value.message)
            db.session.refresh(ticket)
            assert ticket.status == state and len(ticket.events) == 1


def test_a_full_lifecycle_is_recorded_event_by_event(ctx):
    worker = staff("grid-hq1")
    ticket = make_ticket()
    for action, note in [(Action.ACCEPT, ""), (Action.START, ""), (Action.ASK_INFO, "请补充照片"),
                         (Action.RESUME, ""), (Action.NOTE, "已电话联系"), (Action.COMPLETE, "已修好")]:
        ticket = workflow.apply_action(worker, ticket.id, action, note=note, physical_result=True)
    assert ticket.status == Status.COMPLETED and ticket.assignee_id == worker.id
    assert ticket.completed_at is not None and ticket.physical_result is True
    events = db.session.scalars(db.select(TicketEvent).filter_by(ticket_id=ticket.id).order_by(TicketEvent.id)).all()
    assert [e.action for e in events] == ["submitted", "accept", "start", "ask_info", "resume", "note", "complete"]
    assert [e.public for e in events] == [True, True, True, True, True, False, True]
    assert events[3].note == "请补充照片"


@pytest.mark.parametrize("action", [Action.ASK_INFO, Action.COMPLETE, Action.REJECT, Action.NOTE])
def test_actions_that_speak_to_the_resident_need_a_note(ctx, action):
    ticket = make_ticket(status=Status.IN_PROGRESS, assignee="staff-hq")
    with pytest.raises(InvalidInput) as caught:
        workflow.apply_action(staff("staff-hq"), ticket.id, action, note="   ")
    assert set(caught.value.errors) == {"note"}
    with pytest.raises(InvalidInput):
        workflow.apply_action(staff("staff-hq"), ticket.id, action, note="字" * 1001)


def test_an_unknown_action_is_not_found(ctx):
    ticket = make_ticket()
    with pytest.raises(NotFound):
        workflow.apply_action(staff("staff-hq"), ticket.id, "delete")


def test_a_stale_version_is_a_conflict_with_the_fresh_state(ctx):
    ticket = make_ticket()
    version = ticket.version
    workflow.apply_action(staff("staff-hq"), ticket.id, Action.ACCEPT, version=version)
    with pytest.raises(Conflict) as caught:
        workflow.apply_action(staff("grid-hq1"), ticket.id, Action.ACCEPT, version=version)
    assert "当前状态为“已受理”" in str(caught.value.message)


def test_opening_a_ticket_does_not_count_as_a_change(ctx):
    ticket = make_ticket()
    version = ticket.version
    workflow.mark_opened(staff("staff-hq"), ticket)
    db.session.refresh(ticket)
    assert ticket.opened_at is not None and ticket.version == version


def test_reassign_only_to_colleagues_who_can_see_the_ticket(ctx):
    ticket = make_ticket(building_index=0)  # grid G1 of HQ
    admin = staff("admin-hq")
    with pytest.raises(InvalidInput):
        workflow.apply_action(admin, ticket.id, Action.REASSIGN, assignee_id=staff("staff-xj").id)
    with pytest.raises(InvalidInput):
        workflow.apply_action(admin, ticket.id, Action.REASSIGN, assignee_id=staff("grid-hq2").id)  # G2/G3
    with pytest.raises(InvalidInput):
        workflow.apply_action(admin, ticket.id, Action.REASSIGN, assignee_id=staff("volunteer-hq").id)
    changed = workflow.apply_action(admin, ticket.id, Action.REASSIGN, assignee_id=staff("grid-hq1").id)
    assert changed.assignee.username == "grid-hq1" and changed.status == Status.SUBMITTED
    assert [p.username for p in workflow.candidates_for(changed)] == sorted(
        ["admin-district", "admin-hq", "staff-hq", "grid-hq1"],
        key=lambda u: staff(u).display_name)


def test_other_communities_tickets_are_not_found(ctx):
    ticket = make_ticket("XJ")
    for username in ("staff-hq", "admin-hq", "grid-hq1", "volunteer-hq"):
        with pytest.raises(NotFound):
            workflow.apply_action(staff(username), ticket.id, Action.ACCEPT)
    assert workflow.apply_action(staff("admin-district"), ticket.id, Action.ACCEPT).status == Status.ACCEPTED


def test_grid_workers_see_their_grids_only(ctx):
    g1, g2 = make_ticket(building_index=0), make_ticket(building_index=3)
    with pytest.raises(NotFound):
        workflow.apply_action(staff("grid-hq1"), g2.id, Action.ACCEPT)
    assert workflow.apply_action(staff("grid-hq1"), g1.id, Action.ACCEPT).status == Status.ACCEPTED
    assert workflow.apply_action(staff("grid-hq2"), g2.id, Action.ACCEPT).status == Status.ACCEPTED


def test_volunteers_take_only_volunteer_eligible_tickets(ctx):
    repair = make_ticket(service_code="facility-repair")
    visit = make_ticket(service_code="home-visit")
    volunteer = staff("volunteer-hq")
    with pytest.raises(NotFound):
        workflow.apply_action(volunteer, repair.id, Action.ACCEPT)
    taken = workflow.apply_action(volunteer, visit.id, Action.ACCEPT)
    assert taken.assignee_id == volunteer.id
    with pytest.raises(DomainError):
        workflow.apply_action(volunteer, visit.id, Action.REJECT, note="不去")


def test_personal_data_views_are_recorded_and_volunteers_need_the_ticket(ctx):
    visit = make_ticket(service_code="home-visit")
    with pytest.raises(DomainError):
        workflow.reveal_personal_data(staff("volunteer-hq"), visit.id)
    workflow.reveal_personal_data(staff("staff-hq"), visit.id)
    workflow.apply_action(staff("volunteer-hq"), visit.id, Action.ACCEPT)
    workflow.reveal_personal_data(staff("volunteer-hq"), visit.id)
    viewed = db.session.scalars(db.select(TicketEvent).filter_by(ticket_id=visit.id, action="personal_data_viewed")).all()
    assert [e.actor_staff.username for e in viewed] == ["staff-hq", "volunteer-hq"]
    assert not any(e.public for e in viewed)


def test_two_staff_acting_at_once_exactly_one_wins(app):
    with app.app_context():
        ticket = make_ticket()
        ticket_id, version = ticket.id, ticket.version
    barrier = threading.Barrier(2)
    outcomes = []

    def act(username):
        with app.app_context():
            actor = staff(username)
            barrier.wait()
            try:
                workflow.apply_action(actor, ticket_id, Action.ACCEPT, version=version)
                outcomes.append(("won", username))
            except Conflict as error:
                outcomes.append(("conflict", str(error.message)))
            except DomainError as error:  # lost after the winner's commit was visible
                outcomes.append(("refused", str(error.message)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(u,)) for u in ("staff-hq", "grid-hq1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(kind for kind, _ in outcomes) in (["conflict", "won"], ["refused", "won"])
    with app.app_context():
        stored = db.session.get(Ticket, ticket_id)
        winner = next(who for kind, who in outcomes if kind == "won")
        assert stored.assignee.username == winner
        assert [e.action for e in stored.events].count("accept") == 1
