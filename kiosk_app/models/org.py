"""Areas (district → street/town → community/village), grids and buildings (一院一图、一楼一册)."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Bilingual, str_enum


class AreaLevel(enum.StrEnum):
    DISTRICT = "district"
    STREET = "street"  # 街道 or 乡镇
    COMMUNITY = "community"  # 社区 or 村


class Area(Bilingual, db.Model):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    level: Mapped[AreaLevel] = mapped_column(str_enum(AreaLevel))
    # Short code; for a community it is also the prefix of its ticket numbers.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    # Retired (False): off the pickers and forms; its tickets and history stay.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent", order_by="Area.code")
    buildings: Mapped[list[Building]] = relationship(
        back_populates="community", order_by="Building.position"
    )

    def __repr__(self) -> str:
        return f"<Area {self.level} {self.code}>"


class Grid(Bilingual, db.Model):
    """A grid (网格) of a community; every request belongs to one through its building."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    community: Mapped[Area] = relationship()


class Building(Bilingual, db.Model):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=1)  # 单元 (entrances) of the building
    # Where the building stands on its grid's plan (一院一图), 0-1000 across and down; None: not placed.
    plan_x: Mapped[int | None] = mapped_column(Integer)
    plan_y: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    community: Mapped[Area] = relationship(back_populates="buildings")
    grid: Mapped[Grid] = relationship()
