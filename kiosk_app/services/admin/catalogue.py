"""The service catalogue in the browser.

- A district admin keeps the district's catalogue: categories and items (names, summary, materials,
  handling time, the ID number asked or not, the kind of item, papers in the locker and the
  compartment size they need, volunteers, order, icon) and which communities offer each item.
- A community admin decides which items their community offers and writes each one's local note
  (which counter, which hours).

Nothing is deleted: an item or category with history is retired (off every kiosk and form, still
named on its tickets, which keep the name they were issued under) and can be restored.  Every change
bumps the catalogue's version stamp, so every worker of every server shows it within
``CACHE_CHECK_SECONDS``, and leaves an audit event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select

from ...extensions import db
from ...models import Area, AreaLevel, CommunityService, Role, Service, ServiceCategory, Size, Staff
from .. import cache
from ..errors import Forbidden, InvalidInput, NotFound
from ..scope import community_ids_select
from ..uow import use_case
from ..validation import record_id
from .audit import AuditAction, record, retire_or_restore, snapshot
from .paging import contains

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")  # items', categories' and the ladder's rungs' codes
CODE_RULE = _l("2 to 32 lower-case letters, digits or dashes, starting with a letter or digit.")
NAME_MAX, TEXT_MAX, ICON_MAX = 100, 2000, 8
KINDS = ("request", "guidance", "proposal")
SERVICE_TEXTS = ("name_zh", "name_en", "summary_zh", "summary_en", "materials_zh", "materials_en",
                 "guidance_zh", "guidance_en", "icon")
SERVICE_FLAGS = ("needs_id_number", "needs_paperwork", "papers_in_locker", "volunteer_eligible")
SERVICE_AUDITED = ("code", "category_id", *SERVICE_TEXTS, *SERVICE_FLAGS, "deadline_days", "guidance_only",
                   "is_proposal", "papers_size", "position", "active")
CATEGORY_AUDITED = ("code", "name_zh", "name_en", "position", "icon", "active")


def require_catalogue_admin(actor: Staff) -> None:
    if actor.role != Role.DISTRICT_ADMIN:
        raise Forbidden(_l("Only district admins change the catalogue; community admins choose what their "
                           "community offers."))


def require_offering_admin(actor: Staff) -> None:
    if not actor.role.is_admin:
        raise Forbidden(_l("Your role may not use this page."))


# ---------------------------------------------------------------- reading

@dataclass(frozen=True)
class CatalogueView:
    categories: list[ServiceCategory]
    services: dict[int, list[Service]]  # by category id, retired ones included
    communities: list[Area]  # the communities whose offering the actor decides
    offered: dict[tuple[int, int], CommunityService]  # (community id, service id)


def catalogue_view(actor: Staff, *, community_id=None, q: str = "") -> CatalogueView:
    """The whole catalogue (retired items too, marked), or the items whose code or name contains ``q``
    (with their categories), and what the actor's communities offer."""
    require_offering_admin(actor)
    categories = list(db.session.scalars(select(ServiceCategory).order_by(ServiceCategory.position,
                                                                          ServiceCategory.id)))
    stmt = select(Service).order_by(Service.position, Service.id)
    if pattern := contains(q):
        stmt = stmt.where(or_(*(column.ilike(pattern, escape="\\") for column in
                                (Service.code, Service.name_zh, Service.name_en))))
    services: dict[int, list[Service]] = {}
    for service in db.session.scalars(stmt):
        services.setdefault(service.category_id, []).append(service)
    if q:
        categories = [c for c in categories if c.id in services]
    communities = list(db.session.scalars(select(Area).where(Area.id.in_(community_ids_select(actor)))
                                          .order_by(Area.code)))
    wanted = record_id(community_id)
    if wanted is not None:
        communities = [c for c in communities if c.id == wanted]
    offered = {(row.community_id, row.service_id): row for row in db.session.scalars(
        select(CommunityService).where(CommunityService.community_id.in_([c.id for c in communities])))}
    return CatalogueView(categories, services, communities, offered)


def get_service(actor: Staff, service_id) -> Service:
    require_catalogue_admin(actor)
    service = db.session.get(Service, record_id(service_id) or 0)
    if service is None:
        raise NotFound(_l("This service does not exist or is no longer offered."))
    return service


def get_category(actor: Staff, category_id) -> ServiceCategory:
    require_catalogue_admin(actor)
    category = db.session.get(ServiceCategory, record_id(category_id) or 0)
    if category is None:
        raise NotFound(_l("No such category."))
    return category


