"""The ticket lifecycle: one transition table, the roles that may act, and applying an action.

Every change is checked here (state, role, scope, assignment, version), whether it comes from
a page, the CLI or an API, and every change is recorded as a ``TicketEvent``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Role, Staff, Status, Ticket, TicketEvent, TicketEventKind
from ..models.base import utcnow
from . import event_texts, notifications, scope, workdays
from .admin.audit import AuditAction, record
from .errors import Conflict, DomainError, InvalidInput, NotFound
from .uow import unit_of_work, use_case

NOTE_MAX = 1000


class _ActionKind(enum.StrEnum):
    @property
    def label(self) -> str:
        """The action's button (the timeline names what it did: ``TicketEventKind``)."""
        return str(ACTION_LABELS[self])


_K = TicketEventKind
# The lifecycle's actions: the kinds of ticket event that a member of staff (or the locker) performs,
# so an action and the event recording it share one name and value.  RECEIVE, WITHDRAW and PICK_UP are
# done through the locker, never as a button; DISCUSS and DECIDE are for proposals (民事民提) only.
Action = _ActionKind("Action", [(kind.name, kind.value) for kind in (
    _K.ACCEPT, _K.START, _K.ASK_INFO, _K.RESUME, _K.COMPLETE, _K.REJECT, _K.CLOSE, _K.REASSIGN, _K.NOTE,
    _K.RECEIVE, _K.WITHDRAW, _K.PICK_UP, _K.DISCUSS, _K.DECIDE)], module=__name__)


ACTION_LABELS = {
    Action.ACCEPT: _l("Accept"),
    Action.START: _l("Start work"),
    Action.ASK_INFO: _l("Ask the resident for more information"),
    Action.RESUME: _l("Resume"),
    Action.COMPLETE: _l("Complete"),
    Action.REJECT: _l("Reject"),
    Action.CLOSE: _l("Close"),
    Action.REASSIGN: _l("Reassign"),
    Action.NOTE: _l("Add an internal note"),
    Action.RECEIVE: _l("Papers collected from the locker"),
    Action.WITHDRAW: _l("Drop-off withdrawn"),
    Action.PICK_UP: _l("Result picked up"),
    Action.DISCUSS: _l("Put up for discussion"),
    Action.DECIDE: _l("Record the decision"),
}

S = Status
OPEN = tuple(s for s in Status if s.is_open)

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, Action.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, Action.ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, Action.RECEIVE): S.RECEIVED,
    (S.SUBMITTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.COMPLETED, Action.PICK_UP): S.CLOSED,
    (S.ACCEPTED, Action.START): S.IN_PROGRESS,
    (S.ACCEPTED, Action.ASK_INFO): S.NEEDS_INFO,
    (S.IN_PROGRESS, Action.ASK_INFO): S.NEEDS_INFO,
    (S.NEEDS_INFO, Action.RESUME): S.IN_PROGRESS,
    (S.ACCEPTED, Action.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, Action.COMPLETE): S.COMPLETED,
    (S.SUBMITTED, Action.REJECT): S.REJECTED,
    (S.RECEIVED, Action.REJECT): S.REJECTED,
    (S.ACCEPTED, Action.REJECT): S.REJECTED,
    (S.IN_PROGRESS, Action.REJECT): S.REJECTED,
    (S.NEEDS_INFO, Action.REJECT): S.REJECTED,
    (S.COMPLETED, Action.CLOSE): S.CLOSED,
    # Actions that keep the state.
    **{(state, Action.REASSIGN): state for state in OPEN},
    **{(state, Action.NOTE): state for state in Status},
}

