"""The district's working-day calendar in the browser (district admins): holidays and adjusted working
days beyond what the national calendar library knows.  Deadlines of requests handed in afterwards
follow at once (``workdays``); deadlines already set stay as they were promised."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import CalendarDay, Role, Staff
from .. import cache
from ..errors import Forbidden, InvalidInput, NotFound
from ..uow import use_case
from .audit import AuditAction, record

NOTE_MAX = 100


def require_district_admin(actor: Staff) -> None:
    if actor.role != Role.DISTRICT_ADMIN:
        raise Forbidden(_l("Only district admins change the working-day calendar."))


def days(actor: Staff) -> list[CalendarDay]:
    require_district_admin(actor)
    return list(db.session.scalars(select(CalendarDay).order_by(CalendarDay.day)))


def _day(value) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


@use_case
def set_day(actor: Staff, form: dict) -> CalendarDay:
    """A day off, or an adjusted working day, with a note (e.g. 区运动会 or 调休上班)."""
    require_district_admin(actor)
    errors = {}
    day = _day(form.get("day"))
    if day is None or not 2000 <= day.year <= 2100:
        errors["day"] = str(_l("Choose a date."))
    if form.get("workday") not in ("0", "1"):
        errors["workday"] = str(_l("Say whether it is a day off or a working day."))
    note = (form.get("note") or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = str(_l("Please keep the note to %(max)d characters.", max=NOTE_MAX))
    if errors:
        raise InvalidInput(errors)
    row = db.session.get(CalendarDay, day)
    before = {"workday": row.workday, "note": row.note} if row else {}
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.workday, row.note = form["workday"] == "1", note
    db.session.flush()
    record(actor, AuditAction.UPDATE if before else AuditAction.CREATE, "calendar", None, name=day.isoformat(),
           area_id=actor.area_id, before=before, after={"workday": row.workday, "note": note})
    cache.changed()
    return row


@use_case
def remove_day(actor: Staff, value) -> None:
    """Back to the national calendar for that day."""
    require_district_admin(actor)
    row = db.session.get(CalendarDay, _day(value)) if _day(value) else None
    if row is None:
        raise NotFound(_l("No such day."))
    record(actor, AuditAction.RETIRE, "calendar", None, name=row.day.isoformat(), area_id=actor.area_id,
           before={"workday": row.workday, "note": row.note}, after={})
    db.session.delete(row)
    cache.changed()
