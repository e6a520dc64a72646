"""The service catalogue: what a community handles, and what it only explains (社区事务准入)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Bilingual, Size, str_enum


class ServiceCategory(Bilingual, db.Model):
    __tablename__ = "service_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    icon: Mapped[str] = mapped_column(String(32), default="")
    # Retired: off every kiosk; its services' tickets keep their history.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    services: Mapped[list[Service]] = relationship(
        back_populates="category", order_by="Service.position"
    )


class ServiceTexts(Bilingual):
    """What a service says, in the reader's language: shared by the row and its kept copy."""

    @property
    def materials(self) -> list[str]:
        return [line.strip() for line in self.localized("materials").splitlines() if line.strip()]

    @property
    def summary(self) -> str:
        return self.localized("summary")

    @property
    def guidance(self) -> str:
        return self.localized("guidance")


class Service(ServiceTexts, db.Model):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    # One item a line.
    materials_zh: Mapped[str] = mapped_column(Text, default="")
    materials_en: Mapped[str] = mapped_column(Text, default="")
    needs_paperwork: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_id_number: Mapped[bool] = mapped_column(Boolean, default=False)
    volunteer_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_days: Mapped[int] = mapped_column(Integer, default=5)
    # A guidance-only item creates no ticket: it explains where the resident should go instead.
    guidance_only: Mapped[bool] = mapped_column(Boolean, default=False)
    guidance_zh: Mapped[str] = mapped_column(Text, default="")
    guidance_en: Mapped[str] = mapped_column(Text, default="")
    # A proposal for the community (民事民提), not a personal request: discussed, decided, done.
    is_proposal: Mapped[bool] = mapped_column(Boolean, default=False)
    # Papers may be left in a locker compartment of at least this size (when needs_paperwork).
    papers_in_locker: Mapped[bool] = mapped_column(Boolean, default=True)
    papers_size: Mapped[Size] = mapped_column(str_enum(Size, 2), default=Size.M)
    icon: Mapped[str] = mapped_column(String(32), default="")
    # Retired (False): off every kiosk and form; its tickets keep their history.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[ServiceCategory] = relationship(back_populates="services")


class CommunityService(db.Model):
    """A catalogue item a community offers, with its local note (which counter, which hours).  An
    item without a row for a community is not offered there."""

    __tablename__ = "community_services"
    __table_args__ = (PrimaryKeyConstraint("community_id", "service_id"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    note_zh: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")
