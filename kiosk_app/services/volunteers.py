"""志愿云: residents register as volunteers of their community (a mobile proved by a texted code, their
skills, when they are free); tasks of decided matters that want volunteers are offered to them; they
sign up, check in and out with the task's QR on the spot, and their hours — as staff confirm them —
accumulate in a ledger they can see (the community's time bank).  A volunteer-eligible ticket that
staff offer is a task the same way (services/ticket_help.py).  Staff's side: services/volunteer_tasks.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Area, Building, Consultation, ConsultationTask, Service, Shift, TaskState, Ticket, Volunteer
from ..models.base import utcnow
from ..models.sealed import lookup, lookups
from ..models.ticket import Status
from . import codes
from .errors import InvalidInput, NotFound
from .locales import parsed_locale
from .uow import use_case, write_turn
from .validation import FieldError, clean_name, record_id

TEXT_MAX = 200
NOT_OPEN = _l("This task no longer takes volunteers.")
CODE_TEXT = _l("[Community Cloud Locker] Your code to register as a volunteer is %(code)s, valid %(minutes)d minutes.")
SIGN_IN_TEXT = _l("[Community Cloud Locker] Your volunteer's sign-in code is %(code)s, valid %(minutes)d minutes.")


def _purpose(community_id: int) -> str:
    return f"volunteer:{community_id}"


def _text(template, locale: str):
    def text(code: str) -> tuple[str, dict]:
        params = {"code": code, "minutes": codes.CODE_MINUTES}
        with force_locale(parsed_locale(locale)):
            return str(template) % params, params
    return text


# -- registering and signing in ------------------------------------------------------------------------

def ask_code(community: Area, form: dict, locale: str = "zh_CN") -> None:
    """Register (name, mobile, skills, when free) or sign in again (mobile alone): a code is texted to
    the number; the registration waits for it, unconfirmed."""
    mobile = codes.clean(form.get("mobile"))
    values = {}
    if form.get("name") is not None:  # registering
        errors = {}
        try:
            values["name"] = clean_name(form.get("name"))
        except FieldError as error:
            errors["name"] = error.message
        for field in ("skills", "available"):
            values[field] = " ".join((form.get(field) or "").split())
            if len(values[field]) > TEXT_MAX:
                errors[field] = _l("At most %(max)d characters.", max=TEXT_MAX)
        if errors:
            raise InvalidInput(errors)
    codes.may_ask(_purpose(community.id), mobile)
    _write(community.id, mobile, values, locale)


@use_case
def _write(community_id: int, mobile: str, values: dict, locale: str) -> None:
    found = db.session.scalar(select(Volunteer).where(Volunteer.community_id == community_id,
                                                     Volunteer.mobile_lookup.in_(lookups(mobile))))
    if values:
        if found is None:
            found = Volunteer(community_id=community_id, mobile=mobile, mobile_lookup=lookup(mobile), **values)
            db.session.add(found)
            db.session.flush()
        elif found.verified_at is None or not found.active:  # (not confirmed yet, or left: the latest words count)
            for name, value in values.items():
                setattr(found, name, value)
            found.active = True
    # (signing in: a text only to a volunteer's number, the row whatever the number)
    codes.write(_purpose(community_id), mobile, _text(CODE_TEXT if values else SIGN_IN_TEXT, locale),
                kind="volunteer_code", subject_id=found.id if found is not None else None,
                texted=found is not None and (bool(values) or (found.verified_at is not None and found.active)))


def confirm(community: Area, number: str | None, code: str | None, page: str = "") -> int:
    """The volunteer the code proves (their registration confirmed now, if it was not): their id."""
    found = codes.redeem(_purpose(community.id), number, code, page)
    return _confirmed(community.id, found.subject_id)


@use_case
def _confirmed(community_id: int, volunteer_id: int | None) -> int:
    volunteer = db.session.get(Volunteer, volunteer_id or 0)
    if volunteer is None or volunteer.community_id != community_id or not volunteer.active:
        raise InvalidInput({"code": _l("This number is not registered as a volunteer here. Register first.")})
    if volunteer.verified_at is None:
        volunteer.verified_at = utcnow()
    return volunteer.id


def get(volunteer_id) -> Volunteer | None:
    volunteer = db.session.get(Volunteer, record_id(volunteer_id) or 0)
    return volunteer if volunteer is not None and volunteer.active and volunteer.verified_at else None


# -- tasks offered, shifts ------------------------------------------------------------------------------

FINAL = [status for status in Status if status.is_final]


@dataclass(frozen=True)
class Offer:
    task: ConsultationTask
    taken: int  # volunteers signed up
    mine: Shift | None  # the volunteer's own sign-up
    place: str  # the consultation it carries out, or the building a ticket's help is for

    @property
    def for_ticket(self) -> bool:
        return self.task.ticket_id is not None


def _open_tasks():
    """Tasks that want volunteers and are not done; a ticket's help only while the ticket is open and its
    service one volunteers help with."""
    return (select(ConsultationTask, Consultation.title, Building)
            .outerjoin(Consultation, Consultation.id == ConsultationTask.consultation_id)
            .outerjoin(Ticket, Ticket.id == ConsultationTask.ticket_id)
            .outerjoin(Service, Service.id == Ticket.service_id)
            .outerjoin(Building, Building.id == Ticket.building_id)
            .where(ConsultationTask.volunteers_wanted > 0, ConsultationTask.state != TaskState.DONE,
                   ConsultationTask.ticket_id.is_(None) | (Ticket.status.not_in(FINAL) & Service.volunteer_eligible)))


def offered(volunteer: Volunteer) -> list[Offer]:
    """The community's tasks (and tickets' help) that want volunteers now, soonest first.  A ticket's
    help shows the service and the building: never the resident's name or number (staff put them in
    touch)."""
    found = db.session.execute(_open_tasks().where(ConsultationTask.community_id == volunteer.community_id)
                               .order_by(ConsultationTask.due_on, ConsultationTask.id)).all()
    ids = [task.id for task, _title, _building in found]
    taken = dict(db.session.execute(select(Shift.task_id, func.count()).where(Shift.task_id.in_(ids))
                                    .group_by(Shift.task_id)).all())
    mine = {shift.task_id: shift for shift in db.session.scalars(
        select(Shift).where(Shift.volunteer_id == volunteer.id, Shift.task_id.in_(ids)))}
    return [Offer(task, taken.get(task.id, 0), mine.get(task.id), building.name if building else title or "")
            for task, title, building in found]


def _task_for(volunteer: Volunteer, task_id) -> ConsultationTask:
    task_id = record_id(task_id) or 0
    found = db.session.execute(_open_tasks().where(ConsultationTask.id == task_id)).first()
    if found is None:
        task = db.session.get(ConsultationTask, task_id)
        if task is not None and task.community_id == volunteer.community_id and task.volunteers_wanted > 0:
            raise InvalidInput({"task": NOT_OPEN})
        raise NotFound(_l("We could not find this task."))
    if found[0].community_id != volunteer.community_id:
        raise NotFound(_l("We could not find this task."))
    return found[0]


def sign_up(volunteer: Volunteer, task_id) -> Shift:
    """Sign up for a task offered, while places are left (sign-ups queue on the task: none past the
    number wanted, however many arrive at once; a second tap finds the first)."""
    try:
        with write_turn():
            return _sign_up(volunteer, task_id)
    except IntegrityError:  # (the same volunteer's taps at once: the first one holds)
        db.session.rollback()
        raise InvalidInput({"task": _l("You signed up for this task already.")}) from None


@use_case
def _sign_up(volunteer: Volunteer, task_id) -> Shift:
    task = db.session.get(ConsultationTask, record_id(task_id) or 0)
    existing = task and db.session.scalar(select(Shift).where(Shift.task_id == task.id, Shift.volunteer_id == volunteer.id))
    if existing is not None and task.community_id == volunteer.community_id:
        return existing
    task = _task_for(volunteer, task_id)
    task = db.session.scalar(select(ConsultationTask).where(ConsultationTask.id == task.id).with_for_update()
                             .execution_options(populate_existing=True))
    if task.state == TaskState.DONE or task.volunteers_wanted <= 0:
        raise InvalidInput({"task": NOT_OPEN})
    if db.session.scalar(select(func.count(Shift.id)).where(Shift.task_id == task.id)) >= task.volunteers_wanted:
        raise InvalidInput({"task": _l("Enough volunteers have signed up for this task. Thank you!")})
    shift = Shift(task_id=task.id, volunteer_id=volunteer.id)
    db.session.add(shift)
    db.session.flush()
    return shift


# A sign-up not begun (Shift.begun, in SQL): no check-in, no minutes confirmed (staff may confirm minutes
# given without one).
NOT_BEGUN = (Shift.checked_in_at.is_(None), Shift.minutes_confirmed.is_(None))


def free(shift_id: int) -> bool:
    """Delete the sign-up if it has not begun: one statement, so a check-in or a confirmation at the
    same moment either comes first (and the sign-up stays) or finds it gone."""
    return db.session.execute(delete(Shift).where(Shift.id == shift_id, *NOT_BEGUN)
                              .execution_options(synchronize_session="fetch")).rowcount == 1


@use_case
def withdraw(volunteer: Volunteer, task_id) -> None:
    """Take back one's sign-up before checking in: the place is free for another volunteer."""
    shift_id = db.session.scalar(select(Shift.id).where(Shift.task_id == (record_id(task_id) or 0),
                                                        Shift.volunteer_id == volunteer.id))
    if shift_id is None:
        raise InvalidInput({"task": _l("You have not signed up for this task.")})
    if not free(shift_id):
        raise InvalidInput({"task": _l("You have checked in: check out with the task's QR when you leave.")})


