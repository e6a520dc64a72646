"""The lifecycle table, every (role, state, action): allowed exactly when the role may and the state allows."""

import pytest
from flask import Flask
from flask_babel import Babel

from kiosk_app.models import Role, Service, Staff, Status, Ticket
from kiosk_app.services import workflow
from kiosk_app.services.workflow import Action


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    Babel(app)
    with app.test_request_context():
        yield


def actor(role: Role, staff_id: int = 1) -> Staff:
    return Staff(id=staff_id, role=role, display_name=f"{role.value}-{staff_id}", active=True)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_role_state_and_action(role, state, action):
    me = actor(role)
    # The ticket is already the actor's, so only role and state decide.
    ticket = Ticket(status=state, assignee_id=me.id)
    ticket.assignee = me
    verdict = workflow.check(me, ticket, action)
    expected = (state, action) in workflow.TRANSITIONS and action in workflow.ROLE_ACTIONS[role]
    assert verdict.allowed is expected, verdict.reason
    if not expected:
        assert verdict.reason  # a refusal always says why


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_role_state_and_action_on_a_proposal(role, state, action):
    me = actor(role)
    ticket = Ticket(status=state, assignee_id=me.id, service=Service(is_proposal=True))
    ticket.assignee = me
    verdict = workflow.check(me, ticket, action)
    expected = ((state, action) in workflow.PROPOSAL_TRANSITIONS and action in workflow.ROLE_ACTIONS[role]
                and (role in workflow.PROPOSAL_ROLES or action == Action.NOTE))
    assert verdict.allowed is expected, verdict.reason
    if not expected:
        assert verdict.reason


def test_a_proposal_is_discussed_decided_and_done():
    t = workflow.PROPOSAL_TRANSITIONS
    assert t[(Status.SUBMITTED, Action.DISCUSS)] == Status.DISCUSSING
    assert t[(Status.DISCUSSING, Action.DECIDE)] == Status.DECIDED
    assert t[(Status.DECIDED, Action.COMPLETE)] == Status.COMPLETED
    assert t[(Status.DISCUSSING, Action.REJECT)] == Status.REJECTED
    # Proposals do not take the personal-request steps, nor requests the proposal steps.
    assert (Status.SUBMITTED, Action.ACCEPT) not in t
    assert not {a for (_s, a) in workflow.TRANSITIONS} & {Action.DISCUSS, Action.DECIDE}
    assert Status.DISCUSSING.is_open and Status.DECIDED.is_open


def test_the_lifecycle_reads_as_intended():
    t = workflow.TRANSITIONS
    assert t[(Status.SUBMITTED, Action.ACCEPT)] == Status.ACCEPTED
    assert t[(Status.ACCEPTED, Action.START)] == Status.IN_PROGRESS
    assert t[(Status.IN_PROGRESS, Action.ASK_INFO)] == Status.NEEDS_INFO
    assert t[(Status.NEEDS_INFO, Action.RESUME)] == Status.IN_PROGRESS
    assert t[(Status.IN_PROGRESS, Action.COMPLETE)] == Status.COMPLETED
    assert t[(Status.COMPLETED, Action.CLOSE)] == Status.CLOSED
    # Finished tickets take notes only.
    for final in (Status.REJECTED, Status.CLOSED):
        assert {a for (s, a) in t if s == final} == {Action.NOTE}
    # Only admins reassign; volunteers never reject.
    assert [r for r in Role if Action.REASSIGN in workflow.ROLE_ACTIONS[r]] == [Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN]
    assert Action.REJECT not in workflow.ROLE_ACTIONS[Role.VOLUNTEER]


@pytest.mark.parametrize("action", [Action.START, Action.COMPLETE, Action.ASK_INFO])
def test_someone_elses_ticket_is_refused_by_name_unless_admin(action):
    owner, other, admin = actor(Role.COMMUNITY_STAFF, 1), actor(Role.COMMUNITY_STAFF, 2), actor(Role.COMMUNITY_ADMIN, 3)
    ticket = Ticket(status=Status.IN_PROGRESS if action != Action.START else Status.ACCEPTED, assignee_id=owner.id)
    ticket.assignee = owner
    verdict = workflow.check(other, ticket, action)
    assert not verdict.allowed and "community_staff-1" in verdict.reason
    assert workflow.check(admin, ticket, action).allowed


def test_work_on_an_unaccepted_ticket_asks_to_accept_first():
    me = actor(Role.GRID_WORKER)
    ticket = Ticket(status=Status.ACCEPTED, assignee_id=None)
    verdict = workflow.check(me, ticket, Action.START)
    assert not verdict.allowed and verdict.reason == "Accept the ticket first."


def test_the_open_ticket_indexes_name_exactly_the_open_states():
    from kiosk_app.models.ticket import OPEN_SQL

    assert OPEN_SQL == "status IN ({})".format(", ".join(f"'{s.value}'" for s in workflow.OPEN))