def service_form(service: Service | None) -> dict:
    """The form's values for an item (a new one: sensible defaults)."""
    if service is None:
        return {"kind": "request", "deadline_days": "5", "papers_size": "M", "papers_in_locker": "1", "position": "0",
                "communities": "all"}
    form = {name: getattr(service, name) or "" for name in ("code", *SERVICE_TEXTS)}
    form.update({name: "1" if getattr(service, name) else "" for name in SERVICE_FLAGS})
    form.update(category_id=service.category_id, deadline_days=str(service.deadline_days),
                papers_size=service.papers_size.value, position=str(service.position),
                kind="guidance" if service.guidance_only else "proposal" if service.is_proposal else "request")
    return form


# ---------------------------------------------------------------- checking a form

def field_message(field: str, value, *, service: Service | None = None, form: dict | None = None) -> str | None:
    """What is wrong with one field of the item form, or None."""
    value = (value or "").strip() if isinstance(value, str) else value
    if field == "code":
        if service is not None:
            return None  # a code never changes
        if not CODE.match(value or ""):
            return str(CODE_RULE)
        if db.session.scalar(select(Service.id).filter_by(code=value)) is not None:
            return str(_l("This code is taken."))
    elif field == "category_id":
        if db.session.get(ServiceCategory, record_id(value) or 0) is None:
            return str(_l("Choose a category."))
    elif field == "name_zh":
        if not value:
            return str(_l("Please give the name in Chinese."))
        if len(value) > NAME_MAX:
            return str(_l("Please keep the name to %(max)d characters.", max=NAME_MAX))
    elif field == "name_en":
        if len(value or "") > NAME_MAX:
            return str(_l("Please keep the name to %(max)d characters.", max=NAME_MAX))
    elif field in ("summary_zh", "summary_en", "materials_zh", "materials_en", "guidance_zh", "guidance_en"):
        if len(value or "") > TEXT_MAX:
            return str(_l("Please keep this to %(max)d characters.", max=TEXT_MAX))
        if field == "guidance_zh" and (form or {}).get("kind") == "guidance" and not value:
            return str(_l("A guidance-only item says where to go instead."))
    elif field == "icon":
        if len(value or "") > ICON_MAX:
            return str(_l("An icon is one symbol or a few characters (at most %(max)d).", max=ICON_MAX))
    elif field == "deadline_days":
        days = record_id(value)
        if days is None or not 1 <= days <= 365:
            return str(_l("A number of working days from 1 to 365."))
    elif field == "position":
        if (value or "0") != "0" and record_id(value) is None:
            return str(_l("A whole number (smaller comes first)."))
    elif field == "kind":
        if value not in KINDS:
            return str(_l("Choose the kind of item."))
    elif field == "papers_size":
        if value not in [s.value for s in Size]:
            return str(_l("Choose a compartment size."))
    return None


SERVICE_FIELDS = ("code", "category_id", *SERVICE_TEXTS, "deadline_days", "position", "kind", "papers_size")


def _clean_service(form: dict, service: Service | None) -> dict:
    errors = {}
    for field in SERVICE_FIELDS:
        message = field_message(field, form.get(field, ""), service=service, form=form)
        if message:
            errors[field] = message
    if errors:
        raise InvalidInput(errors)
    values = {name: (form.get(name) or "").strip() for name in SERVICE_TEXTS}
    values.update({name: form.get(name) == "1" for name in SERVICE_FLAGS})
    values.update(category_id=record_id(form["category_id"]), deadline_days=record_id(form["deadline_days"]),
                  position=record_id(form.get("position")) or 0, papers_size=Size(form["papers_size"]),
                  guidance_only=form["kind"] == "guidance", is_proposal=form["kind"] == "proposal")
    if values["guidance_only"]:  # a guidance-only item makes no ticket: nothing to hand in or ask
        values.update(needs_paperwork=False, needs_id_number=False, volunteer_eligible=False)
    return values


# ---------------------------------------------------------------- items

@use_case
def save_service(actor: Staff, service_id, form: dict) -> Service:
    """Create an item (offered by the communities chosen, all by default) or change one."""
    require_catalogue_admin(actor)
    service = get_service(actor, service_id) if service_id else None
    values = _clean_service(form, service)
    before = snapshot(service, SERVICE_AUDITED) if service else {}
    if service is None:
        service = Service(code=form["code"].strip(), active=True, **values)
        db.session.add(service)
        db.session.flush()
        communities = db.session.scalars(select(Area.id).where(Area.id.in_(community_ids_select(actor)))).all()
        if form.get("communities") != "none":
            db.session.add_all(CommunityService(community_id=c, service_id=service.id, note_zh="", note_en="")
                               for c in communities)
    else:
        for name, value in values.items():
            setattr(service, name, value)
        db.session.flush()
    record(actor, AuditAction.UPDATE if before else AuditAction.CREATE, "service", service.id, name=service.code,
           area_id=actor.area_id, before=before, after=snapshot(service, SERVICE_AUDITED))
    cache.changed()
    return service