@use_case
def leave(volunteer: Volunteer) -> None:
    """The volunteer no longer wants to be one: their name and number go; their confirmed hours stay
    in the figures, as nobody's.  Sign-ups not yet begun free their places; a shift on the spot ends
    now."""
    volunteer = db.session.get(Volunteer, volunteer.id)
    db.session.execute(delete(Shift).where(Shift.volunteer_id == volunteer.id, *NOT_BEGUN)
                       .execution_options(synchronize_session="fetch"))
    db.session.execute(update(Shift).where(Shift.volunteer_id == volunteer.id, Shift.checked_in_at.is_not(None),
                                           Shift.checked_out_at.is_(None))
                       .values(checked_out_at=utcnow()).execution_options(synchronize_session="fetch"))
    volunteer.active, volunteer.name, volunteer.mobile = False, "", ""
    volunteer.mobile_lookup = f"left:{volunteer.id}"
    volunteer.skills = volunteer.available = ""


def is_open(task: ConsultationTask) -> bool:
    """Whether the task takes sign-ups and check-ins (a ticket's help: while the ticket is open)."""
    return db.session.execute(_open_tasks().where(ConsultationTask.id == task.id)).first() is not None


def task_by_token(token: str) -> ConsultationTask:
    task = db.session.scalar(select(ConsultationTask).where(ConsultationTask.check_token == (token or "")[:32]))
    if task is None or not token:
        raise NotFound(_l("We could not find this task."))
    return task