# A proposal goes to the residents' discussion, is decided, then carried out (or not adopted).
PROPOSAL_TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, Action.DISCUSS): S.DISCUSSING,
    (S.DISCUSSING, Action.DECIDE): S.DECIDED,
    (S.DECIDED, Action.COMPLETE): S.COMPLETED,
    (S.SUBMITTED, Action.REJECT): S.REJECTED,
    (S.DISCUSSING, Action.REJECT): S.REJECTED,
    (S.COMPLETED, Action.CLOSE): S.CLOSED,
    **{(state, Action.REASSIGN): state for state in (S.SUBMITTED, S.DISCUSSING, S.DECIDED)},
    **{(state, Action.NOTE): state for state in Status},
}
# Proposals concern the whole community: its staff and admins take them up (anyone in scope may note).
PROPOSAL_ROLES = {Role.COMMUNITY_STAFF, Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN}


def is_proposal(ticket: Ticket) -> bool:
    return ticket.service is not None and ticket.service.is_proposal


def transitions_for(ticket: Ticket) -> dict[tuple[Status, Action], Status]:
    return PROPOSAL_TRANSITIONS if is_proposal(ticket) else TRANSITIONS


_WORK = {Action.ACCEPT, Action.START, Action.ASK_INFO, Action.RESUME, Action.COMPLETE, Action.NOTE}
_STAFF_ACTIONS = frozenset(set(Action) - {Action.RECEIVE, Action.WITHDRAW, Action.PICK_UP})
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.VOLUNTEER: frozenset(_WORK),
    Role.GRID_WORKER: frozenset(_WORK | {Action.REJECT, Action.CLOSE}),
    Role.COMMUNITY_STAFF: frozenset(_WORK | {Action.REJECT, Action.CLOSE, Action.DISCUSS, Action.DECIDE}),
    Role.COMMUNITY_ADMIN: _STAFF_ACTIONS,
    Role.DISTRICT_ADMIN: _STAFF_ACTIONS,
}

# Once a ticket is someone's, only they (or an admin) move it on.
ASSIGNEE_ONLY = {Action.START, Action.ASK_INFO, Action.RESUME, Action.COMPLETE, Action.REJECT, Action.CLOSE,
                 Action.ACCEPT, Action.DISCUSS, Action.DECIDE}
TAKING_UP = {Action.ACCEPT, Action.DISCUSS}  # these make the ticket the actor's
NOTE_REQUIRED = {
    Action.ASK_INFO: _l("Write what the resident should bring or tell you."),
    Action.COMPLETE: _l("Write the result for the resident."),
    Action.REJECT: _l("Give the reason, so the resident knows why and what to do."),
    Action.NOTE: _l("The note is empty."),
    Action.DECIDE: _l("Write what was decided, so residents can read it."),
}
# Seen on the resident's status page (with their note); the others are internal.
PUBLIC = {Action.ACCEPT, Action.START, Action.ASK_INFO, Action.RESUME, Action.COMPLETE, Action.REJECT, Action.CLOSE,
          Action.RECEIVE, Action.WITHDRAW, Action.PICK_UP, Action.DISCUSS, Action.DECIDE}
LOCKER_ACTIONS = {Action.RECEIVE, Action.WITHDRAW, Action.PICK_UP}


@dataclass(frozen=True)
class Check:
    allowed: bool
    reason: str = ""


def check(actor: Staff, ticket: Ticket, action: Action) -> Check:
    """May this account do this to this ticket now?  (The ticket is already known to be in scope.)"""
    if action not in ROLE_ACTIONS[actor.role]:
        return Check(False, str(_l("Your role may not do this: %(action)s.", action=action.label)))
    if is_proposal(ticket) and action != Action.NOTE and actor.role not in PROPOSAL_ROLES:
        return Check(False, str(_l("Proposals are taken up by community staff.")))
    if (ticket.status, action) not in transitions_for(ticket):
        return Check(False, str(_l("A ticket that is “%(status)s” cannot be changed with “%(action)s”.",
                                   status=ticket.status.label, action=action.label)))
    if action in ASSIGNEE_ONLY and not actor.role.is_admin and ticket.assignee_id not in (None, actor.id):
        return Check(False, str(_l("This ticket is assigned to %(name)s.", name=ticket.assignee.display_name)))
    if action in ASSIGNEE_ONLY - TAKING_UP - {Action.REJECT} and not actor.role.is_admin \
            and ticket.assignee_id is None:
        return Check(False, str(_l("Accept the ticket first.")))
    return Check(True)


