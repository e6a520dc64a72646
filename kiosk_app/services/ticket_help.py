"""志愿云 for requests: a ticket whose service volunteers may help with (accompanying an elderly
resident, a small repair …) is offered by staff to the community's registered volunteers, as a task of
the ticket.  Volunteers read the service, the building and the date, never the resident's name or
number: staff put them in touch.  The volunteer checks in and out with the QR on the resident's own
ticket page (the resident shows it on arrival; staff may print it for a resident without a phone), so
the hours are counted where the help was given, and staff confirm them as for any task.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ConsultationTask, Role, Shift, Staff, TaskOwner, TaskState, Ticket
from ..models.ticket import TicketView
from . import catalogue, scope, volunteers
from .errors import Forbidden, InvalidInput
from .uow import use_case, write_turn


def task_of(ticket_id: int) -> ConsultationTask | None:
    return db.session.scalar(select(ConsultationTask).where(ConsultationTask.ticket_id == ticket_id))


def ticket_for_staff(actor: Staff, ticket_id) -> Ticket:
    ticket = scope.get_ticket(actor, ticket_id)
    if actor.role == Role.VOLUNTEER:
        raise Forbidden(_l("Your role may not use this page."))
    return ticket


def offer(actor: Staff, ticket_id, wanted) -> ConsultationTask:
    """Offer a volunteer-eligible ticket to the community's volunteers (how many are wanted; 0 takes the
    offer back).  Two offers at once make one task: the second finds the first."""
    try:
        with write_turn():
            return _offer(actor, ticket_id, wanted)
    except IntegrityError:
        db.session.rollback()
        with write_turn():
            return _offer(actor, ticket_id, wanted)


@use_case
def _offer(actor: Staff, ticket_id, wanted) -> ConsultationTask:
    ticket = ticket_for_staff(actor, ticket_id)
    if not ticket.service.volunteer_eligible:
        raise InvalidInput({"wanted": _l("This service is not one volunteers help with.")})
    if ticket.status.is_final:
        raise InvalidInput({"wanted": _l("This ticket is closed.")})
    task = task_of(ticket.id)
    if task is None:
        task = ConsultationTask(community_id=ticket.community_id, ticket_id=ticket.id, title=ticket.service_name_zh,
                                owner_kind=TaskOwner.VOLUNTEERS, due_on=ticket.due_date, state=TaskState.UNDERWAY)
        db.session.add(task)
    volunteers.set_wanted(task, wanted)
    db.session.flush()
    volunteers.audit(actor, volunteers.ticket_subject(ticket), {"task": task.id, "volunteers_wanted": task.volunteers_wanted})
    return task


@dataclass(frozen=True)
class Help:
    """A ticket's help as staff see it on the ticket."""

    task: ConsultationTask
    shifts: list[Shift]


def for_staff(actor: Staff, ticket: Ticket) -> Help | None:
    """The ticket's help, for an account that manages it (not a volunteer's account)."""
    if actor.role == Role.VOLUNTEER or not ticket.service.volunteer_eligible:
        return None
    task = task_of(ticket.id)
    return Help(task, volunteers.shifts(task)) if task is not None else None


def check_token_for_resident(ticket: TicketView) -> str | None:
    """The check-in QR's token the resident's page shows while a volunteer is signed up to help and has
    not checked out (looked for only on a ticket of a service volunteers help with)."""
    service = catalogue.service_ref(ticket.service.id)
    if service is None or not service.volunteer_eligible or ticket.status.is_final:
        return None
    return db.session.scalar(
        select(ConsultationTask.check_token)
        .where(ConsultationTask.ticket_id == ticket.id, ConsultationTask.volunteers_wanted > 0,
               ConsultationTask.state != TaskState.DONE,
               select(func.count(Shift.id)).where(Shift.task_id == ConsultationTask.id, Shift.checked_out_at.is_(None))
               .scalar_subquery() > 0))