@use_case
def set_service_active(actor: Staff, service_id, active: bool) -> Service:
    """Retire an item (off every kiosk; its tickets keep it) or restore it."""
    return retire_or_restore(actor, get_service(actor, service_id), "service", active, area_id=actor.area_id)


# ---------------------------------------------------------------- categories

def category_message(field: str, value, *, category: ServiceCategory | None = None) -> str | None:
    value = (value or "").strip()
    if field == "code":
        if category is not None:
            return None
        if not CODE.match(value):
            return str(CODE_RULE)
        if db.session.scalar(select(ServiceCategory.id).filter_by(code=value)) is not None:
            return str(_l("This code is taken."))
    elif field == "name_zh" and not value:
        return str(_l("Please give the name in Chinese."))
    elif field in ("name_zh", "name_en") and len(value) > NAME_MAX:
        return str(_l("Please keep the name to %(max)d characters.", max=NAME_MAX))
    elif field == "icon" and len(value) > ICON_MAX:
        return str(_l("An icon is one symbol or a few characters (at most %(max)d).", max=ICON_MAX))
    elif field == "position" and (value or "0") != "0" and record_id(value) is None:
        return str(_l("A whole number (smaller comes first)."))
    return None


CATEGORY_FIELDS = ("code", "name_zh", "name_en", "icon", "position")


@use_case
def save_category(actor: Staff, category_id, form: dict) -> ServiceCategory:
    require_catalogue_admin(actor)
    category = get_category(actor, category_id) if category_id else None
    errors = {f: m for f in CATEGORY_FIELDS if (m := category_message(f, form.get(f, ""), category=category))}
    if errors:
        raise InvalidInput(errors)
    before = snapshot(category, CATEGORY_AUDITED) if category else {}
    if category is None:
        category = ServiceCategory(code=form["code"].strip(), active=True)
        db.session.add(category)
    category.name_zh, category.name_en = form["name_zh"].strip(), (form.get("name_en") or "").strip()
    category.icon, category.position = (form.get("icon") or "").strip(), record_id(form.get("position")) or 0
    db.session.flush()
    record(actor, AuditAction.UPDATE if before else AuditAction.CREATE, "category", category.id, name=category.code,
           area_id=actor.area_id, before=before, after=snapshot(category, CATEGORY_AUDITED))
    cache.changed()
    return category


@use_case
def set_category_active(actor: Staff, category_id, active: bool) -> ServiceCategory:
    """Retire a category (its items leave every kiosk with it) or restore it."""
    return retire_or_restore(actor, get_category(actor, category_id), "category", active, area_id=actor.area_id)


# ---------------------------------------------------------------- what a community offers

@use_case
def set_offering(actor: Staff, community_id, service_id, *, offered: bool, note_zh: str = "",
                 note_en: str = "") -> None:
    """A community offers an item (with its local note) or stops offering it."""
    require_offering_admin(actor)
    community = db.session.scalar(select(Area).where(Area.id == (record_id(community_id) or 0),
                                                     Area.level == AreaLevel.COMMUNITY,
                                                     Area.id.in_(community_ids_select(actor))))
    service = db.session.get(Service, record_id(service_id) or 0)
    if community is None or service is None:
        raise NotFound(_l("No such community or service."))
    note_zh, note_en = (note_zh or "").strip(), (note_en or "").strip()
    errors = {}
    for name, text in (("note_zh", note_zh), ("note_en", note_en)):
        if len(text) > 500:
            errors[name] = str(_l("Please keep the note to %(max)d characters.", max=500))
    if errors:
        raise InvalidInput(errors)
    row = db.session.get(CommunityService, (community.id, service.id))
    before = {"offered": row is not None, "note_zh": row.note_zh if row else "", "note_en": row.note_en if row else ""}
    if not offered:
        db.session.execute(delete(CommunityService).where(CommunityService.community_id == community.id,
                                                          CommunityService.service_id == service.id))
        after = {"offered": False, "note_zh": "", "note_en": ""}
    else:
        if row is None:
            row = CommunityService(community_id=community.id, service_id=service.id)
            db.session.add(row)
        row.note_zh, row.note_en = note_zh, note_en
        after = {"offered": True, "note_zh": note_zh, "note_en": note_en}
    db.session.flush()
    if before != after:
        record(actor, AuditAction.UPDATE, "service", service.id, name=f"{community.code} · {service.code}",
               area_id=community.id, before=before, after=after)
        cache.changed()