CHECK_IN, CHECK_OUT = "in", "out"


@use_case
def check(volunteer: Volunteer, token: str, action: str) -> Shift:
    """Check in at the task's place (its QR) while the task is offered and not done, and out again
    whatever became of it since; the button says which, so a second tap does not turn an arrival into a
    departure."""
    task = task_by_token(token)
    shift = db.session.scalar(select(Shift).where(Shift.task_id == task.id, Shift.volunteer_id == volunteer.id))
    if shift is None:
        raise InvalidInput({"task": _l("Sign up for this task first.")})
    if shift.checked_in_at is None and not is_open(task):  # (a volunteer on the spot can always check out)
        raise InvalidInput({"task": NOT_OPEN})
    if shift.checked_out_at is not None:
        raise InvalidInput({"task": _l("You have checked in and out of this task already.")})
    if action == CHECK_IN and shift.checked_in_at is None:
        _stamp(shift, Shift.checked_in_at.is_(None), checked_in_at=utcnow())
    elif action == CHECK_OUT and shift.checked_in_at is not None:
        _stamp(shift, Shift.checked_out_at.is_(None), checked_out_at=utcnow())
    elif action == CHECK_OUT:
        raise InvalidInput({"task": _l("Check in first, when you arrive.")})
    elif action != CHECK_IN:
        raise InvalidInput({"task": _l("Press the button on the task's page.")})
    return shift


def _stamp(shift: Shift, unless_done, **values) -> None:
    """Write the arrival or departure in one statement, if the sign-up is still there and it is not
    written yet (a second phone, a sign-up taken back at the same moment)."""
    shift_id = shift.id
    written = db.session.execute(update(Shift).where(Shift.id == shift_id, unless_done).values(**values)
                                 .execution_options(synchronize_session="fetch")).rowcount
    if not written and db.session.scalar(select(Shift.id).where(Shift.id == shift_id)) is None:
        raise InvalidInput({"task": _l("Sign up for this task first.")})


@dataclass(frozen=True)
class LedgerLine:
    task: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    minutes_on_site: int | None
    minutes_confirmed: int | None


def ledger(volunteer: Volunteer) -> tuple[list[LedgerLine], int]:
    """The volunteer's shifts and the confirmed minutes in all (the time bank counts those)."""
    lines = [LedgerLine(task.shown_title, shift.checked_in_at, shift.checked_out_at, shift.minutes_on_site,
                        shift.minutes_confirmed)
             for shift, task in db.session.execute(select(Shift, ConsultationTask)
                                                    .join(ConsultationTask, ConsultationTask.id == Shift.task_id)
                                                    .where(Shift.volunteer_id == volunteer.id)
                                                    .order_by(Shift.signed_up_at.desc()))]
    return lines, sum(line.minutes_confirmed or 0 for line in lines)


def shifts(task: ConsultationTask) -> list[Shift]:
    return list(db.session.scalars(select(Shift).where(Shift.task_id == task.id).order_by(Shift.signed_up_at)))
