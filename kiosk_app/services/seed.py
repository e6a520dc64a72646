"""Loading the demo district.  Every row is found by its code first, so running it twice changes nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from werkzeug.security import generate_password_hash

from .. import demo
from ..extensions import db
from ..models import (
    Area,
    CommunityService,
    Compartment,
    Size,
    AreaLevel,
    Building,
    Grid,
    GridLevel,
    Role,
    Service,
    ServiceCategory,
    Staff,
    StaffBuilding,
    StaffGrid,
    Terminal,
    TerminalKind,
)
from . import cache
from .uow import use_case


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    new_staff: list[tuple[str, str]] = field(default_factory=list)  # username, password

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1


def _get_or_add(model, report: SeedReport, lookup: dict, **values):
    row = db.session.scalar(db.select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
        db.session.flush()
        report.count(model.__tablename__)
    return row


@use_case
def seed_demo(staff_password: str | None = None, *, archive: bool = False) -> SeedReport:
    """The demo district; with ``archive``, also a fictional archive of its households (``flask seed-demo``)."""
    report = SeedReport()
    code, zh, en = demo.DISTRICT
    district = _get_or_add(Area, report, {"code": code}, level=AreaLevel.DISTRICT, name_zh=zh, name_en=en)
    streets = {
        code: _get_or_add(Area, report, {"code": code}, level=AreaLevel.STREET, name_zh=zh, name_en=en,
                          parent_id=district.id)
        for code, zh, en in demo.STREETS
    }
    communities = {}
    for code, street, zh, en, grids in demo.COMMUNITIES:
        community = _get_or_add(Area, report, {"code": code}, level=AreaLevel.COMMUNITY, name_zh=zh,
                                name_en=en, parent_id=streets[street].id)
        communities[code] = community
        position = 0
        for grid_code, (grid_zh, grid_en, buildings) in grids.items():
            grid = _get_or_add(Grid, report, {"community_id": community.id, "code": grid_code},
                               name_zh=grid_zh, name_en=grid_en)
            for name in buildings:
                position += 1
                _get_or_add(Building, report, {"community_id": community.id, "code": f"B{position:02d}"},
                            grid_id=grid.id, name_zh=name, name_en=_building_en(name), position=position)
        for kind, suffix, kind_zh, kind_en in (
            (TerminalKind.KIOSK, "K1", "自助服务机", "kiosk"),
            (TerminalKind.LOCKER, "L1", "云柜", "cloud locker"),
        ):
            terminal = _get_or_add(Terminal, report, {"code": f"{code}-{suffix}"}, community_id=community.id,
                                   kind=kind, name_zh=f"{zh}{kind_zh}", name_en=f"{en} {kind_en}",
                                   printer_url="dummy://")  # the simulated receipt printer
            if kind == TerminalKind.LOCKER:
                for number, size in demo.COMPARTMENTS.items():
                    _get_or_add(Compartment, report, {"terminal_id": terminal.id, "number": number},
                                size=Size(size), board=1, lock=number)

    categories = {}
    for position, (code, zh, en) in enumerate(demo.CATEGORIES, start=1):
        categories[code] = _get_or_add(ServiceCategory, report, {"code": code}, name_zh=zh, name_en=en,
                                       position=position)
    for position, spec in enumerate(demo.SERVICES, start=1):
        values = dict(spec)
        service_code = values.pop("code")
        values["category_id"] = categories[values.pop("category")].id
        service = _get_or_add(Service, report, {"code": service_code}, position=position, **values)
        for community in communities.values():  # every demo community offers the whole catalogue
            _get_or_add(CommunityService, report, {"community_id": community.id, "service_id": service.id})

    # A shared demo password (DEMO_STAFF_PASSWORD) is hashed once; otherwise each account gets its own.
    shared_hash = generate_password_hash(staff_password) if staff_password else None
    levels = {
        code: _get_or_add(GridLevel, report, {"code": code}, name_zh=zh, name_en=en, rank=rank)
        for code, zh, en, rank in demo.GRID_LEVELS
    }
    for username, name, role, area_code, posts in demo.STAFF:
        if db.session.scalar(db.select(Staff).filter_by(username=username)) is not None:
            continue
        password = staff_password or secrets.token_urlsafe(9)
        area = communities[area_code] if area_code else district
        staff = Staff(username=username, display_name=name, role=Role(role), area_id=area.id,
                      password_hash=shared_hash or generate_password_hash(password))
        for grid_code, level_code in posts:
            grid = db.session.scalar(db.select(Grid).filter_by(community_id=area.id, code=grid_code))
            staff.grid_posts.append(StaffGrid(grid_id=grid.id, level_id=levels[level_code].id))
        db.session.add(staff)
        report.count("staff")
        report.new_staff.append((username, password))
    db.session.flush()
    for username, area_code, building_code, level_code in demo.BUILDING_POSTS:
        staff = db.session.scalar(db.select(Staff).filter_by(username=username))
        building = db.session.scalar(db.select(Building).filter_by(community_id=communities[area_code].id,
                                                                    code=building_code))
        _get_or_add(StaffBuilding, report, {"staff_id": staff.id, "building_id": building.id},
                    level_id=levels[level_code].id)
    from . import archive as archives

    archives.ensure_default_tags()
    if archive:
        from .demo_archive import seed_archive

        visitors = {}
        for account in db.session.scalars(db.select(Staff).where(Staff.role.in_([Role.GRID_WORKER,
                                                                                 Role.COMMUNITY_STAFF]))):
            visitors.setdefault(account.area.code, account)
        made = seed_archive(visitors)
        if made:
            report.created["households"] = made
    if report.created:
        cache.changed()
    return report


def _building_en(name: str) -> str:
    if name.endswith("号楼"):
        return f"Building {name[:-2]}"
    for prefix, side in (("东", "East"), ("西", "West")):
        if name.startswith(prefix) and name.endswith("栋"):
            return f"{side} {name[1:-1]}"
    return {"红旗小区A座": "Hongqi Estate, Block A", "红旗小区B座": "Hongqi Estate, Block B",
            "商住楼": "Shops and flats building"}.get(name, name)
