"""民办: a consultation that was adopted is carried out as tasks — what, by whom (community staff, the
grid, a social organisation, volunteers), by when — and residents follow the progress on its page.
A task's progress note is public: it is written for residents."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Consultation, ConsultationState, ConsultationTask, Staff, TaskOwner, TaskState
from ..models.base import utcnow
from . import consultations
from .admin.audit import AuditAction, record
from .errors import InvalidInput, NotFound
from .uow import use_case
from .validation import record_id

TITLE_MAX, OWNER_MAX, PROGRESS_MAX, TASKS_MOST = 200, 100, 1000, 30


def tasks(consultation: Consultation) -> list[ConsultationTask]:
    return list(db.session.scalars(select(ConsultationTask).where(ConsultationTask.consultation_id == consultation.id)
                                   .order_by(ConsultationTask.position, ConsultationTask.id)))


def carried_out(consultation: Consultation) -> bool:
    """Every task done (and there is at least one): the matter is carried out, residents judge it."""
    found = tasks(consultation)
    return bool(found) and all(task.state == TaskState.DONE for task in found)


def _values(form: dict) -> dict:
    errors: dict = {}
    title = " ".join((form.get("title") or "").split())
    if not title or len(title) > TITLE_MAX:
        errors["title"] = _l("Say what is to be done (at most %(max)d characters).", max=TITLE_MAX)
    owner_kind = form.get("owner_kind")
    if owner_kind not in set(TaskOwner):
        errors["owner_kind"] = _l("Choose who carries it out.")
    owner = " ".join((form.get("owner") or "").split())
    if len(owner) > OWNER_MAX:
        errors["owner"] = _l("At most %(max)d characters.", max=OWNER_MAX)
    try:
        due_on = date.fromisoformat((form.get("due_on") or "").strip())
        if not 2000 <= due_on.year <= 2100:
            raise ValueError(due_on)
    except ValueError:
        errors["due_on"] = _l("Write the date as 2026-03-01.")
        due_on = None
    if errors:
        raise InvalidInput(errors)
    return {"title": title, "owner_kind": TaskOwner(owner_kind), "owner": owner, "due_on": due_on}


@use_case
def add(actor: Staff, consultation_id, form: dict) -> ConsultationTask:
    """A task of an adopted consultation."""
    consultation = consultations.get_for_staff(actor, consultation_id)
    if consultation.state != ConsultationState.CLOSED or not consultation.adopted:
        raise InvalidInput({"title": _l("Tasks are for a matter the residents adopted.")})
    existing = tasks(consultation)
    if len(existing) >= TASKS_MOST:
        raise InvalidInput({"title": _l("At most %(most)d tasks.", most=TASKS_MOST)})
    task = ConsultationTask(community_id=consultation.community_id, consultation_id=consultation.id,
                            position=len(existing), **_values(form))
    db.session.add(task)
    db.session.flush()
    record(actor, AuditAction.UPDATE, "consultation", consultation.id, name=consultation.title,
           area_id=consultation.community_id, after={"task_added": task.id})
    return task


@use_case
def update(actor: Staff, task_id, form: dict) -> ConsultationTask:
    """A task's state and the latest word on it (public)."""
    task = db.session.get(ConsultationTask, record_id(task_id) or 0)
    if task is None:
        raise NotFound(_l("We could not find this task."))
    consultation = consultations.get_for_staff(actor, task.consultation_id)  # (another community's: not found)
    state = form.get("state")
    progress = (form.get("progress") or "").strip()
    if state not in set(TaskState):
        raise InvalidInput({"state": _l("Choose the task's state.")})
    if len(progress) > PROGRESS_MAX:
        raise InvalidInput({"progress": _l("At most %(max)d characters.", max=PROGRESS_MAX)})
    before = task.state.value
    task.state, task.progress, task.updated_at = TaskState(state), progress, utcnow()
    task.done_at = task.done_at or utcnow() if task.state == TaskState.DONE else None
    record(actor, AuditAction.UPDATE, "consultation", consultation.id, name=consultation.title,
           area_id=consultation.community_id, before={"task": task.id, "state": before},
           after={"task": task.id, "state": state})
    return task