def available_actions(actor: Staff, ticket: Ticket) -> list[Action]:
    return [action for action in Action if check(actor, ticket, action).allowed]


def apply_action(
    actor: Staff,
    ticket_id,
    action: str,
    *,
    note: str = "",
    version: int | str | None = None,
    physical_result: bool = False,
    assignee_id=None,
) -> Ticket:
    try:
        with unit_of_work():
            return _apply(actor, ticket_id, action, note=note, version=version, physical_result=physical_result,
                          assignee_id=assignee_id)
    except StaleDataError:  # the version check at the commit: someone else changed it first
        fresh = scope.get_ticket(actor, ticket_id)
        raise Conflict(_changed_meanwhile(fresh)) from None


def _apply(actor: Staff, ticket_id, action: str, *, note: str, version, physical_result: bool,
           assignee_id, params: str = "") -> Ticket:
    """``params``: the step's parameters, for a line the system writes in the reader's language
    (services/event_texts.py); ``note`` stays as stored (what staff, exports and older readers see)."""
    try:
        action = Action(action)
    except ValueError:
        raise NotFound(_l("There is no such action.")) from None
    ticket = scope.get_ticket(actor, ticket_id)
    if version not in (None, "") and str(ticket.version) != str(version):
        raise Conflict(_changed_meanwhile(ticket))
    verdict = check(actor, ticket, action)
    if not verdict.allowed:
        raise DomainError(verdict.reason)

    note = (note or "").strip()
    if action in NOTE_REQUIRED and not note:
        raise InvalidInput({"note": str(NOTE_REQUIRED[action])})
    if len(note) > NOTE_MAX:
        raise InvalidInput({"note": str(_l("A note can have at most %(max)d characters.", max=NOTE_MAX))})

    before = ticket.status
    now = utcnow()
    if action == Action.REASSIGN:
        assignee = _assignable(actor, ticket, assignee_id)
        params = event_texts.params_json(assignee=assignee.display_name)  # shown in the reader's language
        ticket.assignee_id = assignee.id
    if action in TAKING_UP:
        ticket.assignee_id = actor.id
    if action == Action.COMPLETE:
        ticket.completed_at = now
        ticket.working_seconds = workdays.office_seconds(ticket.created_at, now, current_app.config["OFFICE_HOURS"])
        ticket.physical_result = bool(physical_result)
    ticket.status = transitions_for(ticket)[(before, action)]
    ticket.updated_at = now
    # Loading the events would flush the change early; the version check belongs to the commit.
    with db.session.no_autoflush:
        if action == Action.ASK_INFO:
            notifications.enqueue(ticket, "needs_info")
        elif action == Action.COMPLETE and not ticket.physical_result:
            notifications.enqueue(ticket, "done")
        ticket.events.append(TicketEvent(
            action=TicketEventKind(action.value),
            from_status=before,
            to_status=ticket.status,
            actor_staff_id=actor.id,
            note=note,
            params=params,
            public=action in PUBLIC,
            created_at=now,
        ))
    return ticket


def record_locker_transition(ticket: Ticket, action: Action, *, note: str = "", actor: Staff | None = None,
                             actor_label: str = "") -> None:
    """A change that the locker makes (papers collected, drop-off withdrawn, result picked up).

    Part of the caller's unit of work: recorded with the locker change that caused it.
    """
    if action not in LOCKER_ACTIONS:
        raise ValueError(action)
    before = ticket.status
    now = utcnow()
    # The physical fact is recorded whatever staff did meanwhile (accepted the ticket before
    # collecting the papers, closed it before the pickup): it moves the status only where the
    # lifecycle allows, and is never refused, since the door has already closed.
    ticket.status = TRANSITIONS.get((before, action), before)
    ticket.updated_at = now
    with db.session.no_autoflush:
        ticket.events.append(TicketEvent(action=TicketEventKind(action.value), from_status=before,
                                         to_status=ticket.status, actor_staff_id=actor.id if actor else None,
                                         actor_label=actor_label, note=note, public=True, created_at=now))


