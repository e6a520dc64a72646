"""Reading the service catalogue and the community's places.

Catalogue rows, communities and buildings are reference data: read on nearly every request and
changed a few times a year.  Each worker keeps them for ``CACHE_SECONDS`` (0 turns this off) and
puts a copy into the request's session without a query (``merge(load=False)``, SQLAlchemy's
pattern for cached rows), so a change shows everywhere within that time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy.orm import Session, selectinload, with_loader_criteria

from ..extensions import db
from ..models import Area, AreaLevel, Building, Service, ServiceCategory
from ..models.base import Bilingual
from .errors import NotFound
from .kept import kept
from .validation import record_id


def categories() -> list[ServiceCategory]:
    """Categories with their active services, in display order (two queries in all)."""
    stmt = (
        db.select(ServiceCategory)
        .options(
            selectinload(ServiceCategory.services),
            with_loader_criteria(Service, Service.active.is_(True)),
        )
        .order_by(ServiceCategory.position, ServiceCategory.id)
    )
    return [c for c in db.session.scalars(stmt) if c.services]


def _kept_rows(key: tuple, load: Callable[[Session], list]) -> list:
    """Rows from ``load``, kept per worker, detached (merge what you use).  They are loaded in a
    session of their own, which leaves them detached and fully loaded."""
    def detached_rows():
        with Session(db.engine, expire_on_commit=False) as own:
            return load(own)

    return kept(("rows", *key), detached_rows)


def _reference(key: tuple, load: Callable[[Session], list]) -> list:
    """Rows from ``load``, kept per worker, merged into this request's session."""
    if current_app.config.get("CACHE_SECONDS", 0) <= 0:
        return load(db.session)
    return [db.session.merge(row, load=False) for row in _kept_rows(key, load)]


@dataclass(frozen=True)
class Choice(Bilingual):
    """A plain, immutable entry of a drop-down list (kept across requests like reference data)."""

    id: int
    name_zh: str
    name_en: str = ""
    guidance_only: bool = False
    children: tuple = ()


def service_choices() -> tuple[Choice, ...]:
    """Categories with their services, for the back office's filters."""
    return kept(("service_choices",), lambda: tuple(
        Choice(c.id, c.name_zh, c.name_en, children=tuple(
            Choice(s.id, s.name_zh, s.name_en, s.guidance_only) for s in c.services)) for c in categories()))


def get_service(service_id: int) -> Service:
    service_id = record_id(service_id)
    found = _reference(("service", service_id), lambda s: [row for row in [s.scalar(
        db.select(Service).filter_by(id=service_id).options(selectinload(Service.category)))] if row]) \
        if service_id else []
    service = found[0] if found else None
    if service is None or not service.active:
        raise NotFound(_l("This service does not exist or is no longer offered."))
    return service


def communities() -> list[Area]:
    """All communities, ordered by street then code (for the community picker)."""
    stmt = (
        db.select(Area)
        .filter_by(level=AreaLevel.COMMUNITY)
        .options(selectinload(Area.parent))
        .order_by(Area.parent_id, Area.code)
    )
    return list(db.session.scalars(stmt))


def get_community(code: str) -> Area:
    area = db.session.scalar(db.select(Area).filter_by(code=code, level=AreaLevel.COMMUNITY))
    if area is None:
        raise NotFound(_l("No such community."))
    return area


def _community_rows(community_id: int) -> Callable[[Session], list]:
    return lambda s: [row for row in [s.get(Area, community_id)] if row]


def get_community_by_id(community_id: int) -> Area | None:
    found = _reference(("community", community_id), _community_rows(community_id))
    area = found[0] if found else None
    return area if area is not None and area.level == AreaLevel.COMMUNITY else None


def community_to_show(community_id: int) -> Area | None:
    """A community only to be named on a page: the kept row itself, not put into this request's
    session (reading its names needs none)."""
    if current_app.config.get("CACHE_SECONDS", 0) <= 0:
        return get_community_by_id(community_id)
    found = _kept_rows(("community", community_id), _community_rows(community_id))
    return found[0] if found and found[0].level == AreaLevel.COMMUNITY else None


# Built once (a statement built per call cost more than finding a kept building).
_BUILDINGS = db.select(Building).where(Building.community_id == bindparam("community")) \
    .order_by(Building.position, Building.id)


def _building_rows(community_id: int) -> Callable[[Session], list]:
    return lambda s: list(s.scalars(_BUILDINGS, {"community": community_id}))


def buildings(community: Area) -> list[Building]:
    return _reference(("buildings", community.id), _building_rows(community.id))


def building_of(community: Area, building_id: int | None) -> Building | None:
    """One of the community's buildings (None for another community's or an unknown one)."""
    if not building_id:
        return None
    if current_app.config.get("CACHE_SECONDS", 0) <= 0:
        return next((b for b in buildings(community) if b.id == building_id), None)
    found = next((b for b in _kept_rows(("buildings", community.id), _building_rows(community.id))
                  if b.id == building_id), None)
    return db.session.merge(found, load=False) if found is not None else None
