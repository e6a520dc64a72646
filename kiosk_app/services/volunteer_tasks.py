"""志愿云, as staff run it: a task (of a decided matter, or a ticket's help: services/ticket_help.py)
offered to the community's volunteers, its check-in QR renewed, a place freed before the check-in, and
the minutes confirmed that the volunteers' ledger counts.  What an account may do with a task's
volunteers is what it may do with the consultation or the ticket the task is for; each change is
audited.
"""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from ..extensions import db
from ..models import ConsultationTask, Shift, Staff, Ticket
from ..models.base import utcnow
from ..models.volunteer import MINUTES_MOST
from . import consultations
from .admin.audit import AuditAction, record
from .errors import InvalidInput, NotFound
from .uow import use_case
from .validation import record_id
from .volunteers import free

WANTED_MOST = 200  # volunteers a task asks for


def authorised(actor: Staff, task: ConsultationTask) -> dict:
    """What an account may do with a task's volunteers is what it may do with the consultation or the
    ticket the task is for (another community's: not found); a volunteer's account does not manage
    volunteers.  The audit record's subject, as keywords."""
    if task.ticket_id is not None:
        from .ticket_help import ticket_for_staff

        return ticket_subject(ticket_for_staff(actor, task.ticket_id))
    consultation = consultations.get_for_staff(actor, task.consultation_id)
    return {"entity": "consultation", "entity_id": consultation.id, "name": consultation.title,
            "area_id": consultation.community_id}


def ticket_subject(ticket: Ticket) -> dict:
    return {"entity": "ticket", "entity_id": ticket.id, "name": ticket.number, "area_id": ticket.community_id}


def audit(actor: Staff, subject: dict, after: dict) -> None:
    record(actor, AuditAction.UPDATE, subject["entity"], subject["entity_id"], name=subject["name"],
           area_id=subject["area_id"], after=after)


def count_typed(value, most: int) -> int | None:
    """A whole number from 0 to ``most`` typed in a form, or None."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 and int(text) <= most else None


@use_case
def offer(actor: Staff, task_id, wanted) -> ConsultationTask:
    """Offer a task to the community's volunteers (how many are wanted), with its QR for the spot."""
    task = db.session.get(ConsultationTask, record_id(task_id) or 0)
    if task is None or task.consultation_id is None:  # (a ticket's: services/ticket_help.offer)
        raise NotFound(_l("We could not find this task."))
    subject = authorised(actor, task)
    set_wanted(task, wanted)
    audit(actor, subject, {"task": task.id, "volunteers_wanted": task.volunteers_wanted})
    return task


def set_wanted(task: ConsultationTask, wanted) -> None:
    number = count_typed(wanted, WANTED_MOST)
    if number is None:
        raise InvalidInput({"wanted": _l("How many volunteers: a number from 0 to %(most)d.", most=WANTED_MOST)})
    if number == 0 and not task.volunteers_wanted:
        raise InvalidInput({"wanted": _l("Nothing is offered to volunteers yet: say how many are wanted.")})
    task.volunteers_wanted = number
    task.check_token = task.check_token or secrets.token_urlsafe(16)


@use_case
def renew_check(actor: Staff, task_id, *, of: tuple[str, int]) -> ConsultationTask:
    """A new check-in QR for a task offered (``of`` as for ``confirm_minutes``): the old one, printed or
    photographed and passed on, checks nobody in or out from now on."""
    task = db.session.get(ConsultationTask, record_id(task_id) or 0)
    if task is None or not task.check_token or _of(task) != of:
        raise NotFound(_l("We could not find this task."))
    subject = authorised(actor, task)
    task.check_token = secrets.token_urlsafe(16)
    audit(actor, subject, {"task": task.id, "check_in_qr": "renewed"})
    return task


def _of(task: ConsultationTask) -> tuple[str, int]:
    return ("ticket", task.ticket_id) if task.ticket_id is not None else ("consultation", task.consultation_id)


@use_case
def remove_sign_up(actor: Staff, shift_id, *, of: tuple[str, int]) -> None:
    """A volunteer who will not come (said so by phone, or did not come): staff free the place, before
    any check-in (what was done on the spot stays)."""
    shift = db.session.get(Shift, record_id(shift_id) or 0)
    task = db.session.get(ConsultationTask, shift.task_id) if shift else None
    if shift is None or _of(task) != of:
        raise NotFound(_l("We could not find this shift."))
    subject = authorised(actor, task)
    shift_id = shift.id
    if not free(shift_id):
        raise InvalidInput({"shift": _l("This volunteer has checked in: the shift stays.")})
    audit(actor, subject, {"task": task.id, "sign_up_removed": shift_id})


@use_case
def confirm_minutes(actor: Staff, shift_id, minutes, *, of: tuple[str, int]) -> Shift:
    """Staff confirm the minutes a volunteer gave (what the ledger counts), on the page of the task's
    consultation or ticket (``of``: ("consultation" or "ticket", its id))."""
    shift = db.session.get(Shift, record_id(shift_id) or 0)
    task = db.session.get(ConsultationTask, shift.task_id) if shift else None
    if shift is None or _of(task) != of:
        raise NotFound(_l("We could not find this shift."))
    subject = authorised(actor, task)
    value = count_typed(minutes, MINUTES_MOST)
    if value is None:
        raise InvalidInput({"minutes": _l("Minutes: a number from 0 to %(most)d.", most=MINUTES_MOST)})
    if not db.session.execute(update(Shift).where(Shift.id == shift.id)  # (not a sign-up freed this moment)
                              .values(minutes_confirmed=value, confirmed_by_id=actor.id, confirmed_at=utcnow())
                              .execution_options(synchronize_session="fetch")).rowcount:
        raise NotFound(_l("We could not find this shift."))
    audit(actor, subject, {"shift": shift.id, "minutes": value})
    return shift
