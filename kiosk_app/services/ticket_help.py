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
from sqlalchemy import String, exists, literal_column, select, type_coerce
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ConsultationTask, Role, Shift, Staff, TaskOwner, TaskState, Ticket
from ..models.ticket import TicketView
from . import catalogue, scope, volunteer_tasks, volunteers
from .errors import Forbidden, InvalidInput
from .uow import use_case, write_turn


def task_of(ticket_id: int) -> ConsultationTask | None:
    return db.session.scalar(select(ConsultationTask).where(ConsultationTask.ticket_id == ticket_id))


def volunteer_ids(ticket_id: int) -> list[int]:
    return list(db.session.scalars(select(Shift.volunteer_id).join(ConsultationTask, ConsultationTask.id == Shift.task_id)
                                   .where(ConsultationTask.ticket_id == ticket_id).order_by(Shift.id)))


def ticket_for_staff(actor: Staff, ticket_id) -> Ticket:
    ticket = scope.get_ticket(actor, ticket_id)
    if actor.role == Role.VOLUNTEER:
        raise Forbidden(_l("Your role may not use this page."))
    return ticket


def offer(actor: Staff, ticket_id, wanted) -> ConsultationTask:
    """Offer a volunteer-eligible open ticket to the community's volunteers (how many are wanted; 0 takes
    the offer back, whatever became of the ticket or its service).  Two offers at once make one task: the
    second finds the first."""
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
    task = task_of(ticket.id)
    taking_back = task is not None and volunteer_tasks.count_typed(wanted, volunteer_tasks.WANTED_MOST) == 0
    if not ticket.service.volunteer_eligible and not taking_back:
        raise InvalidInput({"wanted": _l("This service is not one volunteers help with.")})
    if ticket.status.is_final and not taking_back:
        raise InvalidInput({"wanted": _l("This ticket is closed.")})
    if task is None:
        task = ConsultationTask(community_id=ticket.community_id, ticket_id=ticket.id, title=ticket.service_name_zh,
                                title_en=ticket.service_name_en,
                                owner_kind=TaskOwner.VOLUNTEERS, due_on=ticket.due_date, state=TaskState.UNDERWAY)
        db.session.add(task)
    volunteer_tasks.set_wanted(task, wanted)
    db.session.flush()
    volunteer_tasks.audit(actor, volunteer_tasks.ticket_subject(ticket), {"task": task.id, "volunteers_wanted": task.volunteers_wanted})
    return task


@dataclass(frozen=True)
class Help:
    """A ticket's help as staff see it on the ticket."""

    task: ConsultationTask
    shifts: list[Shift]


def for_staff(actor: Staff, ticket: Ticket) -> Help | None:
    """The ticket's help, for an account that manages it (not a volunteer's account)."""
    if actor.role == Role.VOLUNTEER:
        return None
    task = task_of(ticket.id)
    return Help(task, volunteers.shifts(task)) if task is not None else None


def helping(ticket_id):
    """The check-in QR's token of a ticket's help while a volunteer is signed up and has not checked out
    (``ticket_id``: a value, or the ticket's column in a larger statement: web/status_pages.py keeps the
    resident's page by what this reads)."""
    # (literals, not parameters: the kept pages run the statement with the token as its one parameter)
    return (select(ConsultationTask.check_token)
            .where(ConsultationTask.ticket_id == ticket_id, ConsultationTask.volunteers_wanted > literal_column("0"),
                   type_coerce(ConsultationTask.state, String) != literal_column(f"'{TaskState.DONE.value}'"),
                   exists().where(Shift.task_id == ConsultationTask.id, Shift.checked_out_at.is_(None)))
            .scalar_subquery())


def check_token_for_resident(ticket: TicketView) -> str | None:
    """The check-in QR's token the resident's page shows (looked for only on an open ticket of a service
    volunteers help with)."""
    service = catalogue.service_ref(ticket.service.id)
    if service is None or not service.volunteer_eligible or ticket.status.is_final:
        return None
    return db.session.scalar(select(helping(ticket.id)))
