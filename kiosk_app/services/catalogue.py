"""Reading the service catalogue and the community's places.

Services, communities and buildings are reference data: read on nearly every request and changed a
few times a year.  What the pages and the services get of them is plain, immutable values
(``ServiceRef``, ``CommunityRef``, ``BuildingRef``), whether they were kept (``services/cache.py``)
or read just now, so the code that uses them never depends on whether keeping is on.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy.orm import selectinload, with_loader_criteria

from ..extensions import db
from ..models import Area, AreaLevel, Building, CommunityService, Service, ServiceCategory, Size
from ..models.base import Bilingual, in_reader_language
from ..models.catalogue import ServiceTexts
from .cache import kept
from .errors import NotFound
from .validation import record_id


@dataclass(frozen=True)
class CategoryRef(Bilingual):
    id: int
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class ServiceRef(ServiceTexts):
    """A service as the kiosk and the forms use it."""

    id: int
    code: str
    category: CategoryRef
    name_zh: str
    name_en: str
    summary_zh: str
    summary_en: str
    materials_zh: str
    materials_en: str
    guidance_zh: str
    guidance_en: str
    needs_paperwork: bool
    needs_id_number: bool
    volunteer_eligible: bool
    deadline_days: int
    guidance_only: bool
    is_proposal: bool
    active: bool
    papers_in_locker: bool = True
    papers_size: Size = Size.M
    icon: str = ""
    category_active: bool = True

    @classmethod
    def of(cls, row: Service) -> ServiceRef:
        category = CategoryRef(row.category.id, row.category.name_zh, row.category.name_en)
        return cls(id=row.id, code=row.code, category=category, name_zh=row.name_zh, name_en=row.name_en,
                   summary_zh=row.summary_zh, summary_en=row.summary_en, materials_zh=row.materials_zh,
                   materials_en=row.materials_en, guidance_zh=row.guidance_zh, guidance_en=row.guidance_en,
                   needs_paperwork=row.needs_paperwork, needs_id_number=row.needs_id_number,
                   volunteer_eligible=row.volunteer_eligible, deadline_days=row.deadline_days,
                   guidance_only=row.guidance_only, is_proposal=row.is_proposal, active=row.active,
                   papers_in_locker=row.papers_in_locker, papers_size=row.papers_size, icon=row.icon,
                   category_active=row.category.active)


@dataclass(frozen=True)
class CommunityRef(Bilingual):
    id: int
    code: str
    name_zh: str
    name_en: str

    @classmethod
    def of(cls, row: Area) -> CommunityRef:
        return cls(row.id, row.code, row.name_zh, row.name_en)


@dataclass(frozen=True)
class BuildingRef(Bilingual):
    id: int
    community_id: int
    grid_id: int
    code: str
    name_zh: str
    name_en: str

    @classmethod
    def of(cls, row: Building) -> BuildingRef:
        return cls(row.id, row.community_id, row.grid_id, row.code, row.name_zh, row.name_en)


def categories(community=None) -> list[ServiceCategory]:
    """Categories in use with their active services, in display order (two queries in all); with
    ``community`` (anything with its ``id``), only the services that community offers."""
    offered = Service.active.is_(True)
    if community is not None:
        offered = offered & Service.id.in_(db.select(CommunityService.service_id).where(
            CommunityService.community_id == community.id))
    stmt = (
        db.select(ServiceCategory)
        .where(ServiceCategory.active.is_(True))
        .options(
            selectinload(ServiceCategory.services),
            with_loader_criteria(Service, offered),
        )
        .order_by(ServiceCategory.position, ServiceCategory.id)
    )
    return [c for c in db.session.scalars(stmt) if c.services]


def offered(community_id: int) -> dict[int, tuple[str, str]]:
    """The services a community offers, each with its local note (zh, en)."""
    return kept(("offered", community_id), lambda: {
        service_id: (zh, en) for service_id, zh, en in db.session.execute(
            db.select(CommunityService.service_id, CommunityService.note_zh, CommunityService.note_en)
            .where(CommunityService.community_id == community_id))})


def local_note(community, service) -> str:
    """What a community says about an item (which counter, which hours), in the reader's language."""
    zh, en = offered(community.id).get(service.id, ("", ""))
    return in_reader_language(zh, en)


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


def get_service(service_id, community=None) -> ServiceRef:
    """An active service (with ``community``: one that community offers)."""
    service_id = record_id(service_id)
    service = service_ref(service_id) if service_id else None
    if service is None or not service.active or not service.category_active \
            or (community is not None and service.id not in offered(community.id)):
        raise NotFound(_l("This service does not exist or is no longer offered."))
    return service


def service_ref(service_id: int) -> ServiceRef | None:
    """A service, offered or not (kept like reference data)."""
    return kept(("service", service_id), lambda: _service(service_id))


def _service(service_id: int) -> ServiceRef | None:
    row = db.session.scalar(db.select(Service).filter_by(id=service_id).options(selectinload(Service.category)))
    return ServiceRef.of(row) if row is not None else None


def communities() -> list[Area]:
    """All communities, ordered by street then code (for the community picker)."""
    stmt = (
        db.select(Area)
        .filter_by(level=AreaLevel.COMMUNITY, active=True)
        .options(selectinload(Area.parent))
        .order_by(Area.parent_id, Area.code)
    )
    return list(db.session.scalars(stmt))


def get_community(code: str) -> CommunityRef:
    area = db.session.scalar(db.select(Area).filter_by(code=code, level=AreaLevel.COMMUNITY, active=True))
    if area is None:
        raise NotFound(_l("No such community."))
    return CommunityRef.of(area)


def get_community_by_id(community_id: int) -> CommunityRef | None:
    def load():
        area = db.session.get(Area, community_id)
        return CommunityRef.of(area) if area is not None and area.level == AreaLevel.COMMUNITY else None

    return kept(("community", community_id), load)


# Built once (a statement built per call cost more than finding a kept building).
_BUILDINGS = db.select(Building).where(Building.community_id == bindparam("community"), Building.active.is_(True)) \
    .order_by(Building.position, Building.id)


def buildings(community) -> tuple[BuildingRef, ...]:
    """A community's buildings in display order (``community``: anything with its ``id``)."""
    return kept(("buildings", community.id), lambda: tuple(
        BuildingRef.of(row) for row in db.session.scalars(_BUILDINGS, {"community": community.id})))


def building_of(community, building_id: int | None) -> BuildingRef | None:
    """One of the community's buildings (None for another community's or an unknown one)."""
    if not building_id:
        return None
    return next((b for b in buildings(community) if b.id == building_id), None)