def _changed_meanwhile(ticket: Ticket) -> str:
    return str(_l("Someone else changed this ticket a moment ago; it is now “%(status)s”. "
                  "Here is its current state.", status=ticket.status.label))


def _assignable(actor: Staff, ticket: Ticket, assignee_id) -> Staff:
    from .validation import record_id

    staff_id = record_id(assignee_id)
    assignee = db.session.get(Staff, staff_id) if staff_id else None
    if assignee is None or not assignee.active or assignee.role == Role.VOLUNTEER and not ticket.service.volunteer_eligible:
        raise InvalidInput({"assignee": str(_l("Choose a colleague who can see this ticket."))})
    try:
        scope.get_ticket(assignee, ticket.id)
    except NotFound:
        raise InvalidInput({"assignee": str(_l("Choose a colleague who can see this ticket."))}) from None
    return assignee


def reassign_candidates(actor: Staff, ticket: Ticket) -> list[Staff]:
    """The colleagues ``actor`` may hand the ticket to: none unless an admin."""
    return candidates_for(ticket) if actor.role.is_admin else []


def candidates_for(ticket: Ticket) -> list[Staff]:
    """Colleagues a ticket may be reassigned to: active accounts whose scope includes it (one query)."""
    from sqlalchemy import or_, select

    from ..models import Area, StaffGrid

    street_id = db.session.scalar(select(Area.parent_id).where(Area.id == ticket.community_id))
    district_id = db.session.scalar(select(Area.parent_id).where(Area.id == street_id)) if street_id else None
    community_roles = [Role.COMMUNITY_STAFF, Role.COMMUNITY_ADMIN]
    if ticket.service.volunteer_eligible:
        community_roles.append(Role.VOLUNTEER)
    in_grid = select(StaffGrid.staff_id).where(StaffGrid.grid_id == ticket.grid_id)
    stmt = select(Staff).where(Staff.active.is_(True), or_(
        (Staff.role.in_(community_roles)) & (Staff.area_id == ticket.community_id),
        (Staff.role == Role.GRID_WORKER) & Staff.id.in_(in_grid),
        (Staff.role == Role.DISTRICT_ADMIN) & (Staff.area_id == district_id),
    )).order_by(Staff.display_name)
    return list(db.session.scalars(stmt))


@use_case
def mark_opened(actor: Staff, ticket: Ticket) -> None:
    """The first time staff open a ticket it stops being 'new' in the queue."""
    if ticket.opened_at is None:
        # A plain UPDATE: opening is not a change of the ticket and must not bump its version.
        from sqlalchemy import update

        db.session.execute(
            update(Ticket.__table__)
            .where(Ticket.__table__.c.id == ticket.id, Ticket.__table__.c.opened_at.is_(None))
            .values(opened_at=utcnow())
        )


@use_case
def reveal_personal_data(actor: Staff, ticket_id) -> Ticket:
    """Show a resident's name, mobile and ID number unmasked; every such view is recorded."""
    ticket = scope.get_ticket(actor, ticket_id)
    if not scope.may_see_personal_data(actor, ticket):
        raise DomainError(_l("Your role may not see this resident's personal data."))
    ticket.events.append(TicketEvent(action=TicketEventKind.PERSONAL_DATA_VIEWED, actor_staff_id=actor.id,
                                     public=False, created_at=utcnow()))
    from .ticket_help import volunteer_ids

    helpers = volunteer_ids(ticket.id)  # the volunteers signed up to help are shown in full too
    record(actor, AuditAction.VIEW_PERSONAL_DATA, "ticket", ticket.id, name=ticket.number,
           area_id=ticket.community_id,  # the auditor's one list of who saw what
           **({"after": {"volunteers": helpers}} if helpers else {}))
    return ticket
