"""Reading the service catalogue and the community's places."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload, with_loader_criteria

from ..extensions import db
from ..models import Area, AreaLevel, Building, Service, ServiceCategory
from .errors import NotFound
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


def get_service(service_id: int) -> Service:
    service_id = record_id(service_id)
    service = db.session.get(Service, service_id) if service_id else None
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


def get_community_by_id(community_id: int) -> Area | None:
    area = db.session.get(Area, community_id)
    return area if area is not None and area.level == AreaLevel.COMMUNITY else None


def buildings(community: Area) -> list[Building]:
    stmt = db.select(Building).filter_by(community_id=community.id).order_by(Building.position, Building.id)
    return list(db.session.scalars(stmt))
