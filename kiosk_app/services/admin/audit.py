"""The audit trail: every administrative change as an event (who, when, what, before → after).

``record`` is called inside the use case that makes the change, so the event and the change are
committed together or not at all.  Events are never changed or deleted; the district admins list,
filter and export them.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from ...extensions import db
from ...models import AuditEvent, Role, Staff
from ...models.base import utcnow
from ..errors import Forbidden
from .paging import Page, contains, paginate


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RETIRE = "retire"
    RESTORE = "restore"
    DISABLE = "disable"
    ENABLE = "enable"
    RESET_PASSWORD = "reset_password"
    UNLOCK = "unlock"
    ADD_POST = "add_post"
    REMOVE_POST = "remove_post"
    IMPORT = "import"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    END_SESSIONS = "end_sessions"
    TWO_FACTOR_ON = "two_factor_on"
    TWO_FACTOR_OFF = "two_factor_off"
    VIEW_PERSONAL_DATA = "view_personal_data"
    EXPORT = "export"
    ERASE_PERSONAL_DATA = "erase_personal_data"
    ROTATE_KEY = "rotate_key"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    AuditAction.CREATE: _l("Created"),
    AuditAction.UPDATE: _l("Changed"),
    AuditAction.RETIRE: _l("Retired"),
    AuditAction.RESTORE: _l("Restored"),
    AuditAction.DISABLE: _l("Disabled"),
    AuditAction.ENABLE: _l("Enabled again"),
    AuditAction.RESET_PASSWORD: _l("Password reset"),
    AuditAction.UNLOCK: _l("Unlocked"),
    AuditAction.ADD_POST: _l("Grid post added"),
    AuditAction.REMOVE_POST: _l("Grid post removed"),
    AuditAction.IMPORT: _l("Imported"),
    AuditAction.SIGN_IN: _l("Signed in"),
    AuditAction.SIGN_IN_FAILED: _l("Sign-in refused"),
    AuditAction.SIGN_OUT: _l("Signed out"),
    AuditAction.END_SESSIONS: _l("Sessions ended"),
    AuditAction.TWO_FACTOR_ON: _l("Two-factor sign-in turned on"),
    AuditAction.TWO_FACTOR_OFF: _l("Two-factor sign-in turned off"),
    AuditAction.VIEW_PERSONAL_DATA: _l("Personal data viewed"),
    AuditAction.EXPORT: _l("Exported"),
    AuditAction.ERASE_PERSONAL_DATA: _l("Personal data erased"),
    AuditAction.ROTATE_KEY: _l("Personal data sealed with a new key"),
}

ENTITY_LABELS = {
    "staff": _l("Account"),
    "sign_in": _l("Sign-in"),
    "ticket": _l("Ticket"),
    "queue": _l("Queue"),
    "service": _l("Service"),
    "category": _l("Category"),
    "area": _l("Area"),
    "grid": _l("Grid"),
    "grid_level": _l("Grid ladder"),
    "calendar": _l("Working-day calendar"),
    "building": _l("Building"),
    "terminal": _l("Terminal"),
    "compartment": _l("Compartment"),
    "personal_data": _l("Residents' personal data"),
}


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def retire_or_restore(actor: Staff, row, entity: str, active: bool, *, area_id: int | None):
    """Set a row's ``active`` (retired: False), with its audit event; what workers keep is dropped."""
    from ..cache import changed

    if row.active != active:
        row.active = active
        record(actor, AuditAction.RESTORE if active else AuditAction.RETIRE, entity, row.id, name=row.code,
               area_id=area_id, before={"active": not active}, after={"active": active})
        changed()
    return row


def snapshot(record, fields) -> dict:
    """The values of ``fields`` of a record, as JSON can hold them."""
    return {name: _plain(getattr(record, name)) for name in fields}


def _values(actor: Staff | None, action: AuditAction, entity: str, entity_id: int | None, *, name: str = "",
            area_id: int | None = None, before: dict | None = None, after: dict | None = None,
            actor_label: str = "") -> dict:
    before, after = dict(before or {}), dict(after or {})
    if before and after:
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    return dict(actor_staff_id=actor.id if actor else None, actor_label=actor_label or (actor.username if actor else "cli"),
                entity=entity, entity_id=entity_id, entity_name=name[:200], action=action, area_id=area_id,
                before=json.dumps(before, ensure_ascii=False, sort_keys=True),
                after=json.dumps(after, ensure_ascii=False, sort_keys=True))


def record(actor: Staff | None, action: AuditAction, entity: str, entity_id: int | None, **details) -> AuditEvent:
    """Add the event of a change to the current unit of work.  ``before`` and ``after`` are cut down
    to the fields whose value differs (all of ``after`` when there was no before)."""
    event = AuditEvent(**_values(actor, action, entity, entity_id, **details))
    db.session.add(event)
    return event


def record_row(actor: Staff | None, action: AuditAction, entity: str, entity_id: int | None, **details) -> None:
    """As ``record``, written at once as a row (no object in the session): for the few events of a page
    that otherwise only reads (a session ending as it is found idle)."""
    db.session.execute(insert(AuditEvent).values(created_at=utcnow(), **_values(actor, action, entity, entity_id,
                                                                                 **details)))


# ---------------------------------------------------------------- reading the trail

@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # username, or part of it
    entity: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


def require_district_admin(actor: Staff) -> None:
    if actor.role != Role.DISTRICT_ADMIN:
        raise Forbidden(_l("Only district admins may read the audit trail."))


def _statement(filters: AuditFilters):
    from ..workdays import local_midnight

    stmt = select(AuditEvent)
    if pattern := contains(filters.actor):
        stmt = stmt.where(AuditEvent.actor_label.ilike(pattern, escape="\\"))
    if filters.entity:
        stmt = stmt.where(AuditEvent.entity == filters.entity)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.created_at >= local_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.created_at < local_midnight(filters.date_to + timedelta(days=1)))
    return stmt


def events(actor: Staff, filters: AuditFilters) -> Page[AuditEvent]:
    """One page of events, newest first."""
    require_district_admin(actor)
    return paginate(_statement(filters).order_by(AuditEvent.id.desc()), filters.page)


AUDIT_COLUMNS = (_l("When"), _l("Who"), _l("What"), _l("Id"), _l("Name"), _l("Change"), _l("Before"), _l("After"))


def export_csv(actor: Staff, filters: AuditFilters) -> str:
    """Every matching event, oldest first, as CSV."""
    from ..exports import csv_text
    from ..workdays import LOCAL_TZ

    require_district_admin(actor)
    rows = ([e.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"), e.actor_label,
             entity_label(e.entity), e.entity_id or "", e.entity_name, action_label(e.action), e.before, e.after]
            for e in db.session.scalars(_statement(filters).order_by(AuditEvent.id)))
    return csv_text(AUDIT_COLUMNS, rows)


def changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    """(field, before, after) for each field an event names."""
    before, after = json.loads(event.before or "{}"), json.loads(event.after or "{}")
    return [(k, before.get(k, ""), after.get(k, "")) for k in sorted(before.keys() | after.keys())]


def entity_label(entity: str) -> str:
    label = ENTITY_LABELS.get(entity)
    return str(label) if label else entity


def action_label(action: str) -> str:
    try:
        return AuditAction(action).label
    except ValueError:
        return action
